using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using TrafficSensor.Http;

namespace TrafficSensor.Output;

/// <summary>
/// Writes one JSON object per line with Suricata EVE field names (event_type "http"), so existing SIEM
/// parsers ingest it. Attacker-controlled strings are JSON-escaped by <see cref="Utf8JsonWriter"/>,
/// including control characters and HTML-sensitive characters, so a log viewer cannot be injected.
/// Thread-safe: records from all workers are serialised under one lock.
/// </summary>
public sealed class EveJsonWriter : ITransactionOutput, IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.Default, SkipValidation = false };
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly Utf8JsonWriter _json;
    private readonly Lock _lock = new();

    public EveJsonWriter(Stream stream, bool ownsStream)
    {
        _stream = stream;
        _ownsStream = ownsStream;
        _json = new Utf8JsonWriter(stream, WriterOptions);
    }

    public long Records { get; private set; }

    public void Write(TransactionRecord record)
    {
        lock (_lock)
        {
            WriteRecord(_json, record);
            _json.Flush();
            _stream.WriteByte((byte)'\n');
            _json.Reset();
            Records++;
        }
    }

    public void Flush()
    {
        lock (_lock) _stream.Flush();
    }

    public void Dispose()
    {
        Flush();
        _json.Dispose();
        if (_ownsStream) _stream.Dispose();
    }

    public static string FormatTimestamp(long micros)
    {
        var time = DateTime.UnixEpoch.AddTicks(micros * 10);
        return time.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+0000";
    }

    internal static void WriteRecord(Utf8JsonWriter w, TransactionRecord r)
    {
        w.WriteStartObject();
        WriteFlowAndHttp(w, r, "http");
        if (r.Verdict is { } verdict) WriteAnomaly(w, verdict, r.SuppressedBy);
        w.WriteEndObject();
    }

    /// <summary>The fields an http event and an alert share: time, flow, endpoints and the http object.</summary>
    internal static void WriteFlowAndHttp(Utf8JsonWriter w, TransactionRecord r, string eventType)
    {
        var tx = r.Transaction;
        var request = tx.Request;
        var response = tx.Response;
        // Our own text, not attacker bytes: written without HTML escaping so "+" stays readable.
        w.WriteString("timestamp", JsonEncodedText.Encode(FormatTimestamp(tx.TimestampMicros), JavaScriptEncoder.UnsafeRelaxedJsonEscaping));
        w.WriteNumber("flow_id", r.FlowId);
        w.WriteString("community_id", JsonEncodedText.Encode(r.CommunityId, JavaScriptEncoder.UnsafeRelaxedJsonEscaping));
        w.WriteString("event_type", eventType);
        w.WriteString("src_ip", r.ClientAddress.ToString());
        w.WriteNumber("src_port", r.ClientPort);
        w.WriteString("dest_ip", r.ServerAddress.ToString());
        w.WriteNumber("dest_port", r.ServerPort);
        w.WriteString("proto", "TCP");
        if (r.Vlan != 0)
        {
            w.WriteStartArray("vlan");
            w.WriteNumberValue(r.Vlan);
            if (r.InnerVlan != 0) w.WriteNumberValue(r.InnerVlan);
            w.WriteEndArray();
        }
        w.WriteNumber("tx_id", tx.Index);

        w.WriteStartObject("http");
        WriteOptional(w, "hostname", tx.Hostname);
        WriteOptional(w, "url", request?.Target);
        WriteOptional(w, "http_user_agent", request?.Header("User-Agent"));
        WriteOptional(w, "http_content_type", response?.Header("Content-Type"));
        WriteOptional(w, "http_refer", request?.Header("Referer"));
        WriteOptional(w, "http_method", request?.Method);
        WriteOptional(w, "protocol", request?.Protocol ?? response?.Protocol);
        if (response is not null) w.WriteNumber("status", response.Status);
        w.WriteNumber("length", response?.BodyLength ?? 0);
        w.WriteNumber("request_body_len", request?.BodyLength ?? 0);
        WriteOptional(w, "http_request_content_type", request?.Header("Content-Type"));
        WriteNames(w, "parameters", tx.Parameters.Where(p => p.Source != ParameterSource.Cookie));
        WriteNames(w, "cookies", tx.Parameters.Where(p => p.Source == ParameterSource.Cookie));
        var files = tx.Parameters.Where(p => p.FileName is not null).Select(p => p.FileName!).ToList();
        if (files.Count > 0)
        {
            w.WriteStartArray("uploaded_files");
            foreach (var f in files) w.WriteStringValue(f);
            w.WriteEndArray();
        }
        var anomalies = tx.AllAnomalies;
        if (!anomalies.IsEmpty)
        {
            w.WriteStartArray("anomalies");
            foreach (var name in anomalies.Names()) w.WriteStringValue(name);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    internal static void WriteAnomaly(Utf8JsonWriter w, Detection.Verdict verdict, string? suppressedBy = null)
    {
        w.WriteStartObject("anomaly");
        w.WriteNumber("score", Math.Round(verdict.Score, 6));
        w.WriteNumber("threshold", Math.Round(verdict.Threshold, 6));
        w.WriteBoolean("alert", verdict.Alert);
        if (suppressedBy is not null) w.WriteString("suppressed_by", suppressedBy);
        w.WriteString("model", verdict.Model);
        if (verdict.Probability is { } probability)
        {
            w.WriteNumber("probability", Math.Round(probability, 6));
            w.WriteNumber("probability_threshold", Math.Round(verdict.ClassifierThreshold ?? 1, 6));
        }
        if (verdict.Detector is not null) w.WriteString("detector", verdict.Detector);
        if (verdict.Kind is { } kind) w.WriteString("kind", Detection.ReasonText.KindName(kind));
        if (verdict.Resembles is not null) w.WriteString("resembles", verdict.Resembles);
        if (verdict.Reasons.Count > 0)
        {
            w.WriteStartArray("reasons");
            foreach (var reason in verdict.Reasons)
            {
                w.WriteStartObject();
                w.WriteString("feature", reason.Feature);
                w.WriteString("text", Detection.ReasonText.Describe(reason));
                w.WriteNumber("value", Math.Round(reason.Value, 4));
                // "normal" is this server's own mean when enough of its traffic was seen, else the training data's.
                w.WriteNumber("normal", Math.Round(reason.ServerNormal ?? reason.Normal, 4));
                w.WriteString("normal_source", reason.ServerNormal is null ? "model" : "server");
                if (reason.ServerNormal is not null)
                {
                    w.WriteNumber("server_transactions", reason.ServerTransactions);
                    w.WriteNumber("model_normal", Math.Round(reason.Normal, 4));
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null) w.WriteString(name, value);
    }

    private static void WriteNames(Utf8JsonWriter w, string name, IEnumerable<HttpParameter> parameters)
    {
        var first = true;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            if (!seen.Add(p.Name)) continue;
            if (first) { w.WriteStartArray(name); first = false; }
            w.WriteStringValue(p.Name);
        }
        if (!first) w.WriteEndArray();
    }
}
