using System.Buffers;
using System.Globalization;
using System.Text.Json;
using TrafficSensor.Http;

namespace TrafficSensor.Output;

/// <summary>
/// Serialises one record (an <c>http</c> event or an <c>alert</c>) with Suricata's EVE field names, in
/// the spelling of <see cref="EveText"/>. Field list and types: docs/eve-schema.json.
/// </summary>
internal static class EveRecord
{
    /// <summary>One serialisation buffer per thread (workers serialise in parallel, then append whole lines).</summary>
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_json;

    /// <summary>Serialises a record with <paramref name="body"/> into this thread's buffer and appends it to <paramref name="log"/>.</summary>
    public static void Append<TState>(JsonLinesLog log, TState state, Action<Utf8JsonWriter, TState> body)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var json = t_json ??= new Utf8JsonWriter(buffer, EveText.WriterOptions);
        json.Reset(buffer);
        body(json, state);
        json.Flush();
        log.Append(buffer.WrittenSpan);
        if (buffer.Capacity > 1 << 20) t_buffer = null; // a huge record must not pin memory; the writer is re-pointed next time
    }

    public static string FormatTimestamp(long micros)
    {
        var time = DateTime.UnixEpoch.AddTicks(micros * 10);
        return time.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+0000";
    }

    /// <summary>The fields every record shares: time, sensor, flow, endpoints, flow counters and the http object.</summary>
    public static void WriteCommon(Utf8JsonWriter w, TransactionRecord r, string eventType, EveOptions options, EveSource source, bool withBody)
    {
        var tx = r.Transaction;
        w.WriteString("timestamp", FormatTimestamp(tx.TimestampMicros));
        w.WriteNumber("flow_id", r.FlowId);
        if (source.Interface is { } iface) EveText.WriteString(w, "in_iface", iface);
        if (source.CaptureFileOf?.Invoke(tx.TimestampMicros) is { } file) EveText.WriteString(w, "pcap_filename", file);
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
        w.WriteString("app_proto", "http");
        w.WriteString("community_id", r.CommunityId);
        EveText.WriteString(w, "host", options.ResolveHostName());
        w.WriteNumber("tx_id", tx.Index);
        if (r.Flow is { } flow)
        {
            w.WriteStartObject("flow");
            w.WriteNumber("pkts_toserver", flow.PacketsToServer);
            w.WriteNumber("pkts_toclient", flow.PacketsToClient);
            w.WriteNumber("bytes_toserver", flow.BytesToServer);
            w.WriteNumber("bytes_toclient", flow.BytesToClient);
            w.WriteString("start", FormatTimestamp(flow.StartMicros));
            w.WriteEndObject();
        }
        WriteHttp(w, tx, options, withBody);
    }

    private static void WriteHttp(Utf8JsonWriter w, HttpTransaction tx, EveOptions options, bool withBody)
    {
        var request = tx.Request;
        var response = tx.Response;
        w.WriteStartObject("http");
        WriteOptional(w, "hostname", tx.Hostname);
        WriteOptional(w, "url", request?.Target);
        WriteOptional(w, "http_user_agent", request?.Header("User-Agent"));
        WriteOptional(w, "xff", request?.Header("X-Forwarded-For"));
        WriteOptional(w, "http_content_type", response?.Header("Content-Type"));
        WriteOptional(w, "http_refer", request?.Header("Referer"));
        WriteOptional(w, "http_method", request?.Method);
        WriteOptional(w, "protocol", request?.Protocol ?? response?.Protocol);
        if (response is not null) w.WriteNumber("status", response.Status);
        w.WriteNumber("length", response?.BodyLength ?? 0);
        w.WriteNumber("request_body_len", request?.BodyLength ?? 0);
        WriteOptional(w, "http_request_content_type", request?.Header("Content-Type"));
        if (request is not null && options.Headers is HeaderDump.Request or HeaderDump.Both) WriteHeaders(w, "request_headers", request, options);
        if (response is not null && options.Headers is HeaderDump.Response or HeaderDump.Both) WriteHeaders(w, "response_headers", response, options);
        if (withBody && options.BodyExcerptBytes > 0)
        {
            WriteBodyExcerpt(w, "http_request_body_printable", request, options.BodyExcerptBytes);
            WriteBodyExcerpt(w, "http_response_body_printable", response, options.BodyExcerptBytes);
        }
        WriteNames(w, "parameters", tx.Parameters, cookies: false);
        WriteNames(w, "cookies", tx.Parameters, cookies: true);
        var firstFile = true;
        foreach (var p in tx.Parameters)
        {
            if (p.FileName is null) continue;
            if (firstFile) { w.WriteStartArray("uploaded_files"); firstFile = false; }
            EveText.WriteStringValue(w, p.FileName);
        }
        if (!firstFile) w.WriteEndArray();
        var anomalies = tx.AllAnomalies;
        if (!anomalies.IsEmpty)
        {
            w.WriteStartArray("anomalies");
            foreach (var name in anomalies.Names()) w.WriteStringValue(name);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteHeaders(Utf8JsonWriter w, string name, HttpMessage message, EveOptions options)
    {
        if (message.Headers.Count == 0) return;
        w.WriteStartArray(name);
        foreach (var header in message.Headers.Take(options.MaxHeaders))
        {
            w.WriteStartObject();
            EveText.WriteString(w, "name", header.Name);
            var value = header.Value.AsSpan();
            if (value.Length > options.MaxHeaderValueChars) EveText.WriteString(w, "value", string.Concat(value[..options.MaxHeaderValueChars], "…"));
            else EveText.WriteString(w, "value", value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>The first bytes of a body as Suricata's <c>*_body_printable</c>: printable ASCII kept, every other byte a '.'.</summary>
    private static void WriteBodyExcerpt(Utf8JsonWriter w, string name, HttpMessage? message, int maxBytes)
    {
        if (message?.Body is not { Length: > 0 } body) return;
        var length = Math.Min(maxBytes, body.Length);
        Span<char> text = length <= 1024 ? stackalloc char[length] : new char[length];
        for (var i = 0; i < length; i++) text[i] = body[i] is >= 0x20 and < 0x7F ? (char)body[i] : '.';
        EveText.WriteString(w, name, text);
    }

    /// <summary>The ML verdict, under our own name (Suricata reserves "anomaly" for its event_type anomaly).</summary>
    public static void WriteVerdict(Utf8JsonWriter w, Detection.Verdict verdict, AlertThreadPosition? thread, string? suppressedBy = null)
    {
        w.WriteStartObject("ml");
        EveText.WriteFloat(w, "score", verdict.Score);
        EveText.WriteFloat(w, "threshold", verdict.Threshold);
        w.WriteBoolean("alert", verdict.Alert);
        EveText.WriteString(w, "model", verdict.Model);
        if (thread is { } t) w.WriteNumber("thread_id", t.Id);
        if (verdict.Probability is { } probability)
        {
            EveText.WriteFloat(w, "probability", probability);
            EveText.WriteFloat(w, "probability_threshold", verdict.ClassifierThreshold ?? 1);
        }
        if (verdict.Detector is not null) w.WriteString("detector", verdict.Detector);
        if (verdict.Kind is { } kind) w.WriteString("kind", Detection.ReasonText.KindName(kind));
        if (verdict.Resembles is not null) EveText.WriteString(w, "resembles", verdict.Resembles);
        if (suppressedBy is not null) EveText.WriteString(w, "suppressed_by", suppressedBy);
        if (verdict.Reasons.Count > 0)
        {
            w.WriteStartArray("reasons");
            foreach (var reason in verdict.Reasons)
            {
                w.WriteStartObject();
                w.WriteString("feature", reason.Feature);
                EveText.WriteString(w, "text", Detection.ReasonText.Describe(reason));
                EveText.WriteFloat(w, "value", reason.Value, 4);
                // "normal" is this server's own mean when enough of its traffic was seen, else the training data's.
                EveText.WriteFloat(w, "normal", reason.ServerNormal ?? reason.Normal, 4);
                w.WriteString("normal_source", reason.ServerNormal is null ? "model" : "server");
                if (reason.ServerNormal is not null)
                {
                    w.WriteNumber("server_transactions", reason.ServerTransactions);
                    EveText.WriteFloat(w, "model_normal", reason.Normal, 4);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null) EveText.WriteString(w, name, value);
    }

    private static void WriteNames(Utf8JsonWriter w, string name, List<HttpParameter> parameters, bool cookies)
    {
        var first = true;
        HashSet<string>? seen = null;
        foreach (var p in parameters)
        {
            if ((p.Source == ParameterSource.Cookie) != cookies) continue;
            seen ??= new HashSet<string>(StringComparer.Ordinal);
            if (!seen.Add(p.Name)) continue;
            if (first) { w.WriteStartArray(name); first = false; }
            EveText.WriteStringValue(w, p.Name);
        }
        if (!first) w.WriteEndArray();
    }
}
