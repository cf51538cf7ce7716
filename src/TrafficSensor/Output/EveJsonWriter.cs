using TrafficSensor.Protocols;

namespace TrafficSensor.Output;

/// <summary>
/// The transaction log: one EVE record per protocol record (<c>http</c> per HTTP transaction), with the ML verdict (<c>ml</c>) when a
/// model is used and the alert thread for alerting transactions. Thread-safe (see <see cref="JsonLinesLog"/>).
/// </summary>
public sealed class EveJsonWriter(JsonLinesLog log, EveOptions? options = null, EveSource? source = null) : ITransactionOutput, IDisposable
{
    private readonly EveOptions _options = options ?? new EveOptions();
    private readonly EveSource _source = source ?? EveSource.None;
    private long _records;

    public long Records => Interlocked.Read(ref _records);
    public JsonLinesLog Log => log;

    public void Write(TransactionRecord record) => Write((AppRecord)record);

    /// <summary>Any protocol's record as its own event type; HTTP transactions carry their verdict.</summary>
    public void Write(AppRecord record)
    {
        // The metadata model's TLS alerts go to the alert log; the connection's tls record was written already.
        if (record is Detection.TlsConnectionAlert) return;
        EveRecord.Append(log, (Record: record, Writer: this), static (w, s) =>
        {
            w.WriteStartObject();
            EveRecord.WriteCommon(w, s.Record, s.Record.Eve.EventType, s.Writer._options, s.Writer._source, withBody: false);
            if (s.Record is TransactionRecord { Verdict: { } verdict } t) EveRecord.WriteVerdict(w, verdict, t.Thread, t.SuppressedBy);
            w.WriteEndObject();
        });
        Interlocked.Increment(ref _records);
    }

    public static string FormatTimestamp(long micros) => EveRecord.FormatTimestamp(micros);

    public void Flush() => log.Flush();

    public void Dispose() => log.Dispose();
}
