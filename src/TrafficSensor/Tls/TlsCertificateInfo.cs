using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace TrafficSensor.Tls;

/// <summary>The fields of a certificate as Suricata's EVE <c>tls</c> object writes them.</summary>
public sealed record TlsCertificateInfo(
    string Subject,
    string IssuerDn,
    /// <summary>Serial number: upper-case hex bytes joined by colons (Suricata: "5C:19:B7:B1").</summary>
    string Serial,
    /// <summary>SHA-1 of the DER bytes: lower-case hex bytes joined by colons (Suricata: "4a:a3:66:...").</summary>
    string Fingerprint,
    /// <summary>UTC, "yyyy-MM-ddTHH:mm:ss" as Suricata writes it.</summary>
    string NotBefore,
    string NotAfter,
    IReadOnlyList<string> SubjectAltNames,
    /// <summary>Certificates in the message (the leaf's chain as sent).</summary>
    int ChainLength)
{
    /// <summary>
    /// Reads the leaf (first) certificate of a Certificate message body. TLS 1.2 and earlier:
    /// certificate_list of 3-byte-length DER entries; TLS 1.3: a request context, then entries each
    /// followed by their extensions. Null when malformed or unreadable (counted).
    /// </summary>
    public static TlsCertificateInfo? Parse(ReadOnlySpan<byte> body, bool tls13, TlsCounters counters)
    {
        var r = new TlsSpanReader(body);
        if (tls13 && !r.TryVector(1, out _))
        {
            counters.Events.Add(TlsParseEvent.MalformedCertificate);
            return null;
        }
        if (!r.TryVector(3, out var list))
        {
            counters.Events.Add(TlsParseEvent.MalformedCertificate);
            return null;
        }
        var lr = new TlsSpanReader(list);
        ReadOnlySpan<byte> leaf = default;
        var count = 0;
        while (lr.Remaining > 0)
        {
            if (!lr.TryVector(3, out var der) || (tls13 && !lr.TryVector(2, out _)))
            {
                counters.Events.Add(TlsParseEvent.MalformedCertificate);
                return null;
            }
            if (count++ == 0) leaf = der;
        }
        if (count == 0) return null; // an empty Certificate message (a client with no certificate) is normal
        return FromDer(leaf, count, counters);
    }

    /// <summary>
    /// Certificates already read, by SHA-1: reading one with X509Certificate2 costs about a millisecond
    /// (docs/performance.md) and a server sends the same one on every connection. Shared by the flow
    /// workers (thread-safe); bounded by emptying it when full.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, TlsCertificateInfo> Seen = new(StringComparer.Ordinal);
    private const int MaxSeen = 4096;

    public static TlsCertificateInfo? FromDer(ReadOnlySpan<byte> der, int chainLength, TlsCounters counters)
    {
        var fingerprint = FormatFingerprint(der);
        if (Seen.TryGetValue(fingerprint, out var known)) return known.ChainLength == chainLength ? known : known with { ChainLength = chainLength };
        var info = Read(der, fingerprint, chainLength, counters);
        if (info is not null)
        {
            if (Seen.Count >= MaxSeen) Seen.Clear();
            Seen.TryAdd(fingerprint, info);
        }
        return info;
    }

    /// <summary>For benchmarks and tests: read every certificate afresh.</summary>
    internal static void ForgetSeen() => Seen.Clear();

    private static string FormatFingerprint(ReadOnlySpan<byte> der)
    {
        Span<byte> sha1 = stackalloc byte[20];
        SHA1.HashData(der, sha1);
        return string.Create(59, sha1.ToArray(), static (chars, hash) =>
        {
            const string hex = "0123456789abcdef";
            for (var i = 0; i < hash.Length; i++)
            {
                if (i > 0) chars[i * 3 - 1] = ':';
                chars[i * 3] = hex[hash[i] >> 4];
                chars[i * 3 + 1] = hex[hash[i] & 0xf];
            }
        });
    }

    private static TlsCertificateInfo? Read(ReadOnlySpan<byte> der, string fingerprint, int chainLength, TlsCounters counters)
    {
        try
        {
            using var cert = X509CertificateLoader.LoadCertificate(der);
            var sans = new List<string>();
            foreach (var ext in cert.Extensions)
                if (ext is X509SubjectAlternativeNameExtension san)
                    foreach (var name in san.EnumerateDnsNames())
                        if (sans.Count < 64) sans.Add(name);
            return new TlsCertificateInfo(
                FormatName(cert.SubjectName),
                FormatName(cert.IssuerName),
                string.Join(':', cert.GetSerialNumber().Reverse().Select(b => b.ToString("X2", CultureInfo.InvariantCulture))),
                fingerprint,
                FormatDate(cert.NotBefore),
                FormatDate(cert.NotAfter),
                sans,
                chainLength);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            counters.Events.Add(TlsParseEvent.CertificateUnreadable);
            return null;
        }
    }

    private static string FormatDate(DateTime local) =>
        local.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>
    /// A distinguished name in certificate order, "C=DE, O=Example, CN=example.org", as Suricata writes it
    /// (.NET's own <c>Name</c> reverses the order).
    /// </summary>
    internal static string FormatName(X500DistinguishedName name)
    {
        var sb = new StringBuilder();
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames(reversed: false))
        {
            if (sb.Length > 0) sb.Append(", ");
            if (rdn.HasMultipleElements)
            {
                // Rare multi-valued RDN: .NET formats the set itself ("CN=a + O=b").
                sb.Append(new X500DistinguishedName(DerSequence(rdn.RawData.Span)).Name);
                continue;
            }
            var oid = rdn.GetSingleElementType();
            sb.Append(ShortName(oid)).Append('=').Append(rdn.GetSingleElementValue() ?? "");
        }
        return sb.ToString();
    }

    private static byte[] DerSequence(ReadOnlySpan<byte> content)
    {
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence()) writer.WriteEncodedValue(content);
        return writer.Encode();
    }

    private static string ShortName(Oid oid) => oid.Value switch
    {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.5" => "serialNumber",
        "2.5.4.9" => "street",
        "2.5.4.12" => "title",
        "2.5.4.42" => "GN",
        "2.5.4.4" => "SN",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        _ => oid.Value ?? "?",
    };
}
