using System.Collections.Concurrent;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;
using TrafficSensor.Protocols;
using TrafficSensor.Tests.TestSupport;
using TrafficSensor.Tls;

namespace TrafficSensor.Tests.Tls;

/// <summary>TLS behind the seam: the whole pipeline recognises TLS by content and writes one record per connection.</summary>
public class TlsPipelineTests
{
    private sealed class AllRecords : ITransactionOutput
    {
        public readonly ConcurrentQueue<AppRecord> Records = new();
        public void Write(TransactionRecord record) => Records.Enqueue(record);
        public void Write(AppRecord record) => Records.Enqueue(record);
        public void Flush() { }
    }

    private static readonly string Folder = Path.Combine(TestPaths.ProjectPcaps, "tls", "handshakes");

    private static (List<TlsRecord> Records, SensorStatistics Stats) Run(string capture, int workers = 2)
    {
        var output = new AllRecords();
        var stats = new SensorPipeline(new SensorOptions { Pipeline = new PipelineOptions { Workers = workers } }, output).Replay([Path.Combine(Folder, capture)]);
        return (output.Records.OfType<TlsRecord>().ToList(), stats);
    }

    [Fact]
    public void Every_connection_gives_one_record_oriented_client_to_server_with_tsharks_sni_and_ja3()
    {
        var (records, _) = Run("openssl-versions.pcap");
        Assert.Equal(6, records.Count);
        Assert.All(records, r => Assert.Equal("127.0.71.1", r.ServerAddress.ToString()));
        Assert.Equal([4410, 4411, 4412, 4412, 4413, 4413], records.Select(r => (int)r.ServerPort));
        Assert.Equal(["TLSv1", "TLS 1.1", "TLS 1.2", "TLS 1.2", "TLS 1.3", "TLS 1.3"], records.Select(r => r.Metadata.Version));
        Assert.Equal("tls", records[0].AppProto);

        // The same SNI and JA3 hashes as tshark's, connection by connection.
        var tshark = File.ReadAllLines(Path.Combine(Folder, "tshark.tsv")).Select(l => l.Split('\t'))
            .Where(f => f[0] == "openssl-versions.pcap" && f[2] == "1").Select(f => (f[3] == "" ? null : f[3], f[5])).ToList();
        Assert.Equal(tshark, records.Select(r => (r.Metadata.Sni, r.Metadata.Ja3!.Hash)));
    }

    [Fact]
    public void Records_and_counters_are_the_same_for_any_worker_count()
    {
        foreach (var capture in new[] { "chromium-nginx.pcap", "curl-nginx.pcap", "openssl-resumption.pcap" })
        {
            var (one, stats1) = Run(capture, workers: 1);
            var (three, _) = Run(capture, workers: 3);
            Assert.NotEmpty(one);
            Assert.Equal(one.Select(r => r.Metadata.Ja4 + r.Metadata.Version + r.ClientPort), three.Select(r => r.Metadata.Ja4 + r.Metadata.Version + r.ClientPort));
            var tls = stats1.AppProtocols["tls"];
            Assert.Equal(one.Count, tls.Where(kv => kv.Key.StartsWith("connections_", StringComparison.Ordinal)).Sum(kv => kv.Value));
            Assert.Equal(one.Count, stats1.AppRecords["tls"]);
        }
    }
}
