namespace TrafficSensor.Output;

/// <summary>
/// The alert log: one EVE <c>alert</c> record per alerting transaction, carrying its thread
/// (<c>alert.thread_id</c>, <c>count</c>, <c>first_seen</c>; see <see cref="AlertThreads"/>), the ML verdict
/// and a bounded excerpt of the bodies. Records without a thread (not alerting) are ignored.
/// Thread-safe (see <see cref="JsonLinesLog"/>).
/// </summary>
public sealed class EveAlertWriter(JsonLinesLog log, EveOptions? options = null, EveSource? source = null, Func<long, string>? evidenceFile = null)
    : ITransactionOutput, IDisposable
{
    private readonly EveOptions _options = options ?? new EveOptions();
    private readonly EveSource _source = source ?? EveSource.None;
    private long _lines;

    /// <summary>Names the recorded capture files holding packets between two times (live --write-pcap).</summary>
    public Func<long, long, IReadOnlyList<string>>? CaptureFiles { get; init; }

    public long Lines => Interlocked.Read(ref _lines) + (_tlsAlerts?.Lines ?? 0);
    public JsonLinesLog Log => log;

    // Created by the first TLS alert (written from the output thread only, Pipeline/OutputStage).
    private TlsAlertWriter? _tlsAlerts;

    /// <summary>Transactions as <see cref="Write(TransactionRecord)"/>; alerts of the TLS metadata model; other records are not alerts.</summary>
    public void Write(Protocols.AppRecord record)
    {
        if (record is TransactionRecord transaction) Write(transaction);
        else if (record is Detection.TlsConnectionAlert tls)
            (_tlsAlerts ??= new TlsAlertWriter(log, _options, _source)).Write(tls.Connection, tls.Verdict, (tls.FlowId, tls.CommunityId));
    }

    public void Write(TransactionRecord record)
    {
        if (record is not { Verdict: { Alert: true } verdict, Thread: { } thread }) return;
        EveRecord.Append(log, (Record: record, Verdict: verdict, Thread: thread, Writer: this), static (w, s) => s.Writer.WriteAlert(w, s.Record, s.Verdict, s.Thread));
        Interlocked.Increment(ref _lines);
    }

    private void WriteAlert(System.Text.Json.Utf8JsonWriter w, TransactionRecord r, Detection.Verdict verdict, AlertThreadPosition thread)
    {
        w.WriteStartObject();
        EveRecord.WriteCommon(w, r, "alert", _options, _source, withBody: true);
        w.WriteStartObject("alert");
        w.WriteString("action", "allowed");
        w.WriteNumber("gid", 1);
        var kind = verdict.Kind ?? Detection.AlertKind.WebShell;
        w.WriteNumber("signature_id", AlertClassification.SignatureId(kind));
        w.WriteNumber("rev", 1);
        w.WriteString("signature", AlertClassification.Signature(kind, verdict.Resembles));
        w.WriteString("category", AlertClassification.Category(kind));
        w.WriteNumber("severity", AlertClassification.Severity(verdict, r.Features));
        w.WriteNumber("thread_id", thread.Id);
        w.WriteNumber("count", thread.Count);
        EveText.WriteTimestamp(w, "first_seen"u8, thread.FirstSeenMicros);
        if (evidenceFile is not null) EveText.WriteString(w, "evidence", evidenceFile(thread.Id));
        if (CaptureFiles is { } lookup)
        {
            // Live capture with --write-pcap: the rotating files that hold this thread's transactions so far.
            w.WriteStartArray("capture_files");
            foreach (var file in lookup(thread.FirstSeenMicros, Math.Max(thread.FirstSeenMicros, r.Transaction.CompletedMicros)))
                EveText.WriteStringValue(w, file);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        EveRecord.WriteVerdict(w, verdict, thread);
        w.WriteEndObject();
    }

    public void Flush() => log.Flush();

    public void Dispose() => log.Dispose();
}
