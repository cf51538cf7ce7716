using System.Diagnostics;
using System.Text.Json;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Cli;

/// <summary>
/// The live sensor end to end, as an operator runs it: a real PHP web server on loopback with a
/// planted ?cmd= web shell, `trafficsensor live` capturing on lo, Debian's real Prometheus scraping
/// it with the alerting rules from deploy/, curl as the benign users and as the attacker. Needs
/// root (or CAP_NET_RAW), php-cli, prometheus and curl: ./run-tests installs them.
/// </summary>
[Collection("live capture")]
public sealed class LiveSensorTests : IDisposable
{
    private const string ServerAddress = "127.0.0.77";
    private readonly LiveStack _stack = new();
    private string Dir => _stack.Directory;

    public void Dispose() => _stack.Dispose();

    [Fact]
    public void Live_sensor_feeds_Prometheus_alerts_on_a_web_shell_and_flushes_everything_on_SIGTERM()
    {
        // --- a PHP site with a planted ?cmd= shell (the lab's harmless emulator), on its own loopback address
        // (probed before the sensor starts, so every transaction it sees is one this test counts)
        var webPort = _stack.StartShellSite(ServerAddress);

        // --- the sensor, live on loopback, as documented
        var metricsPort = LiveStack.FreePort();
        var alerts = Path.Combine(Dir, "alerts.json");
        var transactions = Path.Combine(Dir, "tx.json");
        var stats = Path.Combine(Dir, "stats.json");
        var recording = Path.Combine(Dir, "pcap");
        var sensor = _stack.StartSensor("sensor.log", metricsPort, "-i", "lo",
            "--bpf", $"host {ServerAddress} and tcp port {webPort}",
            "--alerts", alerts, "--transactions", transactions, "--stats", stats,
            "--write-pcap", recording, "--rotate-mb", "1", "--keep", "5", "--status-interval", "0");

        // --- Debian's Prometheus, scraping every second with the shipped alerting rules
        var rules = Path.Combine(TestPaths.RepositoryRoot, "deploy", "prometheus", "trafficsensor.rules.yml");
        var prometheusPort = _stack.StartPrometheus("prometheus", $"""
            global: {"{"}scrape_interval: 1s, evaluation_interval: 1s{"}"}
            rule_files: ["{rules}"]
            scrape_configs:
              - job_name: trafficsensor
                static_configs: [{"{"}targets: ["127.0.0.1:{metricsPort}"]{"}"}]
            """);
        _stack.WaitForTargets(prometheusPort, 1);

        // --- benign users, then an attacker using the shell
        var site = $"http://{ServerAddress}:{webPort}";
        var benign = 0;
        for (var round = 0; round < 6; round++) benign += LiveStack.BrowseSite(site);
        var shell = 0;
        foreach (var command in new[] { "id", "whoami", "uname -a", "ls -la", "cat lab-notes.txt", "ps aux" })
        {
            LiveStack.Curl("-G", "--data-urlencode", $"cmd={command}", $"{site}/uploads/cmd.php");
            shell++;
        }
        LiveStack.Curl("--data-urlencode", "cmd=netstat -an", $"{site}/uploads/cmd.php");
        shell++;

        // --- Prometheus sees the counters rise and the shipped rule fire
        _stack.WaitFor("Prometheus to count every transaction", () => _stack.Query(prometheusPort, "sum(trafficsensor_http_transactions_total)") >= benign + shell);
        _stack.WaitFor("Prometheus to count the web-shell alerts", () => _stack.Query(prometheusPort, "sum(trafficsensor_alerts_total)") >= 1);
        Assert.Equal(benign + shell, _stack.Query(prometheusPort, "sum(trafficsensor_http_transactions_total)"));
        Assert.Equal(benign + shell, _stack.Query(prometheusPort, "sum(trafficsensor_anomaly_score_count)"));
        Assert.True(_stack.Query(prometheusPort, "trafficsensor_packets_total") >= 10 * (benign + shell), "packets");
        Assert.Equal(1, _stack.Query(prometheusPort, "trafficsensor_capture_running"));
        Assert.Equal(0, _stack.Query(prometheusPort, "trafficsensor_capture_kernel_drops_total"));
        Assert.True(_stack.Query(prometheusPort, "trafficsensor_processing_latency_seconds_count") >= benign + shell);
        Assert.Equal(1, _stack.Query(prometheusPort, "count(trafficsensor_model_info{model=\"default\"})"));
        _stack.WaitFor("the TrafficSensorWebShellAlert rule to fire", () =>
        {
            var json = _stack.Http.GetStringAsync($"http://127.0.0.1:{prometheusPort}/api/v1/alerts").GetAwaiter().GetResult();
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
                .Any(a => a.GetProperty("labels").GetProperty("alertname").GetString() == "TrafficSensorWebShellAlert" && a.GetProperty("state").GetString() == "firing");
        });
        var alertsSeenByPrometheus = _stack.Query(prometheusPort, "sum(trafficsensor_alerts_total)");

        // --- SIGTERM: a clean exit with everything flushed
        var (killCode, _, killErr) = ExternalTool.Run("kill", ["-TERM", sensor.Id.ToString()]);
        Assert.True(killCode == 0, killErr);
        Assert.True(sensor.WaitForExit(30_000), "the sensor did not stop within 30 s of SIGTERM");
        sensor.WaitForExit();
        Assert.True(sensor.ExitCode == 0, $"exit code {sensor.ExitCode}\n{_stack.Log("sensor.log")}");

        var txLines = File.ReadAllLines(transactions);
        Assert.Equal(benign + shell, txLines.Length);
        foreach (var line in txLines)
        {
            using var doc = JsonDocument.Parse(line);
            Assert.Equal(200, doc.RootElement.GetProperty("http").GetProperty("status").GetInt32());
            Assert.True(doc.RootElement.TryGetProperty("ml", out _));
            Assert.Equal("lo", doc.RootElement.GetProperty("in_iface").GetString());
        }

        var alertLines = File.ReadAllLines(alerts);
        Assert.NotEmpty(alertLines);
        foreach (var line in alertLines)
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            Assert.Equal("alert", root.GetProperty("event_type").GetString());
            Assert.StartsWith("/uploads/cmd.php", root.GetProperty("http").GetProperty("url").GetString()); // the web shell, never a benign page
            var alert = root.GetProperty("alert");
            Assert.StartsWith("T1505.003 Web Shell", alert.GetProperty("category").GetString());
            var files = alert.GetProperty("capture_files").EnumerateArray().Select(f => f.GetString()!).ToList();
            Assert.NotEmpty(files);
            Assert.All(files, f => Assert.StartsWith(recording, f));
        }
        // Every alerting transaction is one line (grouped by thread id, never dropped).
        Assert.Equal(alertsSeenByPrometheus, alertLines.Length);

        // The recorded file an alert names really holds the web-shell requests (tshark as the oracle).
        using (var first = JsonDocument.Parse(alertLines[0]))
        {
            var file = first.RootElement.GetProperty("alert").GetProperty("capture_files")[0].GetString()!;
            var (code, output, err) = ExternalTool.Run("tshark", ["-r", file, "-Y", "http.request.uri contains \"/uploads/cmd.php\"", "-T", "fields", "-e", "http.request.uri"]);
            Assert.True(code == 0, err);
            Assert.Equal(shell, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }

        using var statsDoc = JsonDocument.Parse(File.ReadAllText(stats));
        var s = statsDoc.RootElement;
        Assert.Equal("lo", s.GetProperty("interface").GetString());
        Assert.Equal(0, s.GetProperty("kernel_drops").GetInt64());
        Assert.Equal(benign + shell, s.GetProperty("http_transactions").GetInt64());
        Assert.True(s.GetProperty("capture_received").GetInt64() >= s.GetProperty("packets").GetInt64());
        Assert.Equal(JsonValueKind.Null, s.GetProperty("capture_error").ValueKind);
    }
}
