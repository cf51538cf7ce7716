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
        w.WriteStartObject("http"u8);
        if (request is not null) WriteHostname(w, request.Header("Host"));
        WriteOptional(w, "url"u8, request?.Target);
        WriteOptional(w, "http_user_agent"u8, request?.Header("User-Agent"));
        WriteOptional(w, "xff"u8, request?.Header("X-Forwarded-For"));
        WriteOptional(w, "http_content_type"u8, response?.Header("Content-Type"));
        WriteOptional(w, "http_refer"u8, request?.Header("Referer"));
        WriteOptional(w, "http_method"u8, request?.Method);
        WriteOptional(w, "protocol"u8, request?.Protocol ?? response?.Protocol);
        if (response is not null) w.WriteNumber("status"u8, response.Status);
        w.WriteNumber("length"u8, response?.BodyLength ?? 0);
        w.WriteNumber("request_body_len"u8, request?.BodyLength ?? 0);
        WriteOptional(w, "http_request_content_type"u8, request?.Header("Content-Type"));
        if (request is not null && options.Headers is HeaderDump.Request or HeaderDump.Both) WriteHeaders(w, "request_headers", request, options);
        if (response is not null && options.Headers is HeaderDump.Response or HeaderDump.Both) WriteHeaders(w, "response_headers", response, options);
        if (withBody && options.BodyExcerptBytes > 0)
        {
            WriteBodyExcerpt(w, "http_request_body_printable", request, options.BodyExcerptBytes);
            WriteBodyExcerpt(w, "http_response_body_printable", response, options.BodyExcerptBytes);
        }
        WriteNames(w, "parameters"u8, tx.Parameters, cookies: false);
        WriteNames(w, "cookies"u8, tx.Parameters, cookies: true);
        var firstFile = true;
        foreach (var p in tx.Parameters)
        {
            if (p.FileName is null) continue;
            if (firstFile) { w.WriteStartArray("uploaded_files"u8); firstFile = false; }
            EveText.WriteStringValue(w, p.FileName);
        }
        if (!firstFile) w.WriteEndArray();
        var anomalies = tx.AllAnomalies;
        if (!anomalies.IsEmpty)
        {
            w.WriteStartArray("anomalies"u8);
            foreach (var name in anomalies.Names()) w.WriteStringValue(name);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    /// <summary><see cref="HttpTransaction.Hostname"/>, spelled the same, without the intermediate strings.</summary>
    private static void WriteHostname(Utf8JsonWriter w, string? hostHeader)
    {
        var host = hostHeader.AsSpan().Trim();
        if (hostHeader is null || host.IsEmpty) return;
        if (host[0] == '[')
        {
            var close = host.IndexOf(']');
            if (close > 0) host = host[1..close];
        }
        else
        {
            var colon = host.LastIndexOf(':');
            if (colon > 0) host = host[..colon];
        }
        char[]? rented = null;
        var lower = host.Length <= 256 ? stackalloc char[host.Length] : (rented = System.Buffers.ArrayPool<char>.Shared.Rent(host.Length)).AsSpan(0, host.Length);
        host.ToLowerInvariant(lower);
        EveText.WriteString(w, "hostname"u8, lower);
        if (rented is not null) System.Buffers.ArrayPool<char>.Shared.Return(rented);
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
        if (message is null || message.BodyBytes is not { Length: > 0 } body) return;
        var length = Math.Min(maxBytes, body.Length);
        Span<char> text = length <= 1024 ? stackalloc char[length] : new char[length];
        for (var i = 0; i < length; i++) text[i] = body[i] is >= 0x20 and < 0x7F ? (char)body[i] : '.';
        EveText.WriteString(w, name, text);
    }

    private static void WriteOptional(Utf8JsonWriter w, ReadOnlySpan<byte> utf8Name, string? value)
    {
        if (value is not null) EveText.WriteString(w, utf8Name, value);
    }

    /// <summary>Beyond this many parameters the names already written are looked up in a set, below it by a scan.</summary>
    private const int ScannedNames = 32;

    private static void WriteNames(Utf8JsonWriter w, ReadOnlySpan<byte> utf8Name, List<HttpParameter> parameters, bool cookies)
    {
        var first = true;
        HashSet<string>? seen = parameters.Count > ScannedNames ? new HashSet<string>(StringComparer.Ordinal) : null;
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if ((p.Source == ParameterSource.Cookie) != cookies) continue;
            if (seen is not null ? !seen.Add(p.Name) : WrittenBefore(parameters, i, cookies)) continue;
            if (first) { w.WriteStartArray(utf8Name); first = false; }
            EveText.WriteStringValue(w, p.Name);
        }
        if (!first) w.WriteEndArray();
    }

    /// <summary>Whether a parameter of the same kind before <paramref name="index"/> has the same name (each name is written once).</summary>
    private static bool WrittenBefore(List<HttpParameter> parameters, int index, bool cookies)
    {
        var name = parameters[index].Name;
        for (var j = 0; j < index; j++)
        {
            var q = parameters[j];
            if ((q.Source == ParameterSource.Cookie) == cookies && string.Equals(q.Name, name, StringComparison.Ordinal)) return true;
        }
        return false;
    }
}
