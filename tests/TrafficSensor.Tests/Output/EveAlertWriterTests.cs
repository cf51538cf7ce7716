using System.Net;
using System.Text.Json;
using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Output;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Output;

public class EveAlertWriterTests
{
    private static TransactionRecord Record(string clientIp, string path, bool alert)
    {
        var packets = new TcpConversation(IPAddress.Parse(clientIp), 40000, IPAddress.Parse("10.0.0.80"), 80)
            .Client($"GET {path}?cmd=id HTTP/1.1\r\nHost: h\r\n\r\n").Server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").Packets();
        var record = Assert.Single(SensorRun.Capture(SensorRun.ToPcap(LinkType.Ethernet, packets)).Records);
        return record with { Verdict = new Verdict(alert ? 0.99f : 0.1f, 0.8f, alert, alert ? [new Reason("command_tokens", 1, 0)] : [], "test") };
    }

    private static List<JsonElement> Lines(MemoryStream ms) =>
        System.Text.Encoding.UTF8.GetString(ms.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    [Fact]
    public void A_session_is_one_thread_written_at_powers_of_two_and_at_the_end()
    {
        var ms = new MemoryStream();
        var writer = new EveAlertWriter(ms);
        var shell = Record("10.0.0.5", "/x.php", alert: true);
        for (var i = 0; i < 20; i++) writer.Write(shell);
        writer.Write(Record("10.0.0.5", "/index.html", alert: false));
        writer.Dispose();
        var lines = Lines(ms);
        Assert.Equal([1L, 2, 4, 8, 16, 20], lines.Select(l => l.GetProperty("alert").GetProperty("count").GetInt64()));
        Assert.Single(lines.Select(l => l.GetProperty("alert").GetProperty("thread_id").GetInt64()).Distinct());
        Assert.True(lines[^1].GetProperty("alert").GetProperty("final").GetBoolean());
        Assert.Equal("T1505.003 Web Shell", lines[0].GetProperty("alert").GetProperty("category").GetString());
        Assert.Equal("command_tokens", lines[0].GetProperty("anomaly").GetProperty("reasons")[0].GetProperty("feature").GetString());
        Assert.Equal(20, writer.Alerts);
    }

    [Fact]
    public void Different_clients_or_paths_are_different_threads_and_open_threads_are_bounded()
    {
        var ms = new MemoryStream();
        var writer = new EveAlertWriter(ms, maxThreads: 3);
        for (var i = 1; i <= 10; i++) writer.Write(Record($"10.0.1.{i}", "/x.php", alert: true));
        writer.Dispose();
        var threads = Lines(ms).Select(l => l.GetProperty("alert").GetProperty("thread_id").GetInt64()).Distinct().Count();
        Assert.Equal(10, threads);
    }
}
