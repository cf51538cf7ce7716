namespace TrafficSensor.Tls;

/// <summary>What the TLS metadata parser dropped or found wrong, by reason (each counted once per occurrence).</summary>
public enum TlsParseEvent
{
    /// <summary>A record header that is no TLS record (unknown content type or version): the direction's framing is lost, parsing stops there.</summary>
    InvalidRecordHeader,
    /// <summary>A record longer than TLSCiphertext allows (2^14 + 2048): its bytes are skipped, framing goes on.</summary>
    RecordOversized,
    /// <summary>A hole in the TCP stream: record framing is lost, the direction stops.</summary>
    StreamGap,
    /// <summary>The stream ended inside a record.</summary>
    TruncatedRecord,
    /// <summary>A handshake message longer than the configured cap: skipped, not parsed.</summary>
    HandshakeMessageOversized,
    /// <summary>A handshake message the worker's memory budget had no room for: skipped.</summary>
    MemoryBudgetExhausted,
    /// <summary>Hellos beyond the per-connection cap (renegotiation storms): not parsed.</summary>
    TooManyHellos,
    MalformedClientHello,
    MalformedServerHello,
    MalformedSsl2ClientHello,
    MalformedExtension,
    MalformedCertificate,
    /// <summary>Certificate bytes .NET could not read as X.509.</summary>
    CertificateUnreadable,
    /// <summary>A list (ciphers, extensions, groups, ALPN names) longer than the cap: the rest is not kept.</summary>
    ListTruncated,
    /// <summary>A ClientHello from the side taken for the server (or a ServerHello from the client).</summary>
    HelloFromWrongSide,
    /// <summary>Application data before the handshake finished, in clear, or other records out of place.</summary>
    UnexpectedRecord,
    /// <summary>A handshake message split across records of another content type (RFC 8446 5.1 forbids it).</summary>
    InterleavedHandshake,
}

/// <summary>TLS parser counters of one worker (owned by the worker's thread, summed for reports).</summary>
public sealed class TlsCounters
{
    public ReasonCounters<TlsParseEvent> Events { get; } = new();

    /// <summary>TLS connections logged, by version as EVE writes it ("TLS 1.2", "TLS 1.3", ...).</summary>
    public Dictionary<string, long> ConnectionsByVersion { get; } = new(StringComparer.Ordinal);

    public long Records { get; internal set; }
    public long RecordBytes { get; internal set; }

    internal void CountConnection(string version)
    {
        // Versions come from a closed set (VersionName): at most the named ones plus 0x.... values, bounded by
        // capping unknown ones into one bucket.
        var key = version.StartsWith("0x", StringComparison.Ordinal) ? "unknown" : version;
        ConnectionsByVersion[key] = ConnectionsByVersion.GetValueOrDefault(key) + 1;
    }

    public void Add(TlsCounters other)
    {
        Events.Add(other.Events);
        foreach (var (k, v) in other.ConnectionsByVersion) ConnectionsByVersion[k] = ConnectionsByVersion.GetValueOrDefault(k) + v;
        Records += other.Records;
        RecordBytes += other.RecordBytes;
    }
}
