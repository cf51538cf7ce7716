namespace TrafficSensor.Tls;

/// <summary>One TLS record as seen on the wire: which side sent it, its content type, its length and when it completed.</summary>
public readonly record struct TlsRecordSeen(bool FromLow, byte ContentType, int Length, long TimestampMicros);

/// <summary>
/// The sizes and times of a TLS connection's records, all that can be learnt of its traffic without keys:
/// every record is counted (records and bytes by side), the first <see cref="MaxRecords"/> are kept in order
/// for the metadata features (bounded: a long-lived connection's shape is judged on its beginning).
/// Sides are the flow's low and high endpoints; which one is the client is the parser's to say.
/// Records are kept only once <see cref="Keep"/> was called (a TLS metadata model judges connections), each
/// charged to the worker's inspection budget: when it is spent, records are counted, not kept.
/// Owned by the flow worker's thread, as the <see cref="TlsConnectionParser"/> that fills it.
/// </summary>
public sealed class TlsRecordShape
{
    /// <summary>Records kept per connection (a command loop shows itself well before).</summary>
    public const int MaxRecords = 512;

    /// <summary>What one kept record costs, charged to the budget.</summary>
    public const int RecordBytes = 24;

    private readonly List<TlsRecordSeen> _records = new();
    private MemoryBudget? _budget;
    private int _reserved;

    /// <summary>From now on records are kept (up to <see cref="MaxRecords"/>), within <paramref name="budget"/>.</summary>
    public void Keep(MemoryBudget budget) => _budget = budget;

    /// <summary>Gives the budget back (the connection ended; the records stay readable for its judge).</summary>
    public void ReleaseBudget()
    {
        _budget?.Release(_reserved);
        _reserved = 0;
        _budget = null;
    }

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
        if (_budget is not null && _records.Count < MaxRecords && _budget.TryReserve(RecordBytes))
        {
            _reserved += RecordBytes;
            _records.Add(new TlsRecordSeen(fromLow, contentType, length, timestampMicros));
        }
        else RecordsNotKept++;
    }
}
