using TrafficSensor.Features;
using TrafficSensor.Protocols;
using TrafficSensor.Tls;

namespace TrafficSensor.Detection;

/// <summary>
/// A TLS connection the metadata model alerted on (judged without keys when it ended): written to the alert
/// log only (<c>event_type: alert</c>, <c>app_proto: tls</c>); the connection's own <c>tls</c> record was
/// written when its handshake was done.
/// </summary>
public sealed record TlsConnectionAlert : AppRecord
{
    public TlsConnectionAlert(TlsConnectionEnd end, TlsConnectionFacts connection, Verdict verdict) : base(TlsProtocol.ProtocolName, end.Facts)
    {
        Connection = connection;
        Verdict = verdict;
    }

    public TlsConnectionFacts Connection { get; }
    public Verdict Verdict { get; }

    public override long TimestampMicros => Connection.EndMicros;

    public override IEveSection Eve => TlsEveSection.Instance;
}
