using TrafficSensor.Flows;
using TrafficSensor.Protocols;

namespace TrafficSensor.Tls;

/// <summary>
/// TLS as an application protocol of the seam: recognised by content (a handshake record starting with
/// a ClientHello or ServerHello, or an SSLv2-framed ClientHello; ports only break ties), one
/// <see cref="TlsSession"/> per connection. Stateless, shared by the flow workers.
/// </summary>
public sealed class TlsProtocol : IAppProtocol
{
    public const string ProtocolName = "tls";

    public string Name => ProtocolName;

    public ProbeResult Probe(ReadOnlySpan<byte> firstBytes, bool? fromLow, in FlowKey key) => TlsContentProbe.Probe(firstBytes) switch
    {
        TlsProbeVerdict.Tls => ProbeResult.Match,
        TlsProbeVerdict.NotTls => ProbeResult.NoMatch,
        _ => ProbeResult.NeedMoreData,
    };

    public IAppSession CreateSession(AppSessionContext context) => new TlsSession(context);

    public bool IsUsualPort(ushort port) => port is 443 or 8443 or 4443 or 9443 or 465 or 563 or 636 or 853 or 989 or 990 or 992 or 993 or 994 or 995 or 5061;

    public IProtocolCounters CreateCounters() => new TlsCounters();
}
