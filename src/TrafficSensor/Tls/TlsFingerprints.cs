using System.Security.Cryptography;
using System.Text;

namespace TrafficSensor.Tls;

/// <summary>A fingerprint as EVE writes it: the string and its hash.</summary>
public sealed record TlsFingerprint(string Hash, string Text);

/// <summary>
/// JA3 and JA3S (Salesforce: decimal values, '-' within a field, ',' between fields, GREASE left out,
/// MD5) and JA4 (FoxIO JA4 specification: prefix, truncated SHA-256 of sorted ciphers, of sorted
/// extensions and signature algorithms).
/// </summary>
public static class TlsFingerprints
{
    public static TlsFingerprint Ja3(TlsClientHello hello)
    {
        var sb = new StringBuilder(256);
        sb.Append(hello.LegacyVersion).Append(',');
        AppendDecimal(sb, hello.CipherSuites);
        sb.Append(',');
        AppendDecimal(sb, hello.ExtensionTypes);
        sb.Append(',');
        AppendDecimal(sb, hello.SupportedGroups);
        sb.Append(',');
        for (var i = 0; i < hello.EcPointFormats.Count; i++)
        {
            if (i > 0) sb.Append('-');
            sb.Append(hello.EcPointFormats[i]);
        }
        return WithMd5(sb.ToString());
    }

    public static TlsFingerprint Ja3S(TlsServerHello hello)
    {
        var sb = new StringBuilder(64);
        sb.Append(hello.LegacyVersion).Append(',').Append(hello.CipherSuite).Append(',');
        AppendDecimal(sb, hello.ExtensionTypes);
        return WithMd5(sb.ToString());
    }

    /// <summary>JA4 of a ClientHello over TCP ("t").</summary>
    public static string Ja4(TlsClientHello hello) => Ja4Parts(hello, original: false, raw: false);

    /// <summary>JA4_r (sorted values, not hashed), for checking against the specification's raw examples.</summary>
    public static string Ja4Raw(TlsClientHello hello) => Ja4Parts(hello, original: false, raw: true);

    /// <summary>JA4 from the raw form's parts: a = prefix, b = cipher list, c = extension list [ "_" signature algorithms ].</summary>
    public static string Ja4FromRaw(string raw)
    {
        var parts = raw.Split('_', 3);
        return parts[0] + "_" + Hash12(parts[1]) + "_" + Hash12(parts.Length > 2 ? parts[2] : "");
    }

    private static string Ja4Parts(TlsClientHello hello, bool original, bool raw)
    {
        var ciphers = hello.CipherSuites.Where(c => !TlsWire.IsGrease(c)).ToList();
        var extensions = hello.ExtensionTypes.Where(e => !TlsWire.IsGrease(e)).ToList();
        var sb = new StringBuilder(40);
        sb.Append('t').Append(VersionCode(hello.HighestVersion)).Append(hello.HasServerNameExtension ? 'd' : 'i')
          .Append(Math.Min(ciphers.Count, 99).ToString("00")).Append(Math.Min(extensions.Count, 99).ToString("00"))
          .Append(AlpnCode(hello.Alpn.Count > 0 ? hello.Alpn[0] : []));
        var a = sb.ToString();

        var cipherList = string.Join(',', (original ? ciphers : (IEnumerable<ushort>)ciphers.Order()).Select(Hex4));
        var extList = string.Join(',', (original ? extensions : (IEnumerable<ushort>)extensions.Where(e => e is not (TlsWire.ExtServerName or TlsWire.ExtAlpn)).Order()).Select(Hex4));
        var sigs = hello.SignatureAlgorithms.Where(s => !TlsWire.IsGrease(s)).Select(Hex4).ToList();
        var c = sigs.Count > 0 ? extList + "_" + string.Join(',', sigs) : extList;
        if (raw) return a + "_" + cipherList + "_" + c;
        return a + "_" + Hash12(cipherList) + "_" + (extList.Length == 0 ? "000000000000" : Hash12(c));
    }

    /// <summary>The JA4 version code: supported_versions' highest, else the hello's (spec: "TLS and DTLS Version").</summary>
    public static string VersionCode(ushort version) => version switch
    {
        TlsWire.Tls13 => "13",
        TlsWire.Tls12 => "12",
        TlsWire.Tls11 => "11",
        TlsWire.Tls10 => "10",
        TlsWire.Ssl3 => "s3",
        TlsWire.Ssl2 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    };

    /// <summary>First and last characters of the first ALPN value; hex nibbles when either is not alphanumeric; "00" when none.</summary>
    public static string AlpnCode(ReadOnlySpan<byte> first)
    {
        if (first.IsEmpty) return "00";
        byte f = first[0], l = first[^1];
        if (IsAlnum(f) && IsAlnum(l)) return new string([(char)f, (char)l]);
        const string hex = "0123456789abcdef";
        return new string([hex[f >> 4], hex[l & 0xf]]);
    }

    private static bool IsAlnum(byte b) => b is >= 0x30 and <= 0x39 or >= 0x41 and <= 0x5a or >= 0x61 and <= 0x7a;

    private static string Hex4(ushort v) => v.ToString("x4");

    private static string Hash12(string list) =>
        list.Length == 0 ? "000000000000" : Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(list)))[..12];

    private static void AppendDecimal(StringBuilder sb, List<ushort> values)
    {
        var first = true;
        foreach (var v in values)
        {
            if (TlsWire.IsGrease(v)) continue;
            if (!first) sb.Append('-');
            sb.Append(v);
            first = false;
        }
    }

    private static TlsFingerprint WithMd5(string text) =>
        new(Convert.ToHexStringLower(MD5.HashData(Encoding.ASCII.GetBytes(text))), text);
}
