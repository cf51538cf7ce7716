using TrafficSensor.Flows;
using TrafficSensor.Protocols;

namespace TrafficSensor.Http;

/// <summary>
/// HTTP/1.x as an application protocol of the seam: its probe is the parser's own first check (the
/// first bytes could start a request line or a status line), so a connection is HTTP exactly when the
/// parser would take it; its sessions are <see cref="HttpSession"/>s. One per run: it keeps the
/// servers that answered HTTP (shared by the workers, thread-safe) to flag other bytes sent to them.
/// </summary>
public sealed class HttpProtocol : IAppProtocol
{
    public const string ProtocolName = "http";

    /// <summary>Bytes of a start line's beginning the parser checks before it takes a stream for HTTP.</summary>
    private const int CheckedPrefix = 32;

    public string Name => ProtocolName;

    /// <summary>Servers (address, port) that answered HTTP in this run.</summary>
    public HttpServerRegistry Servers { get; } = new(1 << 16);

    public ProbeResult Probe(ReadOnlySpan<byte> firstBytes, bool? fromLow, in FlowKey key)
    {
        // Empty lines before a message are allowed (RFC 9112 §2.2), as the parser allows them.
        var skip = 0;
        while (skip < firstBytes.Length && firstBytes[skip] is (byte)'\r' or (byte)'\n') skip++;
        var start = firstBytes[skip..];
        if (start.IsEmpty) return ProbeResult.NeedMoreData;
        var prefix = start[..Math.Min(start.Length, CheckedPrefix)];
        var request = HttpStartLine.RequestPrefix(prefix);
        var response = HttpStartLine.ResponsePrefix(prefix);
        if (request == HttpStartLine.Match.Yes || response == HttpStartLine.Match.Yes) return ProbeResult.Match;
        if (request == HttpStartLine.Match.No && response == HttpStartLine.Match.No) return ProbeResult.NoMatch;
        // A long token with no space yet: the parser checks no further than its prefix and goes on.
        return start.Length >= CheckedPrefix ? ProbeResult.Match : ProbeResult.NeedMoreData;
    }

    public IAppSession CreateSession(AppSessionContext context) => new HttpSession(context, Servers);

    public bool IsUsualPort(ushort port) => port is 80 or 8080 or 8000 or 8008 or 8081 or 8888 or 3128 or 9000 or 5000 or 81 or 591;

    public IProtocolCounters CreateCounters() => new HttpCounters();

    /// <summary>A connection no protocol took: a non-HTTP stream, and an anomaly when it went to a server that answered HTTP.</summary>
    public void OnNotChosen(in FlowKey key, IAppProtocol? chosen, IProtocolCounters? counters)
    {
        if (chosen is not null || counters is not HttpCounters http) return;
        http.NonHttpStreams++;
        if (Servers.Contains(key.LowAddress, key.LowPort) || Servers.Contains(key.HighAddress, key.HighPort))
            http.Anomalies.Add(HttpAnomaly.NonHttpOnHttpPort);
    }
}
