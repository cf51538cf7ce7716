using System.Net;
using System.Text.Json;
using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Output;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Output;

public sealed class EveAlertWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-alerts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static TransactionRecord Record(string clientIp, string path, bool alert, string query = "?cmd=id")
    {
        var packets = new TcpConversation(IPAddress.Parse(clientIp), 40000, IPAddress.Parse("10.0.0.80"), 80)
            .Client($"GET {path}{query} HTTP/1.1\r\nHost: h\r\n\r\n").Server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").Packets();
        var record = Assert.Single(SensorRun.Capture(SensorRun.ToPcap(LinkType.Ethernet, packets)).Records);
        return record with { Verdict = new Verdict(alert ? 0.99f : 0.1f, 0.8f, alert, alert ? [new Reason("command_tokens", 1, 0)] : [], "test") };
    }

    private static List<JsonElement> Lines(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    [Fact]
    public void Every_alerting_transaction_is_a_line_of_its_thread_and_transaction_records_carry_the_thread()
    {
        var alertsPath = Path.Combine(_dir, "alerts.json");
        var txPath = Path.Combine(_dir, "tx.json");
        var threads = new AlertThreads();
        var alerts = new EveAlertWriter(JsonLinesLog.Open(alertsPath));
        var transactions = new EveJsonWriter(JsonLinesLog.Open(txPath));
        var output = new AlertThreadingOutput(threads, transactions, alerts);
        var shell = Record("10.0.0.5", "/x.php", alert: true);
        for (var i = 0; i < 20; i++) output.Write(shell);
        output.Write(Record("10.0.0.5", "/index.html", alert: false, query: ""));
        alerts.Dispose();
        transactions.Dispose();

        var lines = Lines(alertsPath);
        // Before: lines at counts 1, 2, 4, 8, 16 and a final one, dropping the rest. Now each one.
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), lines.Select(l => l.GetProperty("alert").GetProperty("count").GetInt64()));
        Assert.Single(lines.Select(l => l.GetProperty("alert").GetProperty("thread_id").GetInt64()).Distinct());
        Assert.All(lines, l => Assert.Equal(l.GetProperty("alert").GetProperty("thread_id").GetInt64(), l.GetProperty("ml").GetProperty("thread_id").GetInt64()));
        Assert.Equal("T1505.003 Web Shell", lines[0].GetProperty("alert").GetProperty("category").GetString());
        Assert.Equal("command_tokens", lines[0].GetProperty("ml").GetProperty("reasons")[0].GetProperty("feature").GetString());
        Assert.False(lines[0].TryGetProperty("anomaly", out _)); // Suricata's name for its own event type
        Assert.Equal(20, threads.Alerts);

        var tx = Lines(txPath);
        Assert.Equal(21, tx.Count);
        Assert.Equal(20, tx.Count(t => t.GetProperty("ml").TryGetProperty("thread_id", out var id) && id.GetInt64() == 1));
        Assert.False(tx[^1].GetProperty("ml").TryGetProperty("thread_id", out _));
    }

    [Fact]
    public void Different_clients_or_paths_are_different_threads_and_open_threads_are_bounded()
    {
        var path = Path.Combine(_dir, "alerts.json");
        var threads = new AlertThreads(maxThreads: 3);
        var alerts = new EveAlertWriter(JsonLinesLog.Open(path));
        var output = new AlertThreadingOutput(threads, alerts);
        for (var i = 1; i <= 10; i++) output.Write(Record($"10.0.1.{i}", "/x.php", alert: true));
        output.Write(Record("10.0.1.1", "/x.php", alert: true)); // forgotten (beyond 3 open threads): a new thread
        alerts.Dispose();
        var ids = Lines(path).Select(l => l.GetProperty("alert").GetProperty("thread_id").GetInt64()).ToList();
        Assert.Equal(11, ids.Distinct().Count());
        Assert.Equal(11, threads.Threads);
    }
}
