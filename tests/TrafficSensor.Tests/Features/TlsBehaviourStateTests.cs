using TrafficSensor.Decoding;
using TrafficSensor.Features;
using TrafficSensor.Tls;

namespace TrafficSensor.Tests.Features;

public class TlsBehaviourStateTests
{
    private static readonly IpAddress Server = IpAddress.Parse("192.0.2.10");

    /// <summary>A TLS 1.2 connection: hellos, then <paramref name="exchanges"/> request/answer pairs a second apart.</summary>
    internal static TlsConnectionFacts Connection(string client, ushort port, long startMicros, int exchanges, string? ja4 = "t13d1516h2_8daaf6152771_e5627efa2ab1",
        int request = 300, int answer = 400)
    {
        var records = new List<TlsRecordFact>
        {
            new(true, TlsWire.Handshake, 512, startMicros),
            new(false, TlsWire.Handshake, 2000, startMicros + 1000),
        };
        for (var i = 0; i < exchanges; i++)
        {
            var t = startMicros + 10_000 + i * 1_000_000L;
            records.Add(new(true, TlsWire.ApplicationData, request, t));
            records.Add(new(false, TlsWire.ApplicationData, answer, t + 5000));
        }
        return new TlsConnectionFacts(IpAddress.Parse(client), port, Server, 443, ja4, "example.test", TlsWire.Tls12, records);
    }

    [Fact]
    public void A_client_hammering_a_server_with_short_connections_at_a_steady_pace_shows()
    {
        var state = new TlsBehaviourState();
        TlsFeatureVector last = new();
        for (var i = 0; i < 10; i++) last = state.Observe(Connection("198.51.100.7", (ushort)(40000 + i), i * 3_000_000L, exchanges: 1));
        Assert.Equal(10, last["client_server_connections"]);
        Assert.Equal(1, last["client_server_short_share"]);
        Assert.Equal(1, last["client_server_start_regularity"], 3);

        // Another client's single long connection is alone, long and not regular.
        var other = state.Observe(Connection("198.51.100.8", 40000, 0, exchanges: 12));
        Assert.Equal(1, other["client_server_connections"]);
        Assert.Equal(0, other["client_server_short_share"]);
        Assert.Equal(0, other["client_server_start_regularity"]);
        Assert.Equal(12, other["exchanges"]);
        Assert.Equal(1, other["request_interval_regularity"], 3);
        Assert.Equal(1, other["small_exchange_share"]);
    }

    [Fact]
    public void Connections_older_than_the_window_are_forgotten()
    {
        var state = new TlsBehaviourState();
        state.Observe(Connection("198.51.100.7", 40000, 0, 1));
        var later = state.Observe(Connection("198.51.100.7", 40001, TlsBehaviourState.WindowMicros + 10_000_000, 1));
        Assert.Equal(1, later["client_server_connections"]);
    }

    [Fact]
    public void A_fingerprint_the_server_never_saw_is_new_once_the_server_is_known_and_learned_only_when_told()
    {
        var state = new TlsBehaviourState();
        for (var i = 0; i < TlsBehaviourState.MinServerConnections - 1; i++)
        {
            var c = Connection($"198.51.100.{i + 1}", 40000, i * 1_000_000L, 2);
            Assert.Equal(0, state.Observe(c)["ja4_new_on_server"]); // not known yet: nothing is new
            state.LearnFingerprint(c);
        }
        var before = Connection("203.0.113.5", 50000, 30_000_000, 2, ja4: "t12d190800_d83cc789557e_7af1ed941c26");
        Assert.Equal(0, state.Observe(before)["ja4_new_on_server"]);
        state.LearnFingerprint(Connection("198.51.100.99", 40000, 31_000_000, 2));

        var odd = Connection("203.0.113.5", 50001, 40_000_000, 2, ja4: "t12d190800_d83cc789557e_7af1ed941c26");
        var f = state.Observe(odd);
        Assert.Equal(1, f["ja4_new_on_server"]);
        Assert.Equal(1, f["ja4_rare_on_server"]);
        Assert.Equal(0, f["ja4_other_clients"]);
        var usual = state.Observe(Connection("198.51.100.1", 40001, 41_000_000, 2));
        Assert.Equal(0, usual["ja4_new_on_server"]);
        Assert.Equal(TlsBehaviourState.MaxClientsCounted - 1, usual["ja4_other_clients"]); // the clients counted, less this one
        // Not learned (it alerted, say): still new.
        Assert.Equal(1, state.Observe(odd with { ClientPort = 50002 })["ja4_new_on_server"]);
    }

    [Fact]
    public void Pairs_beyond_the_bound_are_counted_not_followed()
    {
        var state = new TlsBehaviourState(maxPairs: 2);
        for (var i = 0; i < 5; i++) state.Observe(Connection($"198.51.100.{i + 1}", 40000, 1_000_000, 1));
        Assert.Equal(2, state.Pairs);
        Assert.Equal(3, state.Untracked);
    }
}
