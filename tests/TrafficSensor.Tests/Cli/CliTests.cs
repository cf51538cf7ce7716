using System.Diagnostics;
using System.Net;
using System.Text.Json;
using TrafficSensor.Capture;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Cli;

/// <summary>Runs the real CLI binary as a user would, checking exit codes and what goes to stdout and stderr.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "trafficsensor.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }

    private static string RealCapture(string name) => Path.Combine(TestPaths.SharedRealPcaps, name);

    [Fact]
    public void Replay_writes_only_json_lines_to_stdout_and_the_summary_to_stderr()
    {
        var (code, output, err) = Run("replay", "--no-model", RealCapture("cmdshell-php-marcellelee.pcap"));
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(11, lines.Length);
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            Assert.Equal("http", doc.RootElement.GetProperty("event_type").GetString());
        }
        Assert.Contains("http transactions", err);
        Assert.Contains(lines, l => l.Contains("\"url\":\"/badshell.php?cmd=whoami\""));
    }

    [Fact]
    public void Transactions_and_stats_files_are_written()
    {
        var tx = Path.Combine(_dir, "tx.json");
        var stats = Path.Combine(_dir, "stats.json");
        var (code, output, _) = Run("replay", "-q", RealCapture("antsword-php-cmacckk.pcap"), "--transactions", tx, "--stats", stats);
        Assert.Equal(0, code);
        Assert.Equal("", output);
        Assert.Equal(6, File.ReadAllLines(tx).Length);
        using var doc = JsonDocument.Parse(File.ReadAllText(stats));
        Assert.Equal(654, doc.RootElement.GetProperty("packets").GetInt64());
        Assert.Equal(6, doc.RootElement.GetProperty("http_transactions").GetInt64());
        Assert.True(doc.RootElement.GetProperty("elapsed_seconds").GetDouble() > 0);
    }

    [Fact]
    public void Bpf_filter_selects_traffic()
    {
        var (code, output, _) = Run("replay", "-q", RealCapture("cmdshell-php-marcellelee.pcap"), "--bpf", "tcp port 12345");
        Assert.Equal(0, code);
        Assert.Equal("", output);
    }

    [Fact]
    public void An_invalid_bpf_filter_is_a_clear_error()
    {
        var (code, _, err) = Run("replay", "-q", RealCapture("cmdshell-php-marcellelee.pcap"), "--bpf", "tcp port ((");
        Assert.Equal(3, code);
        Assert.Contains("invalid BPF filter", err);
    }

    [Fact]
    public void Unusable_input_exits_2_with_a_message()
    {
        var notCapture = Path.Combine(_dir, "x.pcap");
        File.WriteAllText(notCapture, "hello");
        var (code, output, err) = Run("replay", notCapture);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("not a readable pcap/pcapng file", err);
        Assert.Equal(2, Run("replay", Path.Combine(_dir, "missing.pcap")).Code);
    }

    [Fact]
    public void One_bad_file_among_good_ones_is_reported_and_the_rest_processed()
    {
        var bad = Path.Combine(_dir, "bad.pcap");
        File.WriteAllText(bad, "hello");
        var (code, output, err) = Run("replay", "-q", "--no-model", bad, RealCapture("cmdshell-php-marcellelee.pcap"));
        Assert.Equal(0, code);
        Assert.Equal(11, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("bad.pcap", err);
    }

    [Fact]
    public void Usage_errors_exit_1_and_help_exits_0()
    {
        Assert.Equal(1, Run("replay").Code);
        Assert.Equal(1, Run("replay", "--workers", "0", "x.pcap").Code);
        Assert.Equal(1, Run("nonsense").Code);
        var help = Run("--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("replay", help.Out);
    }

    [Fact]
    public void Attacker_bytes_are_escaped_in_the_json()
    {
        var request = "GET /a?x=<script>alert(1)</script>&y=\u001b[31m HTTP/1.1\r\nHost: h\r\nUser-Agent: \"quoted\" \\ \u0007bell\r\n\r\n";
        var packets = new TcpConversation(IPAddress.Parse("10.0.0.1"), 5555, IPAddress.Parse("10.0.0.2"), 80).Client(request).Server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").Packets();
        var pcap = SensorRun.ToPcap(LinkType.Ethernet, packets).WriteTo(Path.Combine(_dir, "xss.pcap"));
        var (code, output, _) = Run("replay", "-q", "--no-model", pcap);
        Assert.Equal(0, code);
        Assert.DoesNotContain("<script>", output);
        Assert.DoesNotContain("\u001b", output);
        Assert.DoesNotContain("\u0007", output);
        using var doc = JsonDocument.Parse(output.Trim());
        var http = doc.RootElement.GetProperty("http");
        Assert.Equal("/a?x=<script>alert(1)</script>&y=\u001b[31m", http.GetProperty("url").GetString());
        Assert.Equal("\"quoted\" \\ \u0007bell", http.GetProperty("http_user_agent").GetString());
    }

    [Fact]
    public void The_bundled_model_alerts_on_a_real_web_shell_session_and_groups_it()
    {
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "models", "default.zip")), "models/default.zip is not bundled with the CLI");
        var (code, output, _) = Run("replay", "-q", RealCapture("cmdshell-php-marcellelee.pcap"));
        Assert.Equal(0, code);
        var alerts = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(alerts);
        Assert.All(alerts, a => Assert.Equal("alert", a.GetProperty("event_type").GetString()));
        Assert.All(alerts, a => Assert.Contains("/badshell.php", a.GetProperty("http").GetProperty("url").GetString()));
        Assert.All(alerts, a => Assert.Equal("T1505.003 Web Shell", a.GetProperty("alert").GetProperty("category").GetString()));
        Assert.All(alerts, a => Assert.True(a.GetProperty("anomaly").GetProperty("score").GetDouble() >= a.GetProperty("anomaly").GetProperty("threshold").GetDouble()));
        // One session, one thread: every line names the same thread, with a growing count.
        Assert.Single(alerts.Select(a => a.GetProperty("alert").GetProperty("thread_id").GetInt64()).Distinct());
    }

    [Fact]
    public void Every_transaction_record_carries_its_verdict_when_a_model_is_used()
    {
        var tx = Path.Combine(_dir, "tx.json");
        var (code, _, _) = Run("replay", "-q", RealCapture("benign-http-zeek-wikipedia.pcap"), "-t", tx);
        Assert.Equal(0, code);
        foreach (var line in File.ReadAllLines(tx))
        {
            using var doc = JsonDocument.Parse(line);
            var anomaly = doc.RootElement.GetProperty("anomaly");
            Assert.False(anomaly.GetProperty("alert").GetBoolean());
            Assert.Equal("default", anomaly.GetProperty("model").GetString());
        }
    }

    [Fact]
    public void A_corrupt_model_is_a_clear_error()
    {
        var model = Path.Combine(_dir, "bad.zip");
        File.WriteAllText(model, "garbage");
        var (code, _, err) = Run("replay", "--model", model, RealCapture("cmdshell-php-marcellelee.pcap"));
        Assert.Equal(2, code);
        Assert.Contains("not a usable model file", err);
    }

    [Fact]
    public void Train_then_evaluate_on_lab_samples()
    {
        var samples = Path.Combine(TestPaths.ProjectPcaps, "lab", "samples");
        var model = Path.Combine(_dir, "lab.zip");
        var benign = Directory.GetFiles(samples, "benign-*.pcap");
        var train = Run(["train", "--benign", .. benign, "--labels", .. benign.Select(b => b.Replace(".pcap", ".labels.jsonl")), "-o", model, "--target-fpr", "0.01"]);
        Assert.Equal(0, train.Code);
        Assert.Contains("trained 'lab'", train.Err);
        var attacks = Directory.GetFiles(samples, "webshell-*.pcap");
        var evaluation = Run(["evaluate", "--model", model, "--pcap", .. attacks, "--labels", .. attacks.Select(a => a.Replace(".pcap", ".labels.jsonl"))]);
        Assert.Equal(0, evaluation.Code);
        Assert.Contains("recall", evaluation.Out);
        Assert.Contains("regeorg", evaluation.Out);
    }

    [Fact]
    public void Evidence_captures_hold_the_alerted_flows_and_are_named_in_the_alerts()
    {
        var dir = Path.Combine(_dir, "evidence");
        var (code, output, _) = Run("replay", "-q", RealCapture("cmdshell-php-marcellelee.pcap"), "--evidence", dir);
        Assert.Equal(0, code);
        var alerts = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var files = alerts.Select(a => a.GetProperty("alert").GetProperty("evidence").GetString()!).Distinct().ToList();
        var file = Assert.Single(files);
        Assert.True(File.Exists(file));
        // tshark, independent of the sensor, finds the web-shell requests in the evidence file.
        var requests = Tshark.Transactions(file);
        Assert.NotEmpty(requests);
        Assert.All(requests, r => Assert.Contains("/badshell.php", r));
    }

    [Fact]
    public void Version_prints_one_line()
    {
        var (code, output, _) = Run("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^trafficsensor \d+\.\d+\.\d+\S*\n$", output.Replace("\r", ""));
    }

    [Fact]
    public void Live_on_a_missing_interface_exits_3_and_names_the_real_ones()
    {
        var (code, output, err) = Run("live", "-i", "no-such-if0", "--no-metrics");
        Assert.Equal(3, code);
        Assert.Equal("", output);
        Assert.Contains("no capture interface named 'no-such-if0'", err);
        Assert.Contains("lo", err);
    }

    [Fact]
    public void Live_rejects_a_malformed_metrics_address_before_capturing()
    {
        var (code, _, err) = Run("live", "-i", "lo", "--metrics", "localhost");
        Assert.Equal(1, code);
        Assert.Contains("--metrics must be ADDRESS:PORT", err);
    }

    [Fact]
    public void Live_exits_3_when_the_metrics_port_is_taken()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (code, _, err) = Run("live", "-i", "lo", "--bpf", "tcp port 9", "--metrics", $"127.0.0.1:{port}", "--no-model");
        Assert.Equal(3, code);
        Assert.Contains($"cannot serve metrics on 127.0.0.1:{port}", err);
    }

    [Fact]
    public void Interfaces_lists_loopback_and_health_fails_without_a_sensor()
    {
        var (code, output, _) = Run("interfaces");
        Assert.Equal(0, code);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("lo\tup,loopback\t127.0.0.1", StringComparison.Ordinal));

        using var free = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        free.Start();
        var port = ((IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();
        var (healthCode, _, err) = Run("health", "--metrics", $"127.0.0.1:{port}");
        Assert.Equal(3, healthCode);
        Assert.Contains("no sensor metrics", err);
    }
}
