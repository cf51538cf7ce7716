using System.Text.Encodings.Web;
using System.Text.Json;
using TrafficSensor.Decoding;
using TrafficSensor.Detection;

namespace TrafficSensor.Output;

/// <summary>
/// Writes EVE alerts (event_type "alert") for transactions the model flags. Alerts of one
/// client-to-path session form one thread: the first alert is written at once, later ones when the
/// thread's count reaches 2, 4, 8, … (so a web-shell session of a thousand requests is about ten
/// lines, each with the running count), and a last line for every thread when the run ends.
/// Thread-safe; bounded to <c>maxThreads</c> open threads (the oldest is closed beyond that).
/// </summary>
public sealed class EveAlertWriter(Stream stream, int maxThreads = 100_000, string? evidenceDirectory = null) : ITransactionOutput, IDisposable
{
    private const int MaxFlowsPerThread = 64;
    private readonly Dictionary<Flows.FlowKey, HashSet<long>> _threadsByFlow = new();
    private readonly Utf8JsonWriter _json = new(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default });
    private readonly Dictionary<(IpAddress, IpAddress, ushort, string), AlertThread> _threads = new();
    private readonly Lock _lock = new();
    private long _nextThreadId = 1;

    public long Alerts { get; private set; }

    /// <summary>Names the recorded capture files holding packets between two times (live --write-pcap).</summary>
    public Func<long, long, IReadOnlyList<string>>? CaptureFiles { get; init; }
    public long Lines { get; private set; }

    private sealed class AlertThread(long id, TransactionRecord first)
    {
        public long Id { get; } = id;
        public long Count;
        public long LastWritten;
        public TransactionRecord Last = first;
        public long FirstTimestampMicros { get; } = first.Transaction.TimestampMicros;
    }

    public void Write(TransactionRecord record)
    {
        if (record.Verdict is not { Alert: true }) return;
        var key = AlertClassification.ThreadKey(record);
        lock (_lock)
        {
            Alerts++;
            if (!_threads.TryGetValue(key, out var thread))
            {
                if (_threads.Count >= maxThreads) Close(_threads.MinBy(t => t.Value.Last.Transaction.TimestampMicros).Key);
                thread = new AlertThread(_nextThreadId++, record);
                _threads[key] = thread;
            }
            thread.Count++;
            thread.Last = record;
            if (evidenceDirectory is not null) RememberFlow(record, thread.Id);
            if ((thread.Count & (thread.Count - 1)) == 0) WriteLine(thread, final: false);
        }
    }

    /// <summary>The flows behind each alert thread, for <see cref="EvidenceWriter"/>.</summary>
    public IReadOnlyDictionary<Flows.FlowKey, IReadOnlyCollection<long>> ThreadsByFlow
    {
        get { lock (_lock) return _threadsByFlow.ToDictionary(kv => kv.Key, kv => (IReadOnlyCollection<long>)kv.Value.ToList()); }
    }

    private void RememberFlow(TransactionRecord r, long threadId)
    {
        var key = Flows.FlowKey.From(r.ClientAddress, r.ClientPort, r.ServerAddress, r.ServerPort, 6, r.Vlan, r.InnerVlan, out _);
        if (!_threadsByFlow.TryGetValue(key, out var threads))
        {
            if (_threadsByFlow.Count >= maxThreads * MaxFlowsPerThread) return; // bounded: evidence is best effort
            _threadsByFlow[key] = threads = new HashSet<long>();
        }
        threads.Add(threadId);
    }

    public void Flush()
    {
        lock (_lock)
        {
            foreach (var key in _threads.Keys.ToList()) Close(key);
            stream.Flush();
        }
    }

    public void Dispose()
    {
        Flush();
        _json.Dispose();
    }

    private void Close((IpAddress, IpAddress, ushort, string) key)
    {
        var thread = _threads[key];
        if (thread.LastWritten != thread.Count) WriteLine(thread, final: true);
        _threads.Remove(key);
    }

    private void WriteLine(AlertThread thread, bool final)
    {
        var r = thread.Last;
        var verdict = r.Verdict!;
        _json.WriteStartObject();
        EveJsonWriter.WriteFlowAndHttp(_json, r, "alert");
        _json.WriteStartObject("alert");
        _json.WriteString("action", "allowed");
        _json.WriteNumber("gid", 1);
        var kind = verdict.Kind ?? AlertKind.WebShell;
        _json.WriteNumber("signature_id", AlertClassification.SignatureId(kind));
        _json.WriteNumber("rev", 1);
        _json.WriteString("signature", AlertClassification.Signature(kind, verdict.Resembles));
        _json.WriteString("category", AlertClassification.Category(kind));
        _json.WriteNumber("severity", AlertClassification.Severity(verdict, r.Features));
        _json.WriteNumber("thread_id", thread.Id);
        _json.WriteNumber("count", thread.Count);
        _json.WriteString("first_seen", EveJsonWriter.FormatTimestamp(thread.FirstTimestampMicros));
        _json.WriteBoolean("final", final);
        if (evidenceDirectory is not null) _json.WriteString("evidence", EvidenceWriter.FileName(evidenceDirectory, thread.Id));
        if (CaptureFiles is { } lookup)
        {
            // Live capture with --write-pcap: the rotating files that hold this thread's transactions.
            _json.WriteStartArray("capture_files");
            foreach (var file in lookup(thread.FirstTimestampMicros, Math.Max(thread.FirstTimestampMicros, r.Transaction.CompletedMicros)))
                _json.WriteStringValue(file);
            _json.WriteEndArray();
        }
        _json.WriteEndObject();
        EveJsonWriter.WriteAnomaly(_json, verdict);
        _json.WriteEndObject();
        _json.Flush();
        stream.WriteByte((byte)'\n');
        _json.Reset();
        thread.LastWritten = thread.Count;
        Lines++;
    }
}

/// <summary>Sends every record to several outputs.</summary>
public sealed class TeeOutput(params ITransactionOutput[] outputs) : ITransactionOutput
{
    public void Write(TransactionRecord record)
    {
        foreach (var o in outputs) o.Write(record);
    }

    public void Flush()
    {
        foreach (var o in outputs) o.Flush();
    }
}
