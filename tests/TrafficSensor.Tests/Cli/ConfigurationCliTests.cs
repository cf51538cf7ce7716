using System.Text.Json;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Cli;

/// <summary>`--config FILE` as a user runs it: the file's settings apply, the command line wins, mistakes are named.</summary>
public sealed class ConfigurationCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) =>
        ExternalTool.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "trafficsensor.dll"), .. args]);

    private static readonly string CmdShellCapture = Path.Combine(TestPaths.RepositoryRoot, "pcaps", "lab", "samples", "webshell-cmd.pcap");

    private string Config(string yaml)
    {
        var path = Path.Combine(_dir, $"config-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static List<JsonElement> JsonLines(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Fact]
    public void The_shipped_example_runs_a_replay_like_no_configuration_at_all()
    {
        var (code, plain, _) = Run("replay", "-q", CmdShellCapture);
        Assert.Equal(0, code);
        var (code2, configured, err) = Run("replay", "-q", "--config", Path.Combine(TestPaths.RepositoryRoot, "deploy", "trafficsensor.yaml"), CmdShellCapture);
        Assert.True(code2 == 0, err);
        Assert.NotEmpty(plain);
        Assert.Equal(plain.Split('\n').Order(), configured.Split('\n').Order());
    }

    [Fact]
    public void A_suppression_rule_keeps_matching_alerts_out_of_the_alert_stream_and_the_transactions_say_why()
    {
        var tx = Path.Combine(_dir, "tx.json");
        var alerts = Path.Combine(_dir, "alerts.json");
        var (code, _, err) = Run("replay", "-q", "-t", tx, "-a", alerts, CmdShellCapture);
        Assert.True(code == 0, err);
        var unsuppressed = JsonLines(alerts);
        Assert.Contains(unsuppressed, a => a.GetProperty("http").GetProperty("url").GetString()!.StartsWith("/lib/images/upgrade501.php", StringComparison.Ordinal));

        var config = Config("""
            outputs:
              transactions: IGNORED-BY-CLI.json
            suppressions:
              - name: lab-upgrade-page
                server: 127.0.10.0/24
                path: /lib/images/upgrade501.php
            """);
        // Logs are appended to, never truncated: the second run writes to files of its own.
        tx = Path.Combine(_dir, "tx-suppressed.json");
        alerts = Path.Combine(_dir, "alerts-suppressed.json");
        var (code2, _, err2) = Run("replay", "-q", "--config", config, "-t", tx, "-a", alerts, CmdShellCapture);
        Assert.True(code2 == 0, err2);
        Assert.False(File.Exists("IGNORED-BY-CLI.json"));
        Assert.DoesNotContain(JsonLines(alerts), a => a.GetProperty("http").GetProperty("url").GetString()!.StartsWith("/lib/images/upgrade501.php", StringComparison.Ordinal));
        var suppressed = JsonLines(tx).Where(t => t.GetProperty("ml").TryGetProperty("suppressed_by", out _)).ToList();
        Assert.NotEmpty(suppressed);
        Assert.All(suppressed, t =>
        {
            Assert.Equal("lab-upgrade-page", t.GetProperty("ml").GetProperty("suppressed_by").GetString());
            Assert.False(t.GetProperty("ml").GetProperty("alert").GetBoolean());
            Assert.StartsWith("/lib/images/upgrade501.php", t.GetProperty("http").GetProperty("url").GetString());
        });
    }

    [Fact]
    public void Settings_come_from_the_file_unless_the_command_line_gives_them()
    {
        var fromFile = Path.Combine(_dir, "from-file.json");
        var fromCli = Path.Combine(_dir, "from-cli.json");
        var config = Config($"""
            outputs:
              transactions: {fromFile}
            detection:
              enabled: false
            """);
        var (code, output, err) = Run("replay", "-q", "--config", config, CmdShellCapture);
        Assert.True(code == 0, err);
        Assert.Equal("", output);
        var lines = JsonLines(fromFile);
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.False(l.TryGetProperty("ml", out _))); // detection.enabled: false = --no-model

        File.Delete(fromFile);
        (code, _, err) = Run("replay", "-q", "--config", config, "-t", fromCli, CmdShellCapture);
        Assert.True(code == 0, err);
        Assert.False(File.Exists(fromFile));
        Assert.Equal(lines.Count, JsonLines(fromCli).Count);
    }

    [Fact]
    public void A_mistyped_key_is_a_usage_error_naming_the_key_and_line()
    {
        var config = Config("capture:\n  snaplen: 1500\n  bufer_megabytes: 8\n");
        var (code, output, err) = Run("replay", "--config", config, CmdShellCapture);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains($"{config}:3:3: unknown key 'capture.bufer_megabytes'", err);

        var (code2, _, err2) = Run("live", "--config", Path.Combine(_dir, "missing.yaml"));
        Assert.Equal(1, code2);
        Assert.Contains("cannot read configuration file", err2);

        var (code3, _, err3) = Run("live", "--config", Config("outputs:\n  status_interval: 5\n"));
        Assert.Equal(1, code3);
        Assert.Contains("missing required option --interface", err3);
    }

    [Fact]
    public void A_state_file_carries_what_was_learned_into_the_next_run()
    {
        var state = Path.Combine(_dir, "learned.state");
        var (code, _, err) = Run("replay", "--state", state, "-t", Path.Combine(_dir, "first.json"), "-a", Path.Combine(_dir, "first-alerts.json"), CmdShellCapture);
        Assert.True(code == 0, err);
        Assert.True(new FileInfo(state).Length > 0);
        Assert.DoesNotContain("resuming from", err);

        var (code2, _, err2) = Run("replay", "--state", state, "-t", Path.Combine(_dir, "second.json"), "-a", Path.Combine(_dir, "second-alerts.json"), CmdShellCapture);
        Assert.True(code2 == 0, err2);
        Assert.Contains($"resuming from {state}", err2);

        File.WriteAllText(state, "not a state file");
        var (code3, _, err3) = Run("replay", "--state", state, "-t", Path.Combine(_dir, "third.json"), "-a", Path.Combine(_dir, "third-alerts.json"), CmdShellCapture);
        Assert.True(code3 == 0, err3); // said, and started afresh
        Assert.Contains("is not a usable learned-state file", err3);

        // Checked before the run like every output: never a capture, never stdout.
        var (code4, _, err4) = Run("replay", "--state", CmdShellCapture, "-t", Path.Combine(_dir, "fourth.json"), CmdShellCapture);
        Assert.Equal(1, code4);
        Assert.Contains("is one of the inputs", err4);
        Assert.Equal(1, Run("replay", "--state", "-", "-t", Path.Combine(_dir, "fifth.json"), CmdShellCapture).Code);
    }

    [Theory]
    [InlineData("0.5ms")]
    [InlineData("11s")]
    public void A_libpcap_buffer_timeout_outside_1ms_to_10s_is_named_not_rounded(string timeout)
    {
        var config = Config($"""
            capture:
              interface: lo
              buffer_timeout: {timeout}
            """);
        var (code, _, err) = Run("live", "--config", config, "--no-model");
        Assert.NotEqual(0, code);
        Assert.Contains("capture.buffer_timeout must be between 1ms and 10s", err);
    }
}
