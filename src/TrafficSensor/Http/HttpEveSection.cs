using System.Text.Json;
using TrafficSensor.Output;
using TrafficSensor.Protocols;

namespace TrafficSensor.Http;

/// <summary>
/// The <c>http</c> object of EVE records (Suricata's field names; docs/eve-schema.json), for HTTP/1.x
/// and HTTP/2 transactions alike. Stateless.
/// </summary>
public sealed class HttpEveSection : IEveSection
{
    public static readonly HttpEveSection Instance = new();

    public string EventType => "http";

    public void Write(Utf8JsonWriter writer, AppRecord record, EveOptions options, bool alert)
    {
        if (record is TransactionRecord transaction) WriteHttp(writer, transaction.Transaction, options, alert);
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
