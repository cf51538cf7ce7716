namespace TrafficSensor.Tls;

/// <summary>What the first bytes of a direction say about TLS.</summary>
public enum TlsProbeVerdict { NeedMoreData, Tls, NotTls }

/// <summary>
/// Recognises TLS by content (as Suricata's and Zeek's detection do): a handshake record (type 22,
/// version 3.x, a plausible length) starting with a ClientHello or ServerHello, or an SSLv2-framed
/// ClientHello offering SSL 3.0 or TLS. Ports play no part here.
/// </summary>
public static class TlsContentProbe
{
    public static TlsProbeVerdict Probe(ReadOnlySpan<byte> first)
    {
        if (first.IsEmpty) return TlsProbeVerdict.NeedMoreData;
        if (first[0] == TlsWire.Handshake)
        {
            if (first.Length < 3) return TlsProbeVerdict.NeedMoreData;
            if (first[1] != 3 || first[2] > 4) return TlsProbeVerdict.NotTls;
            if (first.Length < 6) return TlsProbeVerdict.NeedMoreData;
            var length = (first[3] << 8) | first[4];
            if (length < 4 || length > TlsWire.MaxRecordFragment) return TlsProbeVerdict.NotTls;
            return first[5] is TlsWire.ClientHelloType or TlsWire.ServerHelloType ? TlsProbeVerdict.Tls : TlsProbeVerdict.NotTls;
        }
        if ((first[0] & 0x80) != 0)
        {
            // SSLv2 record header: 15-bit length, msg_type 1 (ClientHello), version 3.x (or 0.2 for SSL 2.0 itself).
            if (first.Length < 5) return TlsProbeVerdict.NeedMoreData;
            var length = ((first[0] & 0x7f) << 8) | first[1];
            var ok = length >= 9 && first[2] == TlsWire.ClientHelloType && ((first[3] == 3 && first[4] <= 4) || (first[3] == 0 && first[4] == 2));
            return ok ? TlsProbeVerdict.Tls : TlsProbeVerdict.NotTls;
        }
        return TlsProbeVerdict.NotTls;
    }
}
