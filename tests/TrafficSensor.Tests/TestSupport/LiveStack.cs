using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace TrafficSensor.Tests.TestSupport;

/// <summary>
/// The real programs of a live deployment, started for one test and stopped (by their own process
/// ids) when it ends: PHP sites with the lab's planted ?cmd= shell, `trafficsensor live`,
/// Debian's Prometheus and Alertmanager. Each process logs to a file in the test's directory; a wait
/// that times out fails with those logs.
/// </summary>
public sealed class LiveStack : IDisposable
{
    private readonly List<Process> _processes = new();

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("ts-live-").FullName;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(5) };

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
        Http.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public Process Start(string file, IEnumerable<string> args, string log, IReadOnlyDictionary<string, string>? environment = null)
    {
        var p = ExternalTool.Start(file, args, environment: environment);
        var writer = new StreamWriter(Path.Combine(Directory, log)) { AutoFlush = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add(p);
        return p;
    }

    public string Log(string name)
    {
        var path = Path.Combine(Directory, name);
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    /// <summary>Polls until the condition holds; fails with the processes' logs when it never does.</summary>
    public void WaitFor(string what, Func<bool> condition, int seconds = 60)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed.TotalSeconds < seconds)
        {
            try
            {
                if (condition()) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException or IOException)
            {
                // not up yet
            }
            Thread.Sleep(250);
        }
        var logs = string.Join("\n", System.IO.Directory.GetFiles(Directory, "*.log").Order().Select(f =>
        {
            var text = File.ReadAllText(f);
            return $"--- {Path.GetFileName(f)}:\n{text[^Math.Min(3000, text.Length)..]}";
        }));
        Assert.Fail($"timed out waiting for {what}\n{logs}");
    }

    /// <summary>An instant query; the series of the result with their labels and values.</summary>
    public IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)> QueryAll(int prometheusPort, string promql)
    {
        var json = Http.GetStringAsync($"http://127.0.0.1:{prometheusPort}/api/v1/query?query={Uri.EscapeDataString(promql)}").GetAwaiter().GetResult();
        using var doc = JsonDocument.Parse(json);
        var data = doc.RootElement.GetProperty("data");
        if (data.GetProperty("resultType").GetString() != "vector") throw new InvalidOperationException("not a vector: " + promql);
        return data.GetProperty("result").EnumerateArray().Select(r => (
            (IReadOnlyDictionary<string, string>)r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
            double.Parse(r.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture))).ToList();
    }

    /// <summary>The first value of an instant query, NaN when it is empty.</summary>
    public double Query(int prometheusPort, string promql)
    {
        var result = QueryAll(prometheusPort, promql);
        return result.Count == 0 ? double.NaN : result[0].Value;
    }

    public static void Curl(params string[] args)
    {
        var (code, _, err) = ExternalTool.Run("curl", ["-sS", "-o", "/dev/null", "--max-time", "10", .. args]);
        Assert.True(code == 0, "curl failed: " + err);
    }

    /// <summary>
    /// A PHP site (four pages and a stylesheet) with the lab's harmless ?cmd= shell emulator planted at
    /// /uploads/cmd.php, served by `php -S` on its own loopback address. Returns the port.
    /// </summary>
    public int StartShellSite(string address, string name = "php")
    {
        var root = System.IO.Directory.CreateDirectory(Path.Combine(Directory, name)).FullName;
        var www = System.IO.Directory.CreateDirectory(Path.Combine(root, "www")).FullName;
        var labPhp = Path.Combine(TestPaths.RepositoryRoot, "pcaps", "lab", "www", "php");
        System.IO.Directory.CreateDirectory(Path.Combine(www, "uploads"));
        File.Copy(Path.Combine(labPhp, "cmd.php"), Path.Combine(www, "uploads", "cmd.php"));
        foreach (var page in BenignPages)
            File.WriteAllText(Path.Combine(www, page + ".html"), $"<!doctype html><html><head><title>{page}</title><link rel=stylesheet href=/site.css></head><body><h1>{page}</h1>{string.Concat(Enumerable.Repeat("<p>Lorem ipsum dolor sit amet.</p>", 20))}</body></html>");
        File.WriteAllText(Path.Combine(www, "site.css"), "body { font-family: sans-serif; }\n");
        var sandbox = System.IO.Directory.CreateDirectory(Path.Combine(root, "sandbox")).FullName;
        File.WriteAllText(Path.Combine(sandbox, "lab-notes.txt"), "lab\n");
        var port = FreePort();
        Start("php", ["-S", $"{address}:{port}", "-t", www], name + ".log",
            new Dictionary<string, string> { ["LAB_SHELL_LIB"] = Path.Combine(labPhp, "lab_shell.php"), ["LAB_SANDBOX"] = sandbox });
        WaitFor("the web server " + name, () => Http.GetAsync($"http://{address}:{port}/site.css").GetAwaiter().GetResult().IsSuccessStatusCode);
        return port;
    }

    public static readonly string[] BenignPages = ["index", "about", "products", "contact"];

    /// <summary>One visit of a browser to every page and the stylesheet; returns the number of transactions.</summary>
    public static int BrowseSite(string site)
    {
        const string browser = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        foreach (var page in BenignPages)
        {
            Curl("-A", browser, "-H", "Accept: text/html,application/xhtml+xml", "-H", "Accept-Language: en-GB,en;q=0.7",
                "-H", $"Referer: {site}/index.html", "-b", "session=4f2a9c", $"{site}/{page}.html");
        }
        Curl("-A", browser, "-H", "Accept: text/css", "-H", $"Referer: {site}/index.html", $"{site}/site.css");
        return BenignPages.Length + 1;
    }

    /// <summary>`trafficsensor live` (the test build) with the given arguments; waits until its metrics say it captures.</summary>
    public Process StartSensor(string log, int metricsPort, params string[] args)
    {
        var sensor = Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "trafficsensor.dll"), "live", "--metrics", $"127.0.0.1:{metricsPort}", .. args], log);
        WaitFor("the sensor's metrics endpoint (" + log + ")", () =>
            Http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics").GetAwaiter().GetResult().Contains("\ntrafficsensor_capture_running 1"));
        return sensor;
    }

    /// <summary>Debian's Prometheus with the given configuration; returns its port once it is ready.</summary>
    public int StartPrometheus(string name, string configuration)
    {
        var port = FreePort();
        var config = Path.Combine(Directory, name + ".yml");
        File.WriteAllText(config, configuration);
        Start("prometheus", [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(Directory, name + "-tsdb")}",
            $"--web.listen-address=127.0.0.1:{port}"], name + ".log");
        WaitFor(name + " to be ready", () => Http.GetAsync($"http://127.0.0.1:{port}/-/ready").GetAwaiter().GetResult().IsSuccessStatusCode);
        return port;
    }

    /// <summary>Debian's Alertmanager (clustering off) with the given configuration; returns its port once it is ready.</summary>
    public int StartAlertmanager(string configuration)
    {
        var port = FreePort();
        var config = Path.Combine(Directory, "alertmanager.yml");
        File.WriteAllText(config, configuration);
        Start("prometheus-alertmanager", [$"--config.file={config}", $"--storage.path={Path.Combine(Directory, "alertmanager-data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="], "alertmanager.log");
        WaitFor("Alertmanager to be ready", () => Http.GetAsync($"http://127.0.0.1:{port}/-/ready").GetAwaiter().GetResult().IsSuccessStatusCode);
        return port;
    }

    /// <summary>Waits until Prometheus scrapes <paramref name="count"/> healthy targets.</summary>
    public void WaitForTargets(int prometheusPort, int count) => WaitFor($"Prometheus to scrape {count} target(s)", () =>
    {
        var json = Http.GetStringAsync($"http://127.0.0.1:{prometheusPort}/api/v1/targets").GetAwaiter().GetResult();
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray().Count(t => t.GetProperty("health").GetString() == "up") >= count;
    });
}
