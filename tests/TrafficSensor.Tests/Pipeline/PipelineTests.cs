using System.Net;
using TrafficSensor.Capture;
using TrafficSensor.Http;
using TrafficSensor.Tests.TestSupport;
using static TrafficSensor.Tests.TestSupport.PacketFactory;

namespace TrafficSensor.Tests.Pipeline;

public class PipelineTests
{
    private static readonly IPAddress Client = IPAddress.Parse("10.9.8.7");
    private static readonly IPAddress Server = IPAddress.Parse("10.9.8.80");
    private const string Request = "POST /shell.php?x=1 HTTP/1.1\r\nHost: victim\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\n\r\ncmd=whoami";
    private const string Response = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\nwww-data\n";
    private const string Expected = "10.9.8.7 41000 10.9.8.80 80 POST /shell.php?x=1 200";

    private static List<byte[]> Conversation(IPAddress? client = null, IPAddress? server = null, int mss = 1460, bool handshake = true) =>
        new TcpConversation(client ?? Client, 41000, server ?? Server, 80, mss) { Handshake = handshake }
            .Client(Request).Server(Response).Packets();

    private static void AssertSameAsTshark(PcapFile pcap, string expected)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ts-oracle-{Guid.NewGuid():N}.pcap");
        try
        {
            pcap.WriteTo(path);
            var (records, _) = SensorRun.Files([path]);
            Assert.Equal([expected], records.Select(SensorRun.Tuple));
            Assert.Equal([expected], Tshark.Transactions(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(LinkType.Ethernet)]
    [InlineData(LinkType.LinuxSll)]
    [InlineData(LinkType.LinuxSll2)]
    [InlineData(LinkType.Null)]
    [InlineData(LinkType.Raw)]
    public void Every_link_type_yields_the_transaction_tshark_sees(LinkType link) =>
        AssertSameAsTshark(SensorRun.ToPcap(link, Conversation(mss: 7)), Expected);

    [Fact]
    public void Ipv6_transaction_matches_tshark() =>
        AssertSameAsTshark(SensorRun.ToPcap(LinkType.Ethernet, Conversation(IPAddress.Parse("2001:db8::7"), IPAddress.Parse("2001:db8::80"))),
            "2001:db8::7 41000 2001:db8::80 80 POST /shell.php?x=1 200");

    [Fact]
    public void Vlan_tagged_and_qinq_traffic_matches_tshark_and_keeps_the_tags()
    {
        var pcap = new PcapFile(LinkType.Ethernet);
        var t = 1_700_000_000_000_000L;
        foreach (var p in Conversation()) pcap.Add(t += 1000, Ethernet(p, 100, 200));
        AssertSameAsTshark(pcap, Expected);
        var record = Assert.Single(SensorRun.Capture(pcap).Records);
        Assert.Equal((ushort)100, record.Vlan);
        Assert.Equal((ushort)200, record.InnerVlan);
    }

    [Theory]
    [InlineData("gre")]
    [InlineData("erspan2")]
    [InlineData("erspan3")]
    [InlineData("vxlan")]
    public void Mirror_encapsulations_are_unwrapped_like_tshark_does(string kind)
    {
        var outerA = IPAddress.Parse("172.16.0.1");
        var outerB = IPAddress.Parse("172.16.0.2");
        var pcap = new PcapFile(LinkType.Ethernet);
        var t = 1_700_000_000_000_000L;
        foreach (var p in Conversation())
        {
            var inner = Ethernet(p);
            pcap.Add(t += 1000, kind switch
            {
                "gre" => Gre(inner, 0x6558, outerA, outerB),
                "erspan2" => Gre(inner, 0x88BE, outerA, outerB),
                "erspan3" => Gre(inner, 0x22EB, outerA, outerB),
                _ => Vxlan(inner, outerA, outerB),
            });
        }
        AssertSameAsTshark(pcap, Expected);
    }

    [Fact]
    public void Fragmented_ip_is_reassembled_like_tshark_does()
    {
        var packets = Conversation().SelectMany(p => p.Length > 100 ? Fragment(p, 48).AsEnumerable().Reverse() : [p]);
        AssertSameAsTshark(SensorRun.ToPcap(LinkType.Raw, packets), Expected);
    }

    [Fact]
    public void A_connection_picked_up_midstream_still_yields_its_transactions()
    {
        var (records, stats) = SensorRun.Capture(SensorRun.ToPcap(LinkType.Ethernet, Conversation(handshake: false)));
        Assert.Equal([Expected], records.Select(SensorRun.Tuple));
        Assert.Equal(2, stats.ReassemblyEvents["midstream_pickup"]);
    }

    [Fact]
    public void Out_of_order_duplicated_segments_give_the_same_result()
    {
        var random = new Random(7);
        var packets = Conversation(mss: 5);
        // Shuffle the data segments inside a small window and repeat some, as a lossy SPAN port would.
        var messy = new List<byte[]>();
        for (var i = 0; i < packets.Count; i += 4)
        {
            var window = packets.Skip(i).Take(4).OrderBy(_ => random.Next()).ToList();
            messy.AddRange(window);
            if (random.Next(3) == 0) messy.Add(window[0]);
        }
        var (records, stats) = SensorRun.Capture(SensorRun.ToPcap(LinkType.Ethernet, messy));
        Assert.Equal([Expected], records.Select(SensorRun.Tuple));
        Assert.True(stats.ReassemblyDroppedBytes.GetValueOrDefault("retransmission") > 0);
    }

    [Fact]
    public void Results_do_not_depend_on_the_number_of_workers()
    {
        var packets = new List<byte[]>();
        for (var i = 0; i < 40; i++)
            packets.AddRange(new TcpConversation(IPAddress.Parse($"10.0.{i}.1"), (ushort)(30000 + i), Server, 80, 50)
                .Client($"GET /page{i} HTTP/1.1\r\nHost: h\r\n\r\n").Server(Response).Packets());
        var pcap = SensorRun.ToPcap(LinkType.Ethernet, packets);
        var one = SensorRun.Capture(pcap, new SensorOptions { Pipeline = new PipelineOptions { Workers = 1 } }).Records.Select(SensorRun.Tuple).Order().ToList();
        var four = SensorRun.Capture(pcap, new SensorOptions { Pipeline = new PipelineOptions { Workers = 4, BatchSize = 3 } }).Records.Select(SensorRun.Tuple).Order().ToList();
        Assert.Equal(40, one.Count);
        Assert.Equal(one, four);
    }

    [Fact]
    public void The_transaction_keeps_the_request_parameters_and_flags()
    {
        var record = Assert.Single(SensorRun.Capture(SensorRun.ToPcap(LinkType.Ethernet, Conversation())).Records);
        Assert.Equal(["Query:x", "Form:cmd"], record.Transaction.Parameters.Select(p => $"{p.Source}:{p.Name}"));
        Assert.StartsWith("1:", record.CommunityId);
        Assert.True(record.FlowId > 0);
    }
}

public class RealCaptureOracleTests
{
    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (var dir in new[] { TestPaths.SharedRealPcaps, TestPaths.ProjectPcaps })
        {
            if (!Directory.Exists(dir)) continue;
            // HTTPS captures (pcaps/tls) hold no HTTP tshark can read without keys; Tls/ tests compare them with tshark.
            var https = Path.Combine(TestPaths.ProjectPcaps, "tls") + Path.DirectorySeparatorChar;
            foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => (f.EndsWith(".pcap") || f.EndsWith(".pcapng")) && !f.StartsWith(https)).Order())
                data.Add(Path.GetRelativePath(TestPaths.RepositoryRoot, f));
        }
        return data;
    }

    [Fact]
    public void The_shared_real_captures_are_present()
    {
        Assert.True(Directory.Exists(TestPaths.SharedRealPcaps), $"missing {TestPaths.SharedRealPcaps}");
        Assert.True(Directory.GetFiles(TestPaths.SharedRealPcaps).Count(f => f.Contains(".pcap")) >= 5);
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Sensor_finds_the_same_transactions_as_tshark(string relativePath)
    {
        var path = Path.Combine(TestPaths.RepositoryRoot, relativePath);
        var expected = Tshark.Transactions(path);
        var (records, _) = SensorRun.Files([path]);
        var actual = records.Where(r => r.Transaction.Request is not null).ToList();

        var unexplained = new List<string>();
        var remaining = actual.Select(r => (Tuple: SensorRun.Tuple(r), Record: r)).ToList();
        foreach (var tuple in expected)
        {
            var exact = remaining.FindIndex(r => r.Tuple == tuple);
            if (exact >= 0) { remaining.RemoveAt(exact); continue; }
            // Deliberate difference: when a segment of the response body was never captured, tshark
            // cannot reassemble the response and reports no status; the status line was on the wire,
            // so the sensor keeps it and flags gap_in_body.
            var withoutStatus = tuple[..tuple.LastIndexOf(' ')];
            var gap = tuple.EndsWith(" -") ? remaining.FindIndex(r =>
                r.Tuple.StartsWith(withoutStatus + " ") && r.Record.Transaction.AllAnomalies.Contains(HttpAnomaly.GapInBody)) : -1;
            if (gap >= 0) { remaining.RemoveAt(gap); continue; }
            unexplained.Add("tshark only: " + tuple);
        }
        unexplained.AddRange(remaining.Select(r => "sensor only: " + r.Tuple));
        Assert.True(expected.Count > 0, "tshark found no HTTP in " + relativePath);
        Assert.Empty(unexplained);
    }
}
