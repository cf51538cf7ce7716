using TrafficSensor.Decoding;

namespace TrafficSensor.Protocols;

/// <summary>
/// One record of an application protocol with the flow facts every log record carries, oriented
/// client → server (<c>src_*</c> is the client whatever the ports). Each protocol derives its own
/// (HTTP: <see cref="Output.TransactionRecord"/>) and names the EVE section that writes it.
/// Records are immutable once emitted: the flow worker hands them to the analysis thread.
/// </summary>
/// <param name="AppProto">EVE <c>app_proto</c>: "http", "http2", "tls".</param>
public abstract record AppRecord(
    string AppProto,
    long FlowId,
    string CommunityId,
    IpAddress ClientAddress,
    ushort ClientPort,
    IpAddress ServerAddress,
    ushort ServerPort,
    ushort Vlan,
    ushort InnerVlan)
{
    /// <summary>A record of <paramref name="facts"/>' flow (see <see cref="IAppFlow.Facts"/>).</summary>
    protected AppRecord(string appProto, AppFlowFacts facts)
        : this(appProto, facts.FlowId, facts.CommunityId, facts.ClientAddress, facts.ClientPort, facts.ServerAddress, facts.ServerPort, facts.Vlan, facts.InnerVlan)
    {
        Flow = facts.Counters;
    }

    /// <summary>The flow's counters when the record was made (EVE's <c>flow</c> object).</summary>
    public FlowCounters? Flow { get; init; }

    /// <summary>The TLS connection the record's bytes were decrypted from (EVE's <c>tls</c> object beside the protocol's); null in cleartext.</summary>
    public TlsContext? Tls { get; init; }

    /// <summary>Capture time the record is stamped with (EVE <c>timestamp</c>).</summary>
    public abstract long TimestampMicros { get; }

    /// <summary>EVE <c>tx_id</c>, for protocols with transactions; null writes none.</summary>
    public virtual long? TransactionId => null;

    /// <summary>The protocol's part of the EVE record (its <c>event_type</c> and its object).</summary>
    public abstract IEveSection Eve { get; }
}

/// <summary>The TLS facts a decrypted record carries (EVE <c>tls</c> object: sni, version, ja3.hash, ja4).</summary>
public sealed record TlsContext(string? Sni, string Version, string? Ja3Hash, string? Ja4, string? Alpn);

/// <summary>Packets and TCP payload bytes of a flow so far, by direction, and when it started (EVE <c>flow.*</c>).</summary>
public readonly record struct FlowCounters(long PacketsToServer, long PacketsToClient, long BytesToServer, long BytesToClient, long StartMicros);

/// <summary>The flow facts of a record, oriented client → server.</summary>
public readonly record struct AppFlowFacts(
    long FlowId,
    string CommunityId,
    IpAddress ClientAddress,
    ushort ClientPort,
    IpAddress ServerAddress,
    ushort ServerPort,
    ushort Vlan,
    ushort InnerVlan,
    FlowCounters Counters);
