using TrafficSensor.Flows;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Protocols;

/// <summary>The connection a session runs on, as sessions see it (implemented by the pipeline; flow worker's thread).</summary>
public interface IAppFlow
{
    FlowKey Key { get; }
    /// <summary>The flow facts a record carries, oriented to the client (its counters as of now).</summary>
    AppFlowFacts Facts(bool clientIsLow);
    /// <summary>The content showed which side is the client (stronger than port guesses, weaker than the handshake).</summary>
    void SetClient(bool clientIsLow);
    /// <summary>TCP choices and evasion signs since the previous call (taken once, for the next record).</summary>
    TcpAnomalies TakeTcpAnomalies();
}

/// <summary>
/// What a session gets without knowing the pipeline: its flow, the options, the worker's inspection
/// memory budget and counters, where its records go, and the registry, so that it can host an inner
/// session on decrypted or upgraded bytes (<see cref="CreateInner"/> by name, <see cref="CreateDetector"/>
/// by probing). Created per session on the flow worker's thread and owned by it.
/// </summary>
public sealed class AppSessionContext
{
    private readonly AppLayerCounters _counters;

    public AppSessionContext(IAppFlow flow, SensorOptions options, MemoryBudget inspectMemory, IAppRecordSink records,
        ProtocolRegistry registry, AppLayerCounters counters, IAppProtocol? protocol = null)
    {
        Flow = flow;
        Options = options;
        InspectMemory = inspectMemory;
        Records = records;
        Registry = registry;
        _counters = counters;
        Protocol = protocol;
    }

    public IAppFlow Flow { get; }
    public SensorOptions Options { get; }
    /// <summary>The worker's budget for bytes kept for inspection (bodies), shared by all its flows.</summary>
    public MemoryBudget InspectMemory { get; }
    public IAppRecordSink Records { get; }
    public ProtocolRegistry Registry { get; }
    /// <summary>The protocol the session belongs to (null for a detector still probing).</summary>
    public IAppProtocol? Protocol { get; }
    /// <summary>The worker's generic application-layer counters (records by protocol, unknown bytes).</summary>
    public AppLayerCounters AppLayer => _counters;

    /// <summary>The worker's counters of this session's protocol (see <see cref="IAppProtocol.CreateCounters"/>).</summary>
    public IProtocolCounters? Counters => Protocol is null ? null : _counters.Of(Protocol);

    /// <summary>The same connection for another protocol (records may go elsewhere, e.g. stamped with a <see cref="TlsContext"/>).</summary>
    public AppSessionContext For(IAppProtocol? protocol, IAppRecordSink? records = null) =>
        new(Flow, Options, InspectMemory, records ?? Records, Registry, _counters, protocol);

    /// <summary>An inner session of the named protocol (null when it is not registered).</summary>
    public IAppSession? CreateInner(string name, IAppRecordSink? records = null) =>
        Registry.Find(name) is { } protocol ? Registry.Create(protocol, For(protocol, records)) : null;

    /// <summary>An inner session that probes its bytes and hands them to the protocol they match (as a connection's first bytes are).</summary>
    public IAppSession CreateDetector(IAppRecordSink? records = null) => new ProtocolDetector(For(null, records));
}
