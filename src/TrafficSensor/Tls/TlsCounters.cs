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
}

/// <summary>TLS counters of one flow worker (owned by the worker's thread, summed for reports and metrics).</summary>
public sealed class TlsCounters : Protocols.IProtocolCounters
{
    /// <summary>The versions connections are counted by: a fixed set, whatever the traffic sends.</summary>
    private static readonly (ushort Version, string Name)[] Versions =
    [
        (TlsWire.Ssl2, "sslv2"), (TlsWire.Ssl3, "sslv3"), (TlsWire.Tls10, "tls_1_0"), (TlsWire.Tls11, "tls_1_1"),
        (TlsWire.Tls12, "tls_1_2"), (TlsWire.Tls13, "tls_1_3"), (0, "undetermined"),
    ];

    private readonly long[] _connections = new long[Versions.Length + 1]; // the last: any other version

    public ReasonCounters<TlsParseEvent> Events { get; } = new();

    /// <summary>Decryption with a key log (tlsdec's counters, kept here so the protocol has one counter set).</summary>
    public Decryption.TlsDecryptionCounters Decryption { get; } = new();

    public long Records { get; internal set; }
    public long RecordBytes { get; internal set; }

    /// <summary>TLS connections logged, by version: "sslv3", "tls_1_0" … "tls_1_3", "undetermined", "other".</summary>
    public IReadOnlyDictionary<string, long> ConnectionsByVersion()
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < Versions.Length; i++) result[Versions[i].Name] = _connections[i];
        result["other"] = _connections[^1];
        return result;
    }

    public void CountConnection(ushort version)
    {
        var i = Array.FindIndex(Versions, v => v.Version == version);
        _connections[i < 0 ? Versions.Length : i]++;
    }

    void Protocols.IProtocolCounters.Add(Protocols.IProtocolCounters other)
    {
        if (other is TlsCounters tls) Add(tls);
    }

    /// <summary>
    /// Fixed names for --stats and the metrics (<c>trafficsensor_app_events_total{app_proto="tls", event}</c>):
    /// connections by version, records and their bytes, what the parser dropped and why, decryption results.
    /// </summary>
    public IEnumerable<KeyValuePair<string, long>> Figures()
    {
        foreach (var (name, value) in ConnectionsByVersion()) yield return new("connections_" + name, value);
        yield return new("records", Records);
        yield return new("record_bytes", RecordBytes);
        foreach (var reason in Enum.GetValues<TlsParseEvent>()) yield return new(ReasonCounters<TlsParseEvent>.NameOf(reason), Events[reason]);
        yield return new("decrypted_records", Decryption.DecryptedRecords);
        yield return new("decrypted_bytes", Decryption.DecryptedBytes);
        yield return new("held_records", Decryption.HeldRecords);
        foreach (var reason in Enum.GetValues<Decryption.TlsDecryptFailure>())
            yield return new("decrypt_failed_" + ReasonCounters<Decryption.TlsDecryptFailure>.NameOf(reason), Decryption.Failures[reason]);
    }

    public void Add(TlsCounters other)
    {
        Events.Add(other.Events);
        Decryption.Add(other.Decryption);
        for (var i = 0; i < _connections.Length; i++) _connections[i] += other._connections[i];
        Records += other.Records;
        RecordBytes += other.RecordBytes;
    }
}
