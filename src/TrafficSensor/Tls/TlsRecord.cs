using System.Text.Json;
using TrafficSensor.Output;
using TrafficSensor.Protocols;

namespace TrafficSensor.Tls;

/// <summary>One TLS connection's metadata as a log record (EVE <c>event_type: tls</c>).</summary>
public sealed record TlsRecord : AppRecord
{
    private readonly long _timestampMicros;

    public TlsRecord(AppFlowFacts facts, TlsMetadata metadata, long timestampMicros) : base(TlsProtocol.ProtocolName, facts)
    {
        Metadata = metadata;
        _timestampMicros = timestampMicros;
    }

    public TlsMetadata Metadata { get; }

    public override long TimestampMicros => _timestampMicros;

    public override IEveSection Eve => TlsEveSection.Instance;
}

/// <summary>The <c>tls</c> object of TLS records (Suricata's field names). Stateless.</summary>
public sealed class TlsEveSection : IEveSection
{
    public static readonly TlsEveSection Instance = new();

    public string EventType => "tls";

    public void Write(Utf8JsonWriter writer, AppRecord record, EveOptions options, bool alert)
    {
        if (record is TlsRecord tls) tls.Metadata.WriteEve(writer);
    }
}

/// <summary>
/// A TLS connection ended, with its parser (hellos and record shape): handed to the analysis thread for the
/// metadata model, never written itself (its verdict is, when it alerts). The parser is no longer touched by
/// the flow worker once this record is emitted.
/// </summary>
public sealed record TlsConnectionEnd : AppRecord
{
    private readonly long _timestampMicros;

    public TlsConnectionEnd(AppFlowFacts facts, Flows.FlowKey key, TlsConnectionParser parser, long timestampMicros) : base(TlsProtocol.ProtocolName, facts)
    {
        Facts = facts;
        Key = key;
        Parser = parser;
        _timestampMicros = timestampMicros;
    }

    public AppFlowFacts Facts { get; }
    public Flows.FlowKey Key { get; }
    public TlsConnectionParser Parser { get; }

    public override long TimestampMicros => _timestampMicros;

    public override IEveSection Eve => TlsEveSection.Instance;
}
