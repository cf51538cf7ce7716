using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
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
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-live-").FullName;
    private readonly List<Process> _processes = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            try
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
            p.Dispose();
        }
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Process Start(string file, IEnumerable<string> args, string log, IReadOnlyDictionary<string, string>? environment = null)
    {
        var p = ExternalTool.Start(file, args, environment: environment);
        var writer = new StreamWriter(Path.Combine(_dir, log)) { AutoFlush = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add(p);
        return p;
    }

    private string Log(string name) => File.Exists(Path.Combine(_dir, name)) ? File.ReadAllText(Path.Combine(_dir, name)) : "";

    /// <summary>Polls until the condition holds; fails with the logs when it never does.</summary>
    private void WaitFor(string what, Func<bool> condition, int seconds = 60)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed.TotalSeconds < seconds)
        {
            try
            {
                if (condition()) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // not up yet
            }
            Thread.Sleep(250);
        }
        Assert.Fail($"timed out waiting for {what}\n--- sensor:\n{Log("sensor.log")}\n--- prometheus:\n{Log("prometheus.log")[^Math.Min(3000, Log("prometheus.log").Length)..]}");
    }

    private double Query(int prometheusPort, string promql)
    {
        var json = _http.GetStringAsync($"http://127.0.0.1:{prometheusPort}/api/v1/query?query={Uri.EscapeDataString(promql)}").GetAwaiter().GetResult();
        using var doc = JsonDocument.Parse(json);
        var result = doc.RootElement.GetProperty("data").GetProperty("result");
        if (result.GetArrayLength() == 0) return double.NaN;
        return double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Curl(params string[] args)
    {
        var (code, _, err) = ExternalTool.Run("curl", ["-sS", "-o", "/dev/null", "--max-time", "10", .. args]);
        Assert.True(code == 0, "curl failed: " + err);
    }

    [Fact]
    public void Live_sensor_feeds_Prometheus_alerts_on_a_web_shell_and_flushes_everything_on_SIGTERM()
    {
        // --- a PHP site with a planted ?cmd= shell (the lab's harmless emulator), on its own loopback address
        var www = Directory.CreateDirectory(Path.Combine(_dir, "www")).FullName;
        var labPhp = Path.Combine(TestPaths.RepositoryRoot, "pcaps", "lab", "www", "php");
        Directory.CreateDirectory(Path.Combine(www, "uploads"));
        File.Copy(Path.Combine(labPhp, "cmd.php"), Path.Combine(www, "uploads", "cmd.php"));
        foreach (var page in new[] { "index", "about", "products", "contact" })
            File.WriteAllText(Path.Combine(www, page + ".html"), $"<!doctype html><html><head><title>{page}</title><link rel=stylesheet href=/site.css></head><body><h1>{page}</h1>{string.Concat(Enumerable.Repeat("<p>Lorem ipsum dolor sit amet.</p>", 20))}</body></html>");
        File.WriteAllText(Path.Combine(www, "site.css"), "body { font-family: sans-serif; }\n");
        var sandbox = Directory.CreateDirectory(Path.Combine(_dir, "sandbox")).FullName;
        File.WriteAllText(Path.Combine(sandbox, "lab-notes.txt"), "lab\n");
        var webPort = FreePort();
        Start("php", ["-S", $"{ServerAddress}:{webPort}", "-t", www], "php.log",
            new Dictionary<string, string> { ["LAB_SHELL_LIB"] = Path.Combine(labPhp, "lab_shell.php"), ["LAB_SANDBOX"] = sandbox });

        // (probed before the sensor starts, so every transaction it sees is one this test counts)
        WaitFor("the web server", () => _http.GetAsync($"http://{ServerAddress}:{webPort}/site.css").GetAwaiter().GetResult().IsSuccessStatusCode);

        // --- the sensor, live on loopback, as documented
        var metricsPort = FreePort();
        var alerts = Path.Combine(_dir, "alerts.json");
        var transactions = Path.Combine(_dir, "tx.json");
        var stats = Path.Combine(_dir, "stats.json");
        var recording = Path.Combine(_dir, "pcap");
        var sensor = Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "trafficsensor.dll"), "live", "-i", "lo",
            "--bpf", $"host {ServerAddress} and tcp port {webPort}", "--metrics", $"127.0.0.1:{metricsPort}",
            "--alerts", alerts, "--transactions", transactions, "--stats", stats,
            "--write-pcap", recording, "--rotate-mb", "1", "--keep", "5", "--status-interval", "0"], "sensor.log");
        WaitFor("the sensor's metrics endpoint", () =>
            _http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics").GetAwaiter().GetResult().Contains("\ntrafficsensor_capture_running 1"));

        // --- Debian's Prometheus, scraping every second with the shipped alerting rules
        var prometheusPort = FreePort();
        var rules = Path.Combine(TestPaths.RepositoryRoot, "deploy", "prometheus", "trafficsensor.rules.yml");
        File.WriteAllText(Path.Combine(_dir, "prometheus.yml"), $"""
            global: {"{"}scrape_interval: 1s, evaluation_interval: 1s{"}"}
            rule_files: ["{rules}"]
            scrape_configs:
              - job_name: trafficsensor
                static_configs: [{"{"}targets: ["127.0.0.1:{metricsPort}"]{"}"}]
            """);
        Start("prometheus", [$"--config.file={Path.Combine(_dir, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(_dir, "tsdb")}",
            $"--web.listen-address=127.0.0.1:{prometheusPort}"], "prometheus.log");
        WaitFor("Prometheus to scrape the sensor", () =>
        {
            var json = _http.GetStringAsync($"http://127.0.0.1:{prometheusPort}/api/v1/targets").GetAwaiter().GetResult();
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray().Any(t => t.GetProperty("health").GetString() == "up");
        });

        // --- benign users, then an attacker using the shell
        const string browser = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        var site = $"http://{ServerAddress}:{webPort}";
        var benign = 0;
        for (var round = 0; round < 6; round++)
        {
            foreach (var page in new[] { "index", "about", "products", "contact" })
            {
                Curl("-A", browser, "-H", "Accept: text/html,application/xhtml+xml", "-H", "Accept-Language: en-GB,en;q=0.7",
                    "-H", $"Referer: {site}/index.html", "-b", "session=4f2a9c", $"{site}/{page}.html");
                benign++;
            }
            Curl("-A", browser, "-H", "Accept: text/css", "-H", $"Referer: {site}/index.html", $"{site}/site.css");
            benign++;
        }
        var shell = 0;
        foreach (var command in new[] { "id", "whoami", "uname -a", "ls -la", "cat lab-notes.txt", "ps aux" })
        {
            Curl("-G", "--data-urlencode", $"cmd={command}", $"{site}/uploads/cmd.php");
            shell++;
        }
        Curl("--data-urlencode", "cmd=netstat -an", $"{site}/uploads/cmd.php");
        shell++;

        // --- Prometheus sees the counters rise and the shipped rule fire
        WaitFor("Prometheus to count every transaction", () => Query(prometheusPort, "sum(trafficsensor_http_transactions_total)") >= benign + shell);
        WaitFor("Prometheus to count the web-shell alerts", () => Query(prometheusPort, "sum(trafficsensor_alerts_total)") >= 1);
        Assert.Equal(benign + shell, Query(prometheusPort, "sum(trafficsensor_http_transactions_total)"));
        Assert.Equal(benign + shell, Query(prometheusPort, "sum(trafficsensor_anomaly_score_count)"));
        Assert.True(Query(prometheusPort, "trafficsensor_packets_total") >= 10 * (benign + shell), "packets");
        Assert.Equal(1, Query(prometheusPort, "trafficsensor_capture_running"));
        Assert.Equal(0, Query(prometheusPort, "trafficsensor_capture_kernel_drops_total"));
        Assert.True(Query(prometheusPort, "trafficsensor_processing_latency_seconds_count") >= benign + shell);
        Assert.Equal(1, Query(prometheusPort, "count(trafficsensor_model_info{model=\"default\"})"));
        WaitFor("the TrafficSensorWebShellAlert rule to fire", () =>
        {
            var json = _http.GetStringAsync($"http://127.0.0.1:{prometheusPort}/api/v1/alerts").GetAwaiter().GetResult();
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
                .Any(a => a.GetProperty("labels").GetProperty("alertname").GetString() == "TrafficSensorWebShellAlert" && a.GetProperty("state").GetString() == "firing");
        });
        var alertsSeenByPrometheus = Query(prometheusPort, "sum(trafficsensor_alerts_total)");

        // --- SIGTERM: a clean exit with everything flushed
        var (killCode, _, killErr) = ExternalTool.Run("kill", ["-TERM", sensor.Id.ToString()]);
        Assert.True(killCode == 0, killErr);
        Assert.True(sensor.WaitForExit(30_000), "the sensor did not stop within 30 s of SIGTERM");
        sensor.WaitForExit();
        Assert.True(sensor.ExitCode == 0, $"exit code {sensor.ExitCode}\n{Log("sensor.log")}");

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
            Assert.Equal("T1505.003 Web Shell", alert.GetProperty("category").GetString());
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
