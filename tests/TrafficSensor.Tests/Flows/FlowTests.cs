using TrafficSensor.Decoding;
using TrafficSensor.Flows;

namespace TrafficSensor.Tests.Flows;

public class CommunityIdTests
{
    // Reference vectors published with the Community ID specification (corelight/community-id-spec).
    [Theory]
    [InlineData("128.232.110.120", 34855, "66.35.250.204", 80, 6, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")]
    [InlineData("192.168.1.52", 54585, "8.8.8.8", 53, 17, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=")]
    [InlineData("2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, "2607:f8b0:400c:c03::1a", 25, 6, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=")]
    public void Matches_the_specification_vectors_in_both_directions(string a, int aPort, string b, int bPort, int proto, string expected)
    {
        var forward = FlowKey.From(IpAddress.Parse(a), (ushort)aPort, IpAddress.Parse(b), (ushort)bPort, (byte)proto, 0, 0, out _);
        var reverse = FlowKey.From(IpAddress.Parse(b), (ushort)bPort, IpAddress.Parse(a), (ushort)aPort, (byte)proto, 0, 0, out _);
        Assert.Equal(expected, CommunityId.Compute(forward));
        Assert.Equal(expected, CommunityId.Compute(reverse));
    }
}

public class FlowTableTests
{
    private sealed class Session;

    private static FlowKey Key(int clientPort, ushort vlan = 0) =>
        FlowKey.From(IpAddress.Parse("10.0.0.1"), (ushort)clientPort, IpAddress.Parse("10.0.0.2"), 80, 6, vlan, 0, out _);

    [Fact]
    public void Both_directions_share_one_flow_and_the_syn_names_the_client()
    {
        var ended = new List<FlowEndReason>();
        var table = new FlowTable<Session>(new FlowOptions(), (_, r) => ended.Add(r));
        var key = FlowKey.From(IpAddress.Parse("10.0.0.9"), 50000, IpAddress.Parse("10.0.0.2"), 80, 6, 0, 0, out var fromLow);
        var flow = table.Track(key, fromLow, TcpFlags.Syn, 0, 1);
        var reverse = FlowKey.From(IpAddress.Parse("10.0.0.2"), 80, IpAddress.Parse("10.0.0.9"), 50000, 6, 0, 0, out var reverseFromLow);
        Assert.Same(flow, table.Track(reverse, reverseFromLow, TcpFlags.Syn | TcpFlags.Ack, 0, 2));
        Assert.Equal(TcpState.Embryonic, flow.State);
        Assert.Equal(fromLow, flow.ClientIsLow);
        Assert.Equal(ClientEvidence.Handshake, flow.ClientEvidence);
        table.Track(key, fromLow, TcpFlags.Ack, 0, 3);
        Assert.Equal(TcpState.Established, flow.State);
    }

    [Fact]
    public void Vlan_is_part_of_the_key()
    {
        var table = new FlowTable<Session>(new FlowOptions(), (_, _) => { });
        var a = table.Track(Key(1000, vlan: 10), true, TcpFlags.Ack, 1, 1);
        var b = table.Track(Key(1000, vlan: 20), true, TcpFlags.Ack, 1, 1);
        Assert.NotSame(a, b);
        Assert.Equal(2, table.Active);
    }

    [Fact]
    public void Midstream_flow_guesses_the_server_from_the_well_known_port()
    {
        var table = new FlowTable<Session>(new FlowOptions(), (_, _) => { });
        var key = FlowKey.From(IpAddress.Parse("10.0.0.200"), 8080, IpAddress.Parse("10.0.0.2"), 51000, 6, 0, 0, out var fromLow);
        var flow = table.Track(key, fromLow, TcpFlags.Ack, 10, 1);
        Assert.Equal(ClientEvidence.Port, flow.ClientEvidence);
        Assert.Equal(key.HighAddress == IpAddress.Parse("10.0.0.2"), flow.ClientIsLow == false);
    }

    [Fact]
    public void Timeouts_run_on_packet_time_per_state()
    {
        var ended = new List<(int Port, FlowEndReason Reason)>();
        var options = new FlowOptions { TcpIdleTimeout = TimeSpan.FromSeconds(100), TcpClosedTimeout = TimeSpan.FromSeconds(5), TcpEmbryonicTimeout = TimeSpan.FromSeconds(10) };
        var table = new FlowTable<Session>(options, (f, r) => ended.Add((f.Key.LowPort == 80 ? f.Key.HighPort : f.Key.LowPort, r)));
        const long s = 1_000_000;
        table.Track(Key(1), true, TcpFlags.Syn, 0, 0);                  // embryonic
        table.Track(Key(2), true, TcpFlags.Ack, 5, 0);                  // open
        table.Track(Key(3), true, TcpFlags.Rst, 0, 0);                  // closed
        table.Expire(4 * s);
        Assert.Empty(ended);
        table.Expire(6 * s);
        Assert.Equal([(3, FlowEndReason.Closed)], ended);
        table.Expire(11 * s);
        Assert.Equal((1, FlowEndReason.IdleTimeout), ended[1]);
        table.Expire(99 * s);
        Assert.Equal(2, ended.Count);
        table.Expire(101 * s);
        Assert.Equal((2, FlowEndReason.IdleTimeout), ended[2]);
        Assert.Equal(0, table.Active);
    }

    [Fact]
    public void A_syn_flood_cannot_grow_the_table_past_its_limit()
    {
        var evicted = 0;
        var table = new FlowTable<Session>(new FlowOptions { MaxFlows = 1000 }, (_, r) => { if (r == FlowEndReason.Evicted) evicted++; });
        var keep = table.Track(Key(1), true, TcpFlags.Ack, 10, 0);
        for (var i = 0; i < 50_000; i++)
        {
            if (i % 100 == 0) table.Track(Key(1), true, TcpFlags.Ack, 10, i); // an active flow stays
            var key = FlowKey.From(new IpAddress(0, 0x0000_FFFF_0000_0000UL | (uint)i), 1234, IpAddress.Parse("10.0.0.2"), 80, 6, 0, 0, out var fromLow);
            table.Track(key, fromLow, TcpFlags.Syn, 0, i);
        }
        Assert.Equal(1000, table.Active);
        Assert.Equal(50_001 - 1000, evicted);
        Assert.Same(keep, table.Track(Key(1), true, TcpFlags.Ack, 0, 50_000));
    }

    [Fact]
    public void A_new_syn_on_a_closed_flow_starts_a_new_flow()
    {
        var ended = 0;
        var table = new FlowTable<Session>(new FlowOptions(), (_, _) => ended++);
        var first = table.Track(Key(7), true, TcpFlags.Rst, 0, 1);
        var second = table.Track(Key(7), true, TcpFlags.Syn, 0, 2);
        Assert.NotSame(first, second);
        Assert.Equal(1, ended);
    }
}
