using System.Buffers;
using System.Text.Json;
using TrafficSensor.Decoding;
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
        Span<byte> text = stackalloc byte[EveText.TimestampLength];
        EveText.FormatTimestamp(micros, text);
        return System.Text.Encoding.ASCII.GetString(text);
    }

    /// <summary>
    /// The fields every record shares (time, sensor, flow, endpoints, <c>app_proto</c>, <c>tx_id</c>, flow
    /// counters), then the protocol's own section, then the <c>tls</c> object of a decrypted record.
    /// </summary>
    public static void WriteCommon(Utf8JsonWriter w, AppRecord r, string eventType, EveOptions options, EveSource source, bool withBody)
    {
        WriteCommonFields(w, new EveCommonFields(r.TimestampMicros, r.FlowId, eventType, r.ClientAddress, r.ClientPort, r.ServerAddress, r.ServerPort,
            r.Vlan, r.InnerVlan, r.AppProto, r.CommunityId, r.TransactionId, r.Flow), options, source);
        r.Eve.Write(w, r, options, withBody);
        if (r.Tls is { } tls) WriteTls(w, tls);
    }

    /// <summary>
    /// The one writer of the fields every EVE record starts with, in Suricata's order: <c>timestamp</c>,
    /// <c>flow_id</c>, <c>in_iface</c>, <c>pcap_filename</c>, <c>event_type</c>, the endpoints, <c>proto</c>,
    /// <c>vlan</c>, <c>app_proto</c>, <c>community_id</c>, <c>host</c>, <c>tx_id</c> and the <c>flow</c> counters
    /// (the optional ones only when known). Written without intermediate strings: names are UTF-8
    /// literals, times and addresses are formatted on the stack.
    /// </summary>
    public static void WriteCommonFields(Utf8JsonWriter w, in EveCommonFields f, EveOptions options, EveSource source)
    {
        var timestamp = f.TimestampMicros;
        EveText.WriteTimestamp(w, "timestamp"u8, timestamp);
        if (f.FlowId is { } flowId) w.WriteNumber("flow_id"u8, flowId);
        if (source.Interface is { } iface) EveText.WriteString(w, "in_iface"u8, iface);
        if (source.CaptureFileOf?.Invoke(timestamp) is { } file) EveText.WriteString(w, "pcap_filename"u8, file);
        w.WriteString("event_type"u8, f.EventType);
        EveText.WriteAddress(w, "src_ip"u8, f.Client);
        w.WriteNumber("src_port"u8, f.ClientPort);
        EveText.WriteAddress(w, "dest_ip"u8, f.Server);
        w.WriteNumber("dest_port"u8, f.ServerPort);
        w.WriteString("proto"u8, "TCP"u8);
        if (f.Vlan != 0)
        {
            w.WriteStartArray("vlan"u8);
            w.WriteNumberValue(f.Vlan);
            if (f.InnerVlan != 0) w.WriteNumberValue(f.InnerVlan);
            w.WriteEndArray();
        }
        w.WriteString("app_proto"u8, f.AppProto);
        w.WriteString("community_id"u8, f.CommunityId);
        WriteHost(w, options.ResolveHostName());
        if (f.TransactionId is { } txId) w.WriteNumber("tx_id"u8, txId);
        if (f.Flow is { } flow)
        {
            w.WriteStartObject("flow"u8);
            w.WriteNumber("pkts_toserver"u8, flow.PacketsToServer);
            w.WriteNumber("pkts_toclient"u8, flow.PacketsToClient);
            w.WriteNumber("bytes_toserver"u8, flow.BytesToServer);
            w.WriteNumber("bytes_toclient"u8, flow.BytesToClient);
            EveText.WriteTimestamp(w, "start"u8, flow.StartMicros);
            w.WriteEndObject();
        }
    }

    // The sensor's name, escaped once per thread and name (the same string in every record).
    [ThreadStatic] private static string? t_host;
    [ThreadStatic] private static byte[]? t_hostJson;

    private static void WriteHost(Utf8JsonWriter w, string host)
    {
        if (!ReferenceEquals(host, t_host) || t_hostJson is null)
        {
            var utf8 = System.Text.Encoding.UTF8.GetBytes(host);
            var escaped = new byte[utf8.Length * 6 + 2];
            t_hostJson = escaped.AsSpan(0, EveText.Escape(utf8, escaped)).ToArray();
            t_host = host;
        }
        w.WritePropertyName("host"u8);
        w.WriteRawValue(t_hostJson, skipInputValidation: true);
    }

    /// <summary>The TLS connection a decrypted record came through, with Suricata's <c>tls</c> field names.</summary>
    private static void WriteTls(Utf8JsonWriter w, TlsContext tls)
    {
        w.WriteStartObject("tls"u8);
        if (tls.Sni is not null) EveText.WriteString(w, "sni"u8, tls.Sni);
        EveText.WriteString(w, "version"u8, tls.Version);
        if (tls.Ja3Hash is not null)
        {
            w.WriteStartObject("ja3"u8);
            EveText.WriteString(w, "hash"u8, tls.Ja3Hash);
            w.WriteEndObject();
        }
        if (tls.Ja4 is not null) EveText.WriteString(w, "ja4"u8, tls.Ja4);
        if (tls.Alpn is not null) EveText.WriteString(w, "alpn"u8, tls.Alpn);
        w.WriteBoolean("decrypted"u8, true);
        w.WriteEndObject();
    }

    /// <summary>The ML verdict, under our own name (Suricata reserves "anomaly" for its event_type anomaly).</summary>
    public static void WriteVerdict(Utf8JsonWriter w, Detection.Verdict verdict, AlertThreadPosition? thread, string? suppressedBy = null)
    {
        w.WriteStartObject("ml"u8);
        EveText.WriteFloat(w, "score"u8, verdict.Score);
        EveText.WriteFloat(w, "threshold"u8, verdict.Threshold);
        w.WriteBoolean("alert"u8, verdict.Alert);
        EveText.WriteString(w, "model"u8, verdict.Model);
        if (thread is { } t) w.WriteNumber("thread_id"u8, t.Id);
        if (verdict.Probability is { } probability)
        {
            EveText.WriteFloat(w, "probability"u8, probability);
            EveText.WriteFloat(w, "probability_threshold"u8, verdict.ClassifierThreshold ?? 1);
        }
        if (verdict.Detector is not null) w.WriteString("detector"u8, verdict.Detector);
        if (verdict.Kind is { } kind) w.WriteString("kind"u8, Detection.ReasonText.KindName(kind));
        if (verdict.Resembles is not null) EveText.WriteString(w, "resembles"u8, verdict.Resembles);
        if (suppressedBy is not null) EveText.WriteString(w, "suppressed_by"u8, suppressedBy);
        if (verdict.Reasons.Count > 0)
        {
            w.WriteStartArray("reasons"u8);
            foreach (var reason in verdict.Reasons)
            {
                w.WriteStartObject();
                w.WriteString("feature"u8, reason.Feature);
                EveText.WriteString(w, "text"u8, Detection.ReasonText.Describe(reason));
                EveText.WriteFloat(w, "value"u8, reason.Value, 4);
                // "normal" is this server's own mean when enough of its traffic was seen, else the training data's.
                EveText.WriteFloat(w, "normal"u8, reason.ServerNormal ?? reason.Normal, 4);
                w.WriteString("normal_source"u8, reason.ServerNormal is null ? "model" : "server");
                if (reason.ServerNormal is not null)
                {
                    w.WriteNumber("server_transactions"u8, reason.ServerTransactions);
                    EveText.WriteFloat(w, "model_normal"u8, reason.Normal, 4);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}

/// <summary>What <see cref="EveRecord.WriteCommonFields"/> writes; null or 0 fields are left out.</summary>
public readonly record struct EveCommonFields(
    long TimestampMicros,
    long? FlowId,
    string EventType,
    IpAddress Client,
    ushort ClientPort,
    IpAddress Server,
    ushort ServerPort,
    ushort Vlan,
    ushort InnerVlan,
    string AppProto,
    string CommunityId,
    long? TransactionId,
    FlowCounters? Flow);
