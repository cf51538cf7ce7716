using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Cli;

/// <summary>`--tls-keylog FILE` (and tls.key_log_file in --config): read at start-up, a file that cannot be read is a usage error.</summary>
public sealed class TlsKeyLogOptionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tdec-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) =>
        ExternalTool.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "trafficsensor.dll"), .. args]);

    private static readonly string TlsCapture = Path.Combine(TestPaths.ProjectPcaps, "tls", "keylog", "tls13-aes128-gcm-sha256.pcap");

    [Fact]
    public void A_missing_key_log_stops_replay_and_live_with_its_name()
    {
        var missing = Path.Combine(_dir, "absent.keys");
        var (code, _, err) = Run("replay", "-q", "--no-model", "--tls-keylog", missing, TlsCapture);
        Assert.Equal(1, code);
        Assert.Contains("--tls-keylog", err);
        Assert.Contains(missing, err);

        var (liveCode, _, liveErr) = Run("live", "-i", "lo", "--no-model", "--tls-keylog", missing);
        Assert.Equal(1, liveCode);
        Assert.Contains(missing, liveErr);

        var config = Path.Combine(_dir, "sensor.yaml");
        File.WriteAllText(config, $"tls:\n  key_log_file: {missing}\n");
        var (configCode, _, configErr) = Run("replay", "-q", "--no-model", "--config", config, TlsCapture);
        Assert.Equal(1, configCode);
        Assert.Contains(missing, configErr);
    }

    [Fact]
    public void A_readable_key_log_lets_the_replay_run()
    {
        var keys = Path.Combine(TestPaths.ProjectPcaps, "tls", "keylog", "tls13-aes128-gcm-sha256.keys");
        var (code, _, err) = Run("replay", "-q", "--no-model", "--tls-keylog", keys, TlsCapture);
        Assert.True(code == 0, err);
    }
}
