namespace TrafficSensor.Output;

/// <summary>
/// The transaction log: one EVE <c>http</c> record per transaction, with the ML verdict (<c>ml</c>) when a
/// model is used and the alert thread for alerting transactions. Thread-safe (see <see cref="JsonLinesLog"/>).
/// </summary>
public sealed class EveJsonWriter(JsonLinesLog log, EveOptions? options = null, EveSource? source = null) : ITransactionOutput, IDisposable
{
    private readonly EveOptions _options = options ?? new EveOptions();
    private readonly EveSource _source = source ?? EveSource.None;
    private long _records;

    public long Records => Interlocked.Read(ref _records);
    public JsonLinesLog Log => log;

    public void Write(TransactionRecord record)
    {
        EveRecord.Append(log, (Record: record, Writer: this), static (w, s) =>
        {
            w.WriteStartObject();
            EveRecord.WriteCommon(w, s.Record, "http", s.Writer._options, s.Writer._source, withBody: false);
            if (s.Record.Verdict is { } verdict) EveRecord.WriteVerdict(w, verdict, s.Record.Thread, s.Record.SuppressedBy);
            w.WriteEndObject();
        });
        Interlocked.Increment(ref _records);
    }

    public static string FormatTimestamp(long micros) => EveRecord.FormatTimestamp(micros);

    public void Flush() => log.Flush();

    public void Dispose() => log.Dispose();
}
