using TrafficSensor.Flows;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Protocols;

/// <summary>What a protocol's probe says about the first bytes one side of a connection sent.</summary>
public enum ProbeResult
{
    /// <summary>The bytes so far could start this protocol; more are needed to decide.</summary>
    NeedMoreData,
    /// <summary>The bytes start this protocol.</summary>
    Match,
    /// <summary>The bytes cannot start this protocol.</summary>
    NoMatch,
}

/// <summary>
/// One application protocol: its content probe and its per-flow session factory. One instance per
/// run, shared by every flow worker: whatever it keeps across flows must be thread-safe.
/// Register it with one line in <see cref="ProtocolRegistry.CreateDefault"/>.
/// </summary>
public interface IAppProtocol
{
    /// <summary>EVE <c>app_proto</c>: "http", "tls", "http2". Also the name sessions ask the registry for.</summary>
    string Name { get; }

    /// <summary>
    /// Looks at the first bytes sent by one side (<paramref name="fromLow"/>: by the flow key's low
    /// endpoint; null when the side is unknown). Called again with more bytes after
    /// <see cref="ProbeResult.NeedMoreData"/>; must not keep <paramref name="firstBytes"/>.
    /// </summary>
    ProbeResult Probe(ReadOnlySpan<byte> firstBytes, bool? fromLow, in FlowKey key);

    /// <summary>A session for one connection (or for the inner bytes of another session).</summary>
    IAppSession CreateSession(AppSessionContext context);

    /// <summary>
    /// Ports this protocol is usually served on. Used only to break ties: when the bytes could not
    /// decide (a stream ended or lost bytes while several protocols still needed more).
    /// </summary>
    bool IsUsualPort(ushort port) => false;

    /// <summary>This protocol's counters for one flow worker (owned by that worker's thread); null when it keeps none.</summary>
    IProtocolCounters? CreateCounters() => null;

    /// <summary>
    /// A connection's content was decided without this protocol (<paramref name="chosen"/> is the protocol
    /// that matched, null when none did). Lets a protocol flag, say, unknown bytes on a server it knows.
    /// Called on the flow worker's thread; <paramref name="counters"/> is this protocol's for that worker.
    /// </summary>
    void OnNotChosen(in FlowKey key, IAppProtocol? chosen, IProtocolCounters? counters) { }
}

/// <summary>One protocol's state on one TCP connection (owned by the flow worker's thread).</summary>
public interface IAppSession
{
    /// <summary>Feed the stream sent by the flow key's low endpoint.</summary>
    ITcpStreamSink FromLow { get; }
    /// <summary>Feed the stream sent by the flow key's high endpoint.</summary>
    ITcpStreamSink FromHigh { get; }
    /// <summary>No more parsing wanted: later bytes of the connection may be skipped (they are counted, not parsed).</summary>
    bool Finished { get; }
    /// <summary>The flow ended: emit what is still open.</summary>
    void Close(long timestampMicros);
}

/// <summary>Where a session's records go (the flow worker, which keeps them in capture order).</summary>
public interface IAppRecordSink
{
    void Emit(AppRecord record);
}

/// <summary>
/// One protocol's counters of one flow worker (owned by that worker's thread). The run's figures
/// sum the workers' (<see cref="Add"/> on a fresh instance); <see cref="Figures"/> names them for
/// <c>--stats</c> and the metrics (<c>trafficsensor_app_events_total{app_proto, event}</c>).
/// </summary>
public interface IProtocolCounters
{
    /// <summary>Adds another worker's counters of the same protocol.</summary>
    void Add(IProtocolCounters other);
    /// <summary>Counter name (a fixed set, never from traffic) → value.</summary>
    IEnumerable<KeyValuePair<string, long>> Figures();
}
