using System.Text;

namespace TrafficSensor.Tls;

/// <summary>A parsed ClientHello (TLS 1.0–1.3, or SSLv2-compatible). Lists are in wire order, GREASE included.</summary>
public sealed class TlsClientHello
{
    /// <summary>Entries kept per list; a hello with more is cut there (counted) so no record grows without bound.</summary>
    public const int MaxListEntries = 1024;

    public bool Ssl2Framed { get; private init; }
    public ushort LegacyVersion { get; private init; }
    public byte[] Random { get; private init; } = [];
    public byte[] SessionId { get; private init; } = [];
    public List<ushort> CipherSuites { get; } = new();
    public List<ushort> ExtensionTypes { get; } = new();
    public List<ushort> SupportedGroups { get; } = new();
    public List<byte> EcPointFormats { get; } = new();
    public List<ushort> SignatureAlgorithms { get; } = new();
    public List<ushort> SupportedVersions { get; } = new();
    /// <summary>ALPN protocol names as sent (bytes, for JA4's rule on non-alphanumeric names).</summary>
    public List<byte[]> Alpn { get; } = new();
    public string? ServerName { get; private set; }
    public bool HasServerNameExtension { get; private set; }
    public bool Truncated { get; private set; }

    /// <summary>The highest version offered: supported_versions (GREASE left out) when present, else the hello's version.</summary>
    public ushort HighestVersion
    {
        get
        {
            ushort best = 0;
            foreach (var v in SupportedVersions)
                if (!TlsWire.IsGrease(v) && v > best) best = v;
            return SupportedVersions.Count > 0 && best != 0 ? best : LegacyVersion;
        }
    }

    public IEnumerable<string> AlpnNames => Alpn.Select(a => TlsText.Decode(a));

    /// <summary>Parses a ClientHello body (after the handshake header); null when it is malformed (counted).</summary>
    public static TlsClientHello? Parse(ReadOnlySpan<byte> body, TlsCounters counters)
    {
        var r = new TlsSpanReader(body);
        if (!r.TryU16(out var version) || !r.TryBytes(32, out var random) || !r.TryVector(1, out var sessionId) || sessionId.Length > 32
            || !r.TryVector(2, out var suites) || suites.Length % 2 != 0 || !r.TryVector(1, out _))
        {
            counters.Events.Add(TlsParseEvent.MalformedClientHello);
            return null;
        }
        var hello = new TlsClientHello { LegacyVersion = version, Random = random.ToArray(), SessionId = sessionId.ToArray() };
        var sr = new TlsSpanReader(suites);
        while (sr.TryU16(out var suite)) hello.Add(hello.CipherSuites, suite, counters);

        if (r.Remaining == 0) return hello; // no extensions (allowed before TLS 1.3)
        if (!r.TryVector(2, out var extensions))
        {
            counters.Events.Add(TlsParseEvent.MalformedClientHello);
            return null;
        }
        var er = new TlsSpanReader(extensions);
        while (er.Remaining > 0)
        {
            if (!er.TryU16(out var type) || !er.TryVector(2, out var data))
            {
                counters.Events.Add(TlsParseEvent.MalformedClientHello);
                return null;
            }
            hello.Add(hello.ExtensionTypes, type, counters);
            if (!hello.ParseExtension(type, data, counters)) counters.Events.Add(TlsParseEvent.MalformedExtension);
        }
        return hello;
    }

    /// <summary>
    /// Parses an SSLv2-compatible ClientHello (RFC 6101 E.2, RFC 5246 E.2) from its msg_type byte on.
    /// Cipher specs are 3 bytes; those with a zero first byte are TLS suites and are kept as such.
    /// </summary>
    public static TlsClientHello? ParseSsl2(ReadOnlySpan<byte> message, TlsCounters counters)
    {
        var r = new TlsSpanReader(message);
        if (!r.TryU8(out var type) || type != TlsWire.ClientHelloType || !r.TryU16(out var version)
            || !r.TryU16(out var specLength) || !r.TryU16(out var sessionLength) || !r.TryU16(out var challengeLength)
            || specLength % 3 != 0 || sessionLength is not (0 or 16 or 32) || challengeLength is < 16 or > 32
            || !r.TryBytes(specLength, out var specs) || !r.TryBytes(sessionLength, out var session) || !r.TryBytes(challengeLength, out var challenge))
        {
            counters.Events.Add(TlsParseEvent.MalformedSsl2ClientHello);
            return null;
        }
        // The challenge becomes the right-aligned client random (RFC 5246 E.2).
        var random = new byte[32];
        challenge.CopyTo(random.AsSpan(32 - challenge.Length));
        var hello = new TlsClientHello { Ssl2Framed = true, LegacyVersion = version, Random = random, SessionId = session.ToArray() };
        for (var i = 0; i + 3 <= specs.Length; i += 3)
            if (specs[i] == 0) hello.Add(hello.CipherSuites, (ushort)((specs[i + 1] << 8) | specs[i + 2]), counters);
        return hello;
    }

    private bool ParseExtension(ushort type, ReadOnlySpan<byte> data, TlsCounters counters)
    {
        var r = new TlsSpanReader(data);
        switch (type)
        {
            case TlsWire.ExtServerName:
            {
                HasServerNameExtension = true;
                if (data.IsEmpty) return true; // a server's empty acknowledgement; in a ClientHello harmless
                if (!r.TryVector(2, out var list)) return false;
                var lr = new TlsSpanReader(list);
                while (lr.Remaining > 0)
                {
                    if (!lr.TryU8(out var nameType) || !lr.TryVector(2, out var name)) return false;
                    if (nameType == 0 && ServerName is null) ServerName = TlsText.Decode(name);
                }
                return true;
            }
            case TlsWire.ExtAlpn:
            {
                if (!r.TryVector(2, out var list)) return false;
                var lr = new TlsSpanReader(list);
                while (lr.Remaining > 0)
                {
                    if (!lr.TryVector(1, out var name)) return false;
                    if (Alpn.Count < 64) Alpn.Add(name.ToArray());
                    else { Truncated = true; counters.Events.Add(TlsParseEvent.ListTruncated); break; }
                }
                return true;
            }
            case TlsWire.ExtSupportedVersions:
                return ReadU16List(r, 1, SupportedVersions, counters);
            case TlsWire.ExtSupportedGroups:
                return ReadU16List(r, 2, SupportedGroups, counters);
            case TlsWire.ExtSignatureAlgorithms:
                return ReadU16List(r, 2, SignatureAlgorithms, counters);
            case TlsWire.ExtEcPointFormats:
            {
                if (!r.TryVector(1, out var list)) return false;
                foreach (var f in list)
                {
                    if (EcPointFormats.Count >= MaxListEntries) { Truncated = true; counters.Events.Add(TlsParseEvent.ListTruncated); break; }
                    EcPointFormats.Add(f);
                }
                return true;
            }
            default:
                return true;
        }
    }

    private bool ReadU16List(TlsSpanReader r, int prefix, List<ushort> into, TlsCounters counters)
    {
        if (!r.TryVector(prefix, out var list) || list.Length % 2 != 0) return false;
        var lr = new TlsSpanReader(list);
        while (lr.TryU16(out var v))
            if (!Add(into, v, counters)) break;
        return true;
    }

    private bool Add<T>(List<T> list, T value, TlsCounters counters)
    {
        if (list.Count < MaxListEntries)
        {
            list.Add(value);
            return true;
        }
        if (!Truncated) counters.Events.Add(TlsParseEvent.ListTruncated);
        Truncated = true;
        return false;
    }
}

/// <summary>A parsed ServerHello (or HelloRetryRequest, which has its shape).</summary>
public sealed partial class TlsServerHello
{
    public ushort LegacyVersion { get; private init; }
    public byte[] Random { get; private init; } = [];
    public ushort CipherSuite { get; private init; }
    public List<ushort> ExtensionTypes { get; } = new();
    /// <summary>supported_versions' selected version (TLS 1.3), 0 when absent.</summary>
    public ushort SelectedVersion { get; private set; }
    public string? Alpn { get; private set; }
    public bool EncryptThenMac { get; private set; }
    public bool IsHelloRetryRequest { get; private init; }

    /// <summary>The version the connection really uses: supported_versions when present, else the hello's.</summary>
    public ushort NegotiatedVersion => SelectedVersion != 0 ? SelectedVersion : LegacyVersion;

    public static TlsServerHello? Parse(ReadOnlySpan<byte> body, TlsCounters counters)
    {
        var r = new TlsSpanReader(body);
        if (!r.TryU16(out var version) || !r.TryBytes(32, out var random) || !r.TryVector(1, out var sessionId) || sessionId.Length > 32
            || !r.TryU16(out var suite) || !r.TryU8(out _))
        {
            counters.Events.Add(TlsParseEvent.MalformedServerHello);
            return null;
        }
        var hello = new TlsServerHello
        {
            LegacyVersion = version, Random = random.ToArray(), CipherSuite = suite,
            IsHelloRetryRequest = random.SequenceEqual(TlsWire.HelloRetryRequestRandom),
        };
        if (r.Remaining == 0) return hello;
        if (!r.TryVector(2, out var extensions))
        {
            counters.Events.Add(TlsParseEvent.MalformedServerHello);
            return null;
        }
        var er = new TlsSpanReader(extensions);
        while (er.Remaining > 0)
        {
            if (!er.TryU16(out var type) || !er.TryVector(2, out var data))
            {
                counters.Events.Add(TlsParseEvent.MalformedServerHello);
                return null;
            }
            if (hello.ExtensionTypes.Count < TlsClientHello.MaxListEntries) hello.ExtensionTypes.Add(type);
            else { counters.Events.Add(TlsParseEvent.ListTruncated); break; }
            var dr = new TlsSpanReader(data);
            switch (type)
            {
                case TlsWire.ExtSupportedVersions:
                    if (dr.TryU16(out var selected)) hello.SelectedVersion = selected;
                    else counters.Events.Add(TlsParseEvent.MalformedExtension);
                    break;
                case TlsWire.ExtAlpn:
                    if (dr.TryVector(2, out var list) && new TlsSpanReader(list) is var lr && lr.TryVector(1, out var name)) hello.Alpn = TlsText.Decode(name);
                    else counters.Events.Add(TlsParseEvent.MalformedExtension);
                    break;
                case TlsWire.ExtEncryptThenMac:
                    hello.EncryptThenMac = true;
                    break;
            }
        }
        return hello;
    }
}

public sealed partial class TlsServerHello
{
    /// <summary>The ALPN protocol in an EncryptedExtensions body (an extensions vector); null when none or malformed (counted).</summary>
    public static string? ParseAlpnFromExtensions(ReadOnlySpan<byte> body, TlsCounters counters)
    {
        var r = new TlsSpanReader(body);
        if (!r.TryVector(2, out var extensions)) { counters.Events.Add(TlsParseEvent.MalformedExtension); return null; }
        var er = new TlsSpanReader(extensions);
        while (er.Remaining > 0)
        {
            if (!er.TryU16(out var type) || !er.TryVector(2, out var data)) { counters.Events.Add(TlsParseEvent.MalformedExtension); return null; }
            if (type != TlsWire.ExtAlpn) continue;
            var dr = new TlsSpanReader(data);
            if (dr.TryVector(2, out var list) && new TlsSpanReader(list) is var lr && lr.TryVector(1, out var name)) return TlsText.Decode(name);
            counters.Events.Add(TlsParseEvent.MalformedExtension);
            return null;
        }
        return null;
    }
}

/// <summary>Text from the wire: UTF-8 when it is valid, else each byte as the Latin-1 character of its value.</summary>
internal static class TlsText
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(bytes);
        }
    }
}
