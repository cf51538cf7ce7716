using System.Collections.Concurrent;
using System.Net;
using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Flows;
using TrafficSensor.Http;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;
using TrafficSensor.Tests.Http;
using TrafficSensor.Tests.TestSupport;
using TrafficSensor.Tls.Decryption;

namespace TrafficSensor.Tests.Pipeline;

/// <summary>
/// When no output reads whole bodies, the pipeline keeps them in pooled buffers only until the flow worker has
/// measured each transaction, then keeps the alert excerpt: the features, verdicts and alert records are those
/// of a run that keeps every body whole, and every buffer goes back exactly once.
/// </summary>
public class BodyRetentionTests
{

    /// <summary>Keeps the records, as a log writer would write them: it reads no body beyond the alert excerpt.</summary>
    private sealed class ExcerptReadingOutput : ITransactionOutput
    {
        private readonly ConcurrentQueue<TransactionRecord> _records = new();
        public IReadOnlyList<TransactionRecord> Records => _records.ToList();
        public void Write(TransactionRecord record) => _records.Enqueue(record);
        public void Flush() { }
    }

    public static TheoryData<string> Inputs => new() { "pcaps/lab/samples", "pcaps/apps/samples", "pcaps/h2", "real" };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Trimmed_bodies_give_the_same_features_verdicts_and_alert_excerpts_and_every_buffer_goes_back_once(string input)
    {
        var dir = input == "real" ? TestPaths.SharedRealPcaps : Path.Combine(TestPaths.RepositoryRoot, input);
        var files = CaptureFileSet.Resolve([dir]);
        var options = new SensorOptions { Pipeline = new PipelineOptions { Workers = 2 } };
        var whole = new CollectingOutput(); // reads whole bodies: every body is an array of its own, as before
        new SensorPipeline(options, whole, TestModels.Default).Replay(files);
        var pool = new CountingBodyPool();
        var trimmed = new ExcerptReadingOutput();
        new SensorPipeline(options with { Http = options.Http with { BodyPool = pool } }, trimmed, TestModels.Default).Replay(files);

        Assert.True(pool.Rented > 20, $"bodies were pooled ({pool.Rented})");
        Assert.Equal(0, pool.BadReturns);
        Assert.Equal(0, pool.Outstanding);
        var a = whole.Records;
        var b = trimmed.Records;
        Assert.Equal(a.Count, b.Count);
        var excerpt = options.Eve.BodyExcerptBytes;
        var cut = 0;
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(SensorRun.Tuple(a[i]), SensorRun.Tuple(b[i]));
            Assert.Equal(a[i].Features!.Values, b[i].Features!.Values);
            Assert.Equal(a[i].Verdict?.Score, b[i].Verdict?.Score);
            Assert.Equal(a[i].Verdict?.Alert, b[i].Verdict?.Alert);
            foreach (var (full, kept) in new[] { (a[i].Transaction.Request, b[i].Transaction.Request), (a[i].Transaction.Response, b[i].Transaction.Response) })
            {
                var body = full?.Body ?? [];
                Assert.Equal(body.AsSpan(0, Math.Min(excerpt, body.Length)).ToArray(), kept?.Body ?? []);
                if (body.Length > excerpt) cut++;
            }
        }
        Assert.True(cut > 0, "some bodies were longer than the excerpt");
        // Every transaction written as an alert (its excerpts included) is the same bytes either way.
        Assert.Equal(AlertLines(a), AlertLines(b));
    }

    [Fact]
    public void Decrypted_tls_bodies_are_pooled_and_returned_once_with_the_same_features()
    {
        var folder = Path.Combine(TestPaths.ProjectPcaps, "tls", "keylog");
        var rented = 0;
        foreach (var pcap in Directory.GetFiles(folder, "*.pcap").Where(f => File.Exists(Path.ChangeExtension(f, ".keys"))).Order())
        {
            var keys = Path.ChangeExtension(pcap, ".keys");
            var options = new SensorOptions { Tls = new TlsOptions { KeyLogFile = keys, KeyLog = TlsKeyLog.Load(keys, follow: false) } };
            var whole = new CollectingOutput();
            new SensorPipeline(options, whole, TestModels.Default).Replay([pcap]);
            var pool = new CountingBodyPool();
            var trimmed = new ExcerptReadingOutput();
            new SensorPipeline(options with { Http = options.Http with { BodyPool = pool } }, trimmed, TestModels.Default).Replay([pcap]);
            Assert.Equal((0, 0), (pool.Outstanding, pool.BadReturns));
            rented += pool.Rented;
            Assert.Equal(whole.Records.Select(r => r.Features!.Values), trimmed.Records.Select(r => r.Features!.Values));
        }
        Assert.True(rented > 0, "decrypted bodies were pooled");
    }

    private static string AlertLines(IEnumerable<TransactionRecord> records)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ts-bodies-{Guid.NewGuid():N}.json");
        try
        {
            using (var writer = new EveAlertWriter(JsonLinesLog.Open(path), new EveOptions { SensorName = "test" }))
                foreach (var r in records)
                    writer.Write(r with { Verdict = r.Verdict! with { Alert = true }, Thread = new AlertThreadPosition(1, 1, 0) });
            return File.ReadAllText(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Collectors_that_read_bodies_still_get_them_whole()
    {
        var response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3000\r\n\r\n" + new string('r', 3000);
        var request = "POST /a.php HTTP/1.1\r\nHost: h\r\nContent-Type: application/octet-stream\r\nContent-Length: 2000\r\n\r\n" + new string('q', 2000);
        var packets = new TcpConversation(IPAddress.Parse("10.1.0.1"), 40000, IPAddress.Parse("10.1.0.80"), 80).Client(request).Server(response).Packets();
        var path = Path.Combine(Path.GetTempPath(), $"ts-bodies-{Guid.NewGuid():N}.pcap");
        try
        {
            SensorRun.ToPcap(LinkType.Raw, packets).WriteTo(path);
            var output = new CollectingOutput();
            new SensorPipeline(new SensorOptions(), output, TestModels.Default).Replay([path]);
            var tx = Assert.Single(output.Records).Transaction;
            Assert.Equal(2000, tx.Request!.Body!.Length);
            Assert.Equal(3000, tx.Response!.Body!.Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Flows_evicted_or_ended_in_the_middle_of_a_body_return_every_buffer_once()
    {
        // Flows interleaved so that, with room for two flows, each new one evicts the oldest in the middle of its
        // response body; the last ones end with the capture, their bodies cut too.
        var conversations = Enumerable.Range(0, 6).Select(i =>
            new TcpConversation(IPAddress.Parse($"10.2.0.{i + 1}"), (ushort)(41000 + i), IPAddress.Parse("10.2.0.80"), 80, mss: 500) { Close = false }
                .Client($"POST /u{i}.php HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 600\r\n\r\nd=" + new string('x', 598))
                .Server("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + new string('y', 5000))
                .Packets()).ToList();
        var packets = new List<byte[]>();
        foreach (var c in conversations) packets.AddRange(c.Take(c.Count / 2 + 2)); // handshake, request, part of the response
        foreach (var c in conversations) packets.AddRange(c.Skip(c.Count / 2 + 2).Take(2)); // a little more (for the evicted: a flow joined mid-stream)
        var path = Path.Combine(Path.GetTempPath(), $"ts-bodies-{Guid.NewGuid():N}.pcap");
        try
        {
            SensorRun.ToPcap(LinkType.Raw, packets).WriteTo(path);
            var pool = new CountingBodyPool();
            var output = new ExcerptReadingOutput();
            var options = new SensorOptions { Flows = new FlowOptions { MaxFlows = 2 }, Pipeline = new PipelineOptions { Workers = 1 }, Http = new HttpOptions { BodyPool = pool } };
            var stats = new SensorPipeline(options, output, TestModels.Default).Replay([path]);
            Assert.True(stats.FlowsEnded.GetValueOrDefault(ReasonCounters<FlowEndReason>.NameOf(FlowEndReason.Evicted)) > 0, "flows were evicted");
            Assert.True(output.Records.Count(r => r.Transaction.Request?.Method == "POST" && r.Transaction.Response?.BodyTruncated == true) >= 4,
                "transactions ended in the middle of their response body");
            Assert.True(pool.Rented >= 12, $"bodies were pooled ({pool.Rented})");
            Assert.Equal((0, 0), (pool.Outstanding, pool.BadReturns));
            Assert.All(output.Records.Where(r => r.Transaction.Response?.Body is not null), r => Assert.Equal(new string('y', 256), System.Text.Encoding.ASCII.GetString(r.Transaction.Response!.Body!)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
