using System.Text.Json;
using TrafficSensor.Output;

namespace TrafficSensor.Tls;

/// <summary>
/// What the sensor logs about one TLS connection (EVE <c>tls</c>, Suricata's field names): a snapshot
/// of a <see cref="TlsConnectionParser"/> taken when the handshake ended or the flow closed.
/// </summary>
public sealed record TlsMetadata
{
    public string? Sni { get; init; }
    /// <summary>As Suricata writes it: "TLSv1", "TLS 1.1", "TLS 1.2", "TLS 1.3", "SSLv3", "UNDETERMINED".</summary>
    public required string Version { get; init; }
    public ushort VersionNumber { get; init; }
    public TlsCertificateInfo? ServerCertificate { get; init; }
    public TlsCertificateInfo? ClientCertificate { get; init; }
    public TlsFingerprint? Ja3 { get; init; }
    public TlsFingerprint? Ja3S { get; init; }
    public string? Ja4 { get; init; }
    public IReadOnlyList<string> ClientAlpns { get; init; } = [];
    public string? ServerAlpn { get; init; }
    public bool SessionResumed { get; init; }
    public bool Ssl2Hello { get; init; }

    public static TlsMetadata From(TlsConnectionParser p)
    {
        var ch = p.ClientHello;
        var version = p.Version;
        return new TlsMetadata
        {
            Sni = ch?.ServerName,
            Version = TlsWire.VersionName(version),
            VersionNumber = version,
            ServerCertificate = p.ServerCertificate,
            ClientCertificate = p.ClientCertificate,
            Ja3 = ch is { Ssl2Framed: false } ? TlsFingerprints.Ja3(ch) : null,
            Ja3S = p.ServerHello is { } sh ? TlsFingerprints.Ja3S(sh) : null,
            Ja4 = ch is null ? null : TlsFingerprints.Ja4(ch),
            ClientAlpns = ch?.AlpnNames.ToList() ?? [],
            ServerAlpn = p.ServerAlpn,
            // TLS ≤ 1.2 resumption: the handshake ended without the server sending a certificate in clear.
            SessionResumed = version is > 0 and < TlsWire.Tls13 && p.IsHandshakeDone && p.ServerCertificate is null,
            Ssl2Hello = ch?.Ssl2Framed == true,
        };
    }

    /// <summary>The TLS context a decrypted inner record carries (HTTPS-CONTRACT section 1).</summary>
    public (string? Sni, string Version, string? Ja3Hash, string? Ja4, string? Alpn) Context => (Sni, Version, Ja3?.Hash, Ja4, ServerAlpn);

    /// <summary>Writes the <c>tls</c> object (Suricata's names and types).</summary>
    public void WriteEve(Utf8JsonWriter w)
    {
        w.WriteStartObject("tls");
        if (ServerCertificate is { } cert) WriteCertificate(w, cert);
        if (Sni is not null) EveText.WriteString(w, "sni", Sni);
        EveText.WriteString(w, "version", Version);
        if (SessionResumed) w.WriteBoolean("session_resumed", true);
        if (Ja3 is not null) WriteFingerprint(w, "ja3", Ja3);
        if (Ja3S is not null) WriteFingerprint(w, "ja3s", Ja3S);
        if (Ja4 is not null) w.WriteString("ja4", Ja4);
        if (ClientAlpns.Count > 0)
        {
            w.WriteStartArray("client_alpns");
            foreach (var a in ClientAlpns) EveText.WriteStringValue(w, a);
            w.WriteEndArray();
        }
        if (ServerAlpn is not null)
        {
            w.WriteStartArray("server_alpns");
            EveText.WriteStringValue(w, ServerAlpn);
            w.WriteEndArray();
        }
        if (ClientCertificate is { } client)
        {
            w.WriteStartObject("client");
            WriteCertificate(w, client);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteCertificate(Utf8JsonWriter w, TlsCertificateInfo c)
    {
        EveText.WriteString(w, "subject", c.Subject);
        EveText.WriteString(w, "issuerdn", c.IssuerDn);
        w.WriteString("serial", c.Serial);
        w.WriteString("fingerprint", c.Fingerprint);
        w.WriteString("notbefore", c.NotBefore);
        w.WriteString("notafter", c.NotAfter);
        if (c.SubjectAltNames.Count > 0)
        {
            w.WriteStartArray("subjectaltname");
            foreach (var n in c.SubjectAltNames) EveText.WriteStringValue(w, n);
            w.WriteEndArray();
        }
    }

    private static void WriteFingerprint(Utf8JsonWriter w, string name, TlsFingerprint f)
    {
        w.WriteStartObject(name);
        w.WriteString("hash", f.Hash);
        w.WriteString("string", f.Text);
        w.WriteEndObject();
    }
}
