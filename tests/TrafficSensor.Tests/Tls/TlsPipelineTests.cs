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

/// <summary>
/// Every TLS capture in the repository (pcaps/tls: these handshakes, the key-log and lab captures of
/// the other HTTPS work) read without keys: each connection's SNI and JA3 equal tshark's reading of
/// its first ClientHello, and its JA3S that of its ServerHello (HelloRetryRequests aside).
/// </summary>
public class TlsRepositoryCapturesTests
{
    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(TestPaths.ProjectPcaps, "tls"), "*.pcap*", SearchOption.AllDirectories).Order())
            data.Add(Path.GetRelativePath(TestPaths.ProjectPcaps, f));
        return data;
    }


    [Theory]
    [MemberData(nameof(Captures))]
    public void Sni_ja3_and_ja3s_of_every_connection_equal_tsharks(string capture)
    {
        var path = Path.Combine(TestPaths.ProjectPcaps, capture);
        var (code, output, error) = ExternalTool.Run("tshark", ["-n", "-r", path, "-Y", "tls.handshake.type == 1 || (tls.handshake.type == 2 && !tls.handshake.extensions_key_share_selected_group)",
            "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
            "-e", "tcp.stream", "-e", "tls.handshake.type", "-e", "tls.handshake.extensions_server_name", "-e", "tls.handshake.ja3", "-e", "tls.handshake.ja3s"]);
        Assert.True(code == 0, error);
        var clients = new Dictionary<string, string>();
        var servers = new Dictionary<string, string>();
        foreach (var f in output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')))
        {
            if (f[1].Split(',')[0] == "1") clients.TryAdd(f[0], $"{f[2]} {f[3]}");
            else servers.TryAdd(f[0], f[4]);
        }

        var records = new AllRecords();
        new SensorPipeline(new SensorOptions(), records).Replay([path]);
        var ours = records.Records.OfType<TlsRecord>().ToList();
        Assert.Equal(clients.Values.Order(), ours.Select(r => $"{r.Metadata.Sni} {r.Metadata.Ja3?.Hash}").Order());
        Assert.Equal(servers.Values.Order(), ours.Where(r => r.Metadata.Ja3S is not null).Select(r => r.Metadata.Ja3S!.Hash).Order());
    }
}
