using TrafficSensor.Decoding;

namespace TrafficSensor.Features;

/// <summary>
/// What TLS metadata features need to remember across connections, with no keys: each client's recent
/// connections to each server (one client hammering one server with short connections, at a steady
/// pace), and each server's client fingerprints (JA4), learned online from the connections that did not
/// alert as the HTTP side learns each site's normal. Bounded: at most <c>maxPairs</c> client×server pairs
/// and <c>maxServers</c> servers (first come; pairs idle longer than the window make room), at most
/// <see cref="MaxFingerprintsPerServer"/> fingerprints per server (further ones count as unknown).
/// Owned by the analysis thread, like the HTTP behaviour state: connections arrive there in capture order
/// of their end, and no other thread touches it.
/// </summary>
public sealed class TlsBehaviourState(int maxPairs = 65_536, int maxServers = 16_384)
{
    /// <summary>How far back a client's connections to a server are counted.</summary>
    public static readonly long WindowMicros = 120_000_000;

    /// <summary>A connection with at most this many exchanges and lasting at most <see cref="ShortSeconds"/> is "short".</summary>
    public const int ShortExchanges = 2;

    public const double ShortSeconds = 5;

    /// <summary>A server's fingerprints say what is usual there once they rest on this many connections.</summary>
    public const int MinServerConnections = 20;

    public const int MaxFingerprintsPerServer = 256;

    /// <summary>Other clients counted per fingerprint (the feature is log-compressed; more tell nothing new).</summary>
    public const int MaxClientsCounted = 16;

    /// <summary>Connections remembered per pair (a client hammering a server fills it; the oldest go first).</summary>
    public const int MaxConnectionsPerPair = 256;

    private readonly Dictionary<(IpAddress Client, IpAddress Server, ushort Port), Queue<(long Start, long End, bool Short)>> _pairs = new();
    private readonly Dictionary<(IpAddress Server, ushort Port), ServerFingerprints> _servers = new();

    private sealed class ServerFingerprints
    {
        public long Connections;
        public readonly Dictionary<string, (long Count, HashSet<IpAddress> Clients)> ByJa4 = new(StringComparer.Ordinal);
    }

    /// <summary>Pairs or servers not followed because their table was full.</summary>
    public long Untracked { get; private set; }

    public int Pairs => _pairs.Count;
    public int Servers => _servers.Count;

    /// <summary>Computes every feature of a connection that ended, and remembers it among the client's connections to the server.</summary>
    public TlsFeatureVector Observe(TlsConnectionFacts c)
    {
        var f = new TlsFeatureVector();
        TlsShapeFeatures.Compute(c, f);
        var end = c.EndMicros;
        var isShort = f["exchanges"] <= ShortExchanges && f["duration_seconds"] <= ShortSeconds;
        var pair = Pair(c, end);
        var earlier = pair is null ? [] : pair.ToList();
        var starts = earlier.Select(e => e.Start).Append(c.StartMicros).Order().ToList();
        f["client_server_connections"] = starts.Count;
        f["client_server_short_share"] = (float)(earlier.Count(e => e.Short) + (isShort ? 1 : 0)) / starts.Count;
        var gaps = new List<double>();
        for (var i = 1; i < starts.Count; i++) gaps.Add((starts[i] - starts[i - 1]) / 1e6);
        f["client_server_start_regularity"] = (float)TlsShapeFeatures.Regularity(gaps);
        if (pair is not null)
        {
            if (pair.Count >= MaxConnectionsPerPair) pair.Dequeue();
            pair.Enqueue((c.StartMicros, end, isShort));
        }

        if (c.Ja4 is { } ja4 && _servers.TryGetValue((c.Server, c.ServerPort), out var server) && server.Connections >= MinServerConnections)
        {
            server.ByJa4.TryGetValue(ja4, out var seen);
            f["ja4_new_on_server"] = seen.Count == 0 ? 1 : 0;
            f["ja4_rare_on_server"] = 1 - (float)seen.Count / server.Connections;
            f["ja4_other_clients"] = seen.Clients is null ? 0 : seen.Clients.Count(a => a != c.Client);
        }
        return f;
    }

    /// <summary>Adds a connection's fingerprint to its server's usual ones (call for connections that did not alert).</summary>
    public void LearnFingerprint(TlsConnectionFacts c)
    {
        var key = (c.Server, c.ServerPort);
        if (!_servers.TryGetValue(key, out var server))
        {
            if (_servers.Count >= maxServers) { Untracked++; return; }
            _servers[key] = server = new ServerFingerprints();
        }
        server.Connections++;
        if (c.Ja4 is not { } ja4) return;
        if (!server.ByJa4.TryGetValue(ja4, out var seen))
        {
            if (server.ByJa4.Count >= MaxFingerprintsPerServer) return;
            seen = (0, new HashSet<IpAddress>());
        }
        if (seen.Clients.Count < MaxClientsCounted) seen.Clients.Add(c.Client);
        server.ByJa4[ja4] = (seen.Count + 1, seen.Clients);
    }

    /// <summary>The client's connections to the server that ended within the window before <paramref name="now"/>; null when not followed.</summary>
    private Queue<(long Start, long End, bool Short)>? Pair(TlsConnectionFacts c, long now)
    {
        var key = (c.Client, c.Server, c.ServerPort);
        if (!_pairs.TryGetValue(key, out var queue))
        {
            if (_pairs.Count >= maxPairs) EvictIdle(now);
            if (_pairs.Count >= maxPairs) { Untracked++; return null; }
            _pairs[key] = queue = new Queue<(long, long, bool)>();
        }
        while (queue.Count > 0 && queue.Peek().End < now - WindowMicros) queue.Dequeue();
        return queue;
    }

    private void EvictIdle(long now)
    {
        foreach (var (key, queue) in _pairs.ToList())
            if (queue.Count == 0 || queue.Last().End < now - WindowMicros) _pairs.Remove(key);
    }
}
