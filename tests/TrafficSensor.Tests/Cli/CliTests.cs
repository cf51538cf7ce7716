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
        // With a model the alert stream stays on stdout when -t names a file.
        Assert.All(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Contains("\"event_type\":\"alert\"", l));
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
        var shortHelp = Run("replay", "-h");
        Assert.Equal(0, shortHelp.Code);
        Assert.Contains("--transactions", shortHelp.Out);
    }

    [Fact]
    public void Attacker_bytes_are_escaped_as_json_requires_and_no_more()
    {
        var request = "GET /a?x=<script>alert(1)</script>&y=\u001b[31m HTTP/1.1\r\nHost: h\r\nUser-Agent: \"quoted\" \\ \u0007bell\r\n\r\n";
        var packets = new TcpConversation(IPAddress.Parse("10.0.0.1"), 5555, IPAddress.Parse("10.0.0.2"), 80).Client(request).Server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").Packets();
        var pcap = SensorRun.ToPcap(LinkType.Ethernet, packets).WriteTo(Path.Combine(_dir, "xss.pcap"));
        var (code, output, _) = Run("replay", "-q", "--no-model", pcap);
        Assert.Equal(0, code);
        // Control characters cannot reach a terminal or log viewer raw; <>&'+ stay readable, as in Suricata's EVE.
        Assert.DoesNotContain("\u001b", output);
        Assert.DoesNotContain("\u0007", output);
        Assert.Contains("<script>alert(1)</script>&y=\\u001b[31m", output);
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
        Assert.All(alerts, a => Assert.True(a.GetProperty("ml").GetProperty("score").GetDouble() >= a.GetProperty("ml").GetProperty("threshold").GetDouble()
                                              || a.GetProperty("ml").GetProperty("probability").GetDouble() >= a.GetProperty("ml").GetProperty("probability_threshold").GetDouble()));
        // One session, one thread: every alerting transaction is a line naming the same thread, counting up.
        Assert.Single(alerts.Select(a => a.GetProperty("alert").GetProperty("thread_id").GetInt64()).Distinct());
        Assert.Equal(Enumerable.Range(1, alerts.Count).Select(i => (long)i), alerts.Select(a => a.GetProperty("alert").GetProperty("count").GetInt64()).Order());
        Assert.All(alerts, a => Assert.EndsWith("cmdshell-php-marcellelee.pcap", a.GetProperty("pcap_filename").GetString()));
    }

    [Fact]
    public void Every_transaction_record_carries_its_verdict_when_a_model_is_used()
    {
        var tx = Path.Combine(_dir, "tx.json");
        var (code, output, _) = Run("replay", "-q", RealCapture("benign-http-zeek-wikipedia.pcap"), "-t", tx);
        Assert.Equal(0, code);
        Assert.Equal("", output); // no alerts in benign traffic; the alert stream still goes to stdout (see below)
        foreach (var line in File.ReadAllLines(tx))
        {
            using var doc = JsonDocument.Parse(line);
            var anomaly = doc.RootElement.GetProperty("ml");
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
        var firstRun = File.ReadAllBytes(file);

        // A second run writes its own file and leaves the first run's evidence as it was (before: thread-1.pcap overwritten).
        var again = Run("replay", "-q", RealCapture("cmdshell-php-marcellelee.pcap"), "--evidence", dir);
        Assert.Equal(0, again.Code);
        var secondFile = JsonDocument.Parse(again.Out.Split('\n')[0]).RootElement.GetProperty("alert").GetProperty("evidence").GetString()!;
        Assert.NotEqual(file, secondFile);
        Assert.Equal(firstRun, File.ReadAllBytes(file));
        Assert.Equal(2, Directory.GetFiles(dir, "*.pcap").Length);
        // tshark, independent of the sensor, finds the web-shell requests in the evidence file.
        var requests = Tshark.Transactions(file);
        Assert.NotEmpty(requests);
        Assert.All(requests, r => Assert.Contains("/badshell.php", r));
    }

    [Theory]
    [InlineData(new[] { "replay", "--bogus", "x.pcap" }, "unknown option --bogus")]
    [InlineData(new[] { "replay", "--workers", "abc", "x.pcap" }, "--workers: 'abc' is not a whole number")]
    [InlineData(new[] { "replay", "--overlap", "middle", "x.pcap" }, "--overlap: 'middle' is not one of: first, last")]
    [InlineData(new[] { "replay" }, "missing the input PATH")]
    [InlineData(new[] { "live" }, "missing required option --interface")]
    [InlineData(new[] { "nonsense" }, "unknown command 'nonsense'")]
    public void A_usage_error_names_what_was_wrong_instead_of_printing_the_help(string[] args, string message)
    {
        var (code, output, err) = Run(args);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains($"trafficsensor: error: {message}", err);
        Assert.DoesNotContain("--max-flows", err); // not the whole help
        Assert.True(err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 3, err);
    }

    [Fact]
    public void Stdout_carries_one_stream_stats_to_stdout_are_one_line()
    {
        var capture = RealCapture("cmdshell-php-marcellelee.pcap");
        var conflict = Run("replay", "-q", capture, "--stats", "-"); // the alerts already go to stdout
        Assert.Equal(1, conflict.Code);
        Assert.Contains("--stats -: stdout already carries the alerts", conflict.Err);
        Assert.Equal(1, Run("replay", "-q", "--no-model", capture, "--stats", "-").Code); // the transactions do
        Assert.Equal(1, Run("replay", "-q", capture, "-t", "-", "-a", "-").Code);

        var (code, output, _) = Run("replay", "-q", capture, "-t", Path.Combine(_dir, "tx.json"), "-a", Path.Combine(_dir, "alerts.json"), "--stats", "-");
        Assert.Equal(0, code);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var doc = JsonDocument.Parse(line);
        Assert.Equal(171, doc.RootElement.GetProperty("packets").GetInt64());
    }

    [Fact]
    public void Alerts_stay_on_stdout_when_only_transactions_go_to_a_file()
    {
        var tx = Path.Combine(_dir, "tx.json");
        var (code, output, _) = Run("replay", "-q", RealCapture("cmdshell-php-marcellelee.pcap"), "-t", tx);
        Assert.Equal(0, code);
        var alerts = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(alerts);
        Assert.All(alerts, a => Assert.Equal("alert", a.GetProperty("event_type").GetString()));
        Assert.Equal(11, File.ReadAllLines(tx).Length);

        // -t - takes stdout: the transactions carry the verdicts, and stderr says the alert stream is not separate.
        var (code2, output2, err2) = Run("replay", "-q", RealCapture("cmdshell-php-marcellelee.pcap"), "-t", "-");
        Assert.Equal(0, code2);
        Assert.Equal(11, output2.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("give -a FILE", err2);
    }

    [Fact]
    public void A_restart_appends_to_the_logs()
    {
        var tx = Path.Combine(_dir, "tx.json");
        var alerts = Path.Combine(_dir, "alerts.json");
        for (var run = 0; run < 2; run++)
            Assert.Equal(0, Run("replay", "-q", RealCapture("cmdshell-php-marcellelee.pcap"), "-t", tx, "-a", alerts).Code);
        Assert.Equal(22, File.ReadAllLines(tx).Length);
        var alertLines = File.ReadAllLines(alerts);
        Assert.True(alertLines.Length >= 2 && alertLines.Length % 2 == 0);
    }

    [Fact]
    public void An_output_that_is_an_input_is_refused_and_the_capture_kept()
    {
        var capture = Path.Combine(_dir, "in.pcap");
        File.Copy(RealCapture("cmdshell-php-marcellelee.pcap"), capture);
        var link = Path.Combine(_dir, "link.json");
        File.CreateSymbolicLink(link, capture);
        var before = File.ReadAllBytes(capture);
        foreach (var args in new[] { new[] { "-t", capture }, ["--stats", capture], ["-a", link], ["--stats", Path.Combine(_dir, ".", "in.pcap")] })
        {
            var (code, output, err) = Run(["replay", "-q", capture, .. args]);
            Assert.Equal(1, code);
            Assert.Equal("", output);
            Assert.Contains("is one of the inputs", err);
            Assert.Equal(before, File.ReadAllBytes(capture)); // before: -t/--stats truncated the capture
        }
        var same = Run("replay", "-q", capture, "-t", Path.Combine(_dir, "o.json"), "-a", Path.Combine(_dir, "o.json"));
        Assert.Equal(1, same.Code);
        Assert.Contains("is also the file of --transactions", same.Err);
        Assert.Equal(0, Run("replay", "-q", capture, "-t", "/dev/null", "-a", "/dev/null").Code); // as bench/live-load.sh runs it
    }

    [Fact]
    public void Unwritable_outputs_are_refused_before_the_run()
    {
        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "");
        var capture = RealCapture("cmdshell-php-marcellelee.pcap");
        foreach (var args in new[] { new[] { "--stats", Path.Combine(file, "s.json") }, ["-t", Path.Combine(file, "t.json")], ["-a", Path.Combine(file, "a.json")],
                     ["--evidence", Path.Combine(file, "ev")], ["--stats", _dir] })
        {
            var (code, output, err) = Run(["replay", capture, .. args]);
            Assert.Equal(1, code); // before: a stack trace and exit 134, after the whole run
            Assert.Equal("", output);
            Assert.Contains("trafficsensor: error: ", err);
            Assert.DoesNotContain("Unhandled exception", err);
            Assert.DoesNotContain("http transactions", err); // refused before the run, not after it
        }
    }

    [Fact]
    public async Task Inputs_from_a_pipe_are_read_as_a_stream()
    {
        var capture = File.ReadAllBytes(RealCapture("cmdshell-php-marcellelee.pcap"));
        foreach (var path in new[] { "-", "/dev/stdin" })
        {
            using var p = ExternalTool.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "trafficsensor.dll"), "replay", "-q", "--no-model", path], redirectInput: true);
            var output = p.StandardOutput.ReadToEndAsync();
            var err = p.StandardError.ReadToEndAsync();
            p.StandardInput.BaseStream.Write(capture);
            p.StandardInput.Close();
            Assert.True(p.WaitForExit(120_000));
            Assert.True(p.ExitCode == 0, await err);
            Assert.Equal(11, (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }
        var withEvidence = Run("replay", "-q", "-", "--evidence", Path.Combine(_dir, "ev"));
        Assert.Equal(1, withEvidence.Code);
        Assert.Contains("--evidence reads the captures a second time", withEvidence.Err);
    }

    [Fact]
    public void Train_on_a_missing_path_is_a_clear_error()
    {
        var (code, _, err) = Run("train", "--benign", Path.Combine(_dir, "nonexistent"), "-o", Path.Combine(_dir, "m.zip"));
        Assert.Equal(1, code);
        Assert.Contains("--benign: no such file or directory", err);
        var empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        var (code2, _, err2) = Run("train", "--benign", empty, "-o", Path.Combine(_dir, "m.zip"));
        Assert.Equal(1, code2);
        Assert.Contains("--benign: no capture files", err2);
        Assert.False(File.Exists(Path.Combine(_dir, "m.zip")));
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
        foreach (var bad in new[] { "localhost", "127.0.0.1", "127.0.0.1:99999", "[::1]:9464", "example.org:9464" })
        {
            var (code, _, err) = Run("live", "-i", "lo", "--metrics", bad);
            Assert.Equal(1, code);
            Assert.Contains("--metrics must be", err);
        }
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
