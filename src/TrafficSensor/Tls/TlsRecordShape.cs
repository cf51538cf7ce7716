namespace TrafficSensor.Tls;

/// <summary>One TLS record as seen on the wire: which side sent it, its content type, its length and when it completed.</summary>
public readonly record struct TlsRecordSeen(bool FromLow, byte ContentType, int Length, long TimestampMicros);

/// <summary>
/// The sizes and times of a TLS connection's records, all that can be learnt of its traffic without keys:
/// every record is counted (records and bytes by side), the first <see cref="MaxRecords"/> are kept in order
/// for the metadata features (bounded: a long-lived connection's shape is judged on its beginning).
/// Sides are the flow's low and high endpoints; which one is the client is the parser's to say.
/// Owned by the flow worker's thread, as the <see cref="TlsConnectionParser"/> that fills it.
/// </summary>
public sealed class TlsRecordShape
{
    /// <summary>Records kept per connection (16 bytes each; a command loop shows itself well before).</summary>
    public const int MaxRecords = 512;

    private readonly List<TlsRecordSeen> _records = new();

    public IReadOnlyList<TlsRecordSeen> Records => _records;

    /// <summary>Records beyond <see cref="MaxRecords"/>: counted, not kept.</summary>
    public long RecordsNotKept { get; private set; }

    public long RecordsFromLow { get; private set; }
    public long RecordsFromHigh { get; private set; }
    public long BytesFromLow { get; private set; }
    public long BytesFromHigh { get; private set; }
    public long FirstTimestampMicros { get; private set; } = -1;
    public long LastTimestampMicros { get; private set; } = -1;

    public void OnRecord(bool fromLow, byte contentType, int length, long timestampMicros)
    {
        if (fromLow) { RecordsFromLow++; BytesFromLow += length; }
        else { RecordsFromHigh++; BytesFromHigh += length; }
        if (FirstTimestampMicros < 0) FirstTimestampMicros = timestampMicros;
        LastTimestampMicros = Math.Max(LastTimestampMicros, timestampMicros);
        if (_records.Count < MaxRecords) _records.Add(new TlsRecordSeen(fromLow, contentType, length, timestampMicros));
        else RecordsNotKept++;
    }
}
