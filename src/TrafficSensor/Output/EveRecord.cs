using System.Buffers;
using System.Globalization;
using System.Text.Json;
using TrafficSensor.Protocols;

namespace TrafficSensor.Output;

/// <summary>
/// Serialises one record (a protocol's event, e.g. <c>http</c>, or an <c>alert</c>) with Suricata's EVE field names, in
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

    /// <summary>
    /// The fields every record shares (time, sensor, flow, endpoints, <c>app_proto</c>, <c>tx_id</c>, flow
    /// counters), then the protocol's own section, then the <c>tls</c> object of a decrypted record.
    /// </summary>
    public static void WriteCommon(Utf8JsonWriter w, AppRecord r, string eventType, EveOptions options, EveSource source, bool withBody)
    {
        var timestamp = r.TimestampMicros;
        w.WriteString("timestamp", FormatTimestamp(timestamp));
        w.WriteNumber("flow_id", r.FlowId);
        if (source.Interface is { } iface) EveText.WriteString(w, "in_iface", iface);
        if (source.CaptureFileOf?.Invoke(timestamp) is { } file) EveText.WriteString(w, "pcap_filename", file);
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
        w.WriteString("app_proto", r.AppProto);
        w.WriteString("community_id", r.CommunityId);
        EveText.WriteString(w, "host", options.ResolveHostName());
        if (r.TransactionId is { } txId) w.WriteNumber("tx_id", txId);
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
        r.Eve.Write(w, r, options, withBody);
        if (r.Tls is { } tls) WriteTls(w, tls);
    }

    /// <summary>The TLS connection a decrypted record came through, with Suricata's <c>tls</c> field names.</summary>
    private static void WriteTls(Utf8JsonWriter w, TlsContext tls)
    {
        w.WriteStartObject("tls");
        if (tls.Sni is not null) EveText.WriteString(w, "sni", tls.Sni);
        EveText.WriteString(w, "version", tls.Version);
        if (tls.Ja3Hash is not null)
        {
            w.WriteStartObject("ja3");
            EveText.WriteString(w, "hash", tls.Ja3Hash);
            w.WriteEndObject();
        }
        if (tls.Ja4 is not null) EveText.WriteString(w, "ja4", tls.Ja4);
        if (tls.Alpn is not null) EveText.WriteString(w, "alpn", tls.Alpn);
        w.WriteBoolean("decrypted", true);
        w.WriteEndObject();
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
}
