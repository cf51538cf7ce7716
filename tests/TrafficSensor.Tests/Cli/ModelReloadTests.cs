using System.Text.Json;
using TrafficSensor.Tests.Metrics;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Cli;

/// <summary>
/// SIGHUP makes a live sensor reload its model file. The sensor captures its own metrics endpoint on
/// lo, so every scrape this test makes is a transaction it scores: which model scored each one is in
/// the transaction log. Needs root (or CAP_NET_RAW).
/// </summary>
[Collection("live capture")]
public sealed class ModelReloadTests : IDisposable
{
    private readonly LiveStack _stack = new();

    public void Dispose() => _stack.Dispose();

    private static void Signal(string signal, int pid)
    {
        var (code, _, err) = ExternalTool.Run("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(code == 0, err);
    }

    [Fact]
    public void SIGHUP_swaps_the_model_between_transactions_and_a_broken_file_keeps_the_old_one()
    {
        var dir = _stack.Directory;
        var model = Path.Combine(dir, "model.zip");
        File.Copy(Path.Combine(TestPaths.RepositoryRoot, "models", "default.zip"), model);
        var retrained = Path.Combine(dir, "retrained.zip");
        var cli = Path.Combine(AppContext.BaseDirectory, "trafficsensor.dll");
        var train = ExternalTool.Run("dotnet", [cli, "train", "--benign", Path.Combine(TestPaths.RepositoryRoot, "pcaps", "lab", "samples", "benign-wiki.pcap"),
            "-o", retrained, "--name", "retrained"]);
        Assert.True(train.Code == 0, train.Err);

        var metricsPort = LiveStack.FreePort();
        var transactions = Path.Combine(dir, "tx.json");
        var sensor = _stack.StartSensor("sensor.log", metricsPort, "-i", "lo", "--bpf", $"tcp port {metricsPort}", "--model", model,
            "-t", transactions, "--workers", "1", "--status-interval", "0");
        var url = $"http://127.0.0.1:{metricsPort}/metrics";
        string Scrape() => _stack.Http.GetStringAsync(url).GetAwaiter().GetResult();
        double Value(string series) => SensorMetricsTests.Value(Scrape(), series);

        for (var i = 0; i < 3; i++) Scrape();
        _stack.WaitFor("the first scrapes to be scored", () => Value("trafficsensor_anomaly_score_count") >= 3);

        // A broken model file: the reload fails, the old model goes on scoring, the sensor goes on.
        File.WriteAllText(model, "this is not a model");
        Signal("HUP", sensor.Id);
        _stack.WaitFor("the failed reload to be counted", () => Value("trafficsensor_model_reloads_total{result=\"failed\"}") == 1);
        Assert.Matches("trafficsensor_model_info\\{model=\"default\",[^}]*\\} 1", Scrape());
        Assert.Contains($"SIGHUP: model reload from {model} failed, still scoring with default", _stack.Log("sensor.log"));
        Assert.False(sensor.HasExited);

        // A new model: loaded in the background, then every later transaction is scored by it.
        File.Copy(retrained, model, overwrite: true);
        Signal("HUP", sensor.Id);
        _stack.WaitFor("the reload to be counted", () => Value("trafficsensor_model_reloads_total{result=\"loaded\"}") == 1);
        var text = Scrape();
        Assert.Matches("trafficsensor_model_info\\{model=\"retrained\",[^}]*\\} 1", text);
        Assert.DoesNotContain("trafficsensor_model_info{model=\"default\"", text);
        Assert.Contains("SIGHUP: reloaded model retrained", _stack.Log("sensor.log"));
        for (var i = 0; i < 3; i++) Scrape();

        Signal("TERM", sensor.Id);
        Assert.True(sensor.WaitForExit(30_000), "the sensor did not stop within 30 s of SIGTERM");
        sensor.WaitForExit();
        Assert.True(sensor.ExitCode == 0, _stack.Log("sensor.log"));

        // In capture order: the default model, then (from some transaction on) only the retrained one.
        var scoredBy = File.ReadAllLines(transactions).Select(l => JsonDocument.Parse(l).RootElement)
            .OrderBy(r => r.GetProperty("timestamp").GetString(), StringComparer.Ordinal)
            .Select(r => r.GetProperty("ml").GetProperty("model").GetString()!).ToList();
        Assert.True(scoredBy.Count >= 8, string.Join(",", scoredBy));
        Assert.Equal(["default", "default", "default"], scoredBy.Take(3));
        Assert.Equal(["retrained", "retrained", "retrained"], scoredBy.TakeLast(3));
        var switchAt = scoredBy.IndexOf("retrained");
        Assert.All(scoredBy.Skip(switchAt), m => Assert.Equal("retrained", m));
    }
}
