using System.Text;

namespace TrafficSensor.Http;

/// <summary>
/// Extracts request parameters: the query string, urlencoded and multipart/form-data bodies, and
/// cookies. Values are percent-decoded and bounded; the number of parameters is capped.
/// </summary>
public static class HttpParameters
{
    private const int MaxValueChars = 4096;

    public static void Extract(HttpTransaction transaction, int maxParameters)
    {
        var request = transaction.Request;
        if (request is null) return;
        var list = transaction.Parameters;

        var target = request.Target ?? "";
        var q = target.IndexOf('?');
        var body = request.BodyBytes;
        var contentType = body.IsEmpty ? "" : (request.Header("Content-Type") ?? "").TrimStart();
        var form = contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
        Reserve(transaction, request, q < 0 ? default : target.AsSpan(q + 1), form ? body : default, maxParameters);

        if (q >= 0) ParseUrlEncoded(target.AsSpan(q + 1), ParameterSource.Query, list, maxParameters, ref transaction.Anomalies);

        foreach (var header in request.Headers)
            if (header.Name.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
                ParseCookies(header.Value, list, maxParameters, ref transaction.Anomalies);

        if (body.IsEmpty) return;
        if (form)
        {
            // Decoded into a pooled buffer: the parameters are strings of their own, the body's text is not kept.
            var chars = System.Buffers.ArrayPool<char>.Shared.Rent(body.Length);
            try
            {
                var length = HttpText.DecodeInto(body, chars);
                ParseUrlEncoded(chars.AsSpan(0, length), ParameterSource.Form, list, maxParameters, ref transaction.Anomalies);
            }
            finally
            {
                System.Buffers.ArrayPool<char>.Shared.Return(chars);
            }
        }
        else if (contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase)
                 && Boundary(contentType) is { } boundary)
        {
            ParseMultipart(body, boundary, list, maxParameters, ref transaction.Anomalies);
        }
    }

    /// <summary>
    /// Gives an empty parameter list room for every parameter the query, the cookies and a form body can hold (one
    /// per separator, plus one; at most <paramref name="max"/>), so that it is one array of about the right size
    /// instead of a list grown from 4. Multipart parts are not counted: those lists grow as they fill.
    /// </summary>
    private static void Reserve(HttpTransaction transaction, HttpMessage request, ReadOnlySpan<char> query, ReadOnlySpan<byte> form, int max)
    {
        var list = transaction.Parameters;
        if (list.Count > 0) return;
        long bound = 0;
        if (!query.IsEmpty) bound += query.Count('&') + query.Count(';') + 1;
        foreach (var header in request.Headers)
            if (header.Name.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
                bound += header.Value.AsSpan().Count(';') + 1;
        if (!form.IsEmpty) bound += form.Count((byte)'&') + form.Count((byte)';') + 1;
        var capacity = (int)Math.Min(bound, Math.Max(0, max));
        if (capacity > list.Capacity) list.Capacity = capacity;
    }

    public static void ParseUrlEncoded(ReadOnlySpan<char> text, ParameterSource source, List<HttpParameter> list, int max, ref HttpAnomalies anomalies)
    {
        var fragment = text.IndexOf('#');
        if (fragment >= 0) text = text[..fragment];
        while (!text.IsEmpty)
        {
            var amp = text.IndexOfAny('&', ';');
            var pair = amp < 0 ? text : text[..amp];
            text = amp < 0 ? default : text[(amp + 1)..];
            if (pair.IsEmpty) continue;
            var eq = pair.IndexOf('=');
            var name = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? default : pair[(eq + 1)..];
            if (!Add(list, max, new HttpParameter(source, PercentDecode(name), PercentDecode(value)), ref anomalies)) return;
        }
    }

    public static void ParseCookies(string header, List<HttpParameter> list, int max, ref HttpAnomalies anomalies)
    {
        // As splitting at ';' with trimmed, non-empty entries, without a string per entry.
        var text = header.AsSpan();
        while (!text.IsEmpty)
        {
            var semicolon = text.IndexOf(';');
            var part = (semicolon < 0 ? text : text[..semicolon]).Trim();
            text = semicolon < 0 ? default : text[(semicolon + 1)..];
            if (part.IsEmpty) continue;
            var eq = part.IndexOf('=');
            var name = eq < 0 ? part : part[..eq].Trim();
            var value = eq < 0 ? default : part[(eq + 1)..].Trim();
            if (value.Length > MaxValueChars) value = value[..MaxValueChars];
            if (!Add(list, max, new HttpParameter(ParameterSource.Cookie, HttpText.Recent(name), HttpText.Recent(value)), ref anomalies)) return;
        }
    }

    public static void ParseMultipart(ReadOnlySpan<byte> body, string boundary, List<HttpParameter> list, int max, ref HttpAnomalies anomalies)
    {
        var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        var position = body.IndexOf(delimiter);
        while (position >= 0)
        {
            var part = body[(position + delimiter.Length)..];
            if (part.StartsWith("--"u8)) return; // closing delimiter
            var next = part.IndexOf(delimiter);
            var content = next < 0 ? part : part[..next];
            var headEnd = content.IndexOf("\r\n\r\n"u8);
            var separator = 4;
            if (headEnd < 0) { headEnd = content.IndexOf("\n\n"u8); separator = 2; }
            if (headEnd < 0) return; // cut off by the inspection limit
            var headers = HttpText.Decode(content[..headEnd]);
            var value = content[(headEnd + separator)..];
            if (value.EndsWith("\r\n"u8)) value = value[..^2];
            else if (value.EndsWith("\n"u8)) value = value[..^1];

            var disposition = headers.Split('\n').Select(l => l.Trim())
                .FirstOrDefault(l => l.StartsWith("Content-Disposition:", StringComparison.OrdinalIgnoreCase));
            if (disposition is not null)
            {
                var name = DispositionParameter(disposition, "name") ?? "";
                // PHP reads filename=; RFC 6266 frameworks prefer filename*=. Both are logged when
                // they differ (flagged: one server stores what the other's filter did not see).
                var plain = DispositionParameter(disposition, "filename");
                var extended = DispositionParameter(disposition, "filename*") is { } star ? ExtendedValue(star) : null;
                var fileName = plain ?? extended;
                if (plain is not null && extended is not null && plain != extended)
                {
                    anomalies.Add(HttpAnomaly.AmbiguousFileName);
                    fileName = plain + " | " + extended;
                }
                var text = HttpText.Decode(value.Length > MaxValueChars ? value[..MaxValueChars] : value);
                if (!Add(list, max, new HttpParameter(ParameterSource.Multipart, name, text, fileName), ref anomalies)) return;
            }
            if (next < 0) return;
            position = position + delimiter.Length + next;
        }
    }

    internal static string? Boundary(string contentType)
    {
        foreach (var p in contentType.Split(';', StringSplitOptions.TrimEntries))
            if (p.StartsWith("boundary=", StringComparison.OrdinalIgnoreCase))
            {
                var b = p[9..].Trim('"');
                return b.Length is > 0 and <= 200 ? b : null;
            }
        return null;
    }

    /// <summary>
    /// A parameter of a Content-Disposition value: "; name=value" or "; name="quoted \" ; value"", read
    /// as PHP's multipart parser does (a ';' inside quotes belongs to the value; a backslash escapes
    /// the next character). Null when absent.
    /// </summary>
    internal static string? DispositionParameter(string disposition, string parameter)
    {
        var i = disposition.IndexOf(';');
        while (i >= 0 && i < disposition.Length)
        {
            i++; // past ';'
            while (i < disposition.Length && disposition[i] is ' ' or '\t') i++;
            var nameStart = i;
            while (i < disposition.Length && disposition[i] is not ('=' or ';')) i++;
            var name = disposition.AsSpan(nameStart, i - nameStart).TrimEnd();
            string? value = null;
            if (i < disposition.Length && disposition[i] == '=')
            {
                i++;
                while (i < disposition.Length && disposition[i] is ' ' or '\t') i++;
                if (i < disposition.Length && disposition[i] == '"')
                {
                    var text = new StringBuilder();
                    for (i++; i < disposition.Length && disposition[i] != '"'; i++)
                    {
                        if (disposition[i] == '\\' && i + 1 < disposition.Length) i++;
                        text.Append(disposition[i]);
                    }
                    value = text.ToString();
                    i = disposition.IndexOf(';', Math.Min(i, disposition.Length));
                }
                else
                {
                    var end = disposition.IndexOf(';', i);
                    value = (end < 0 ? disposition[i..] : disposition[i..end]).Trim();
                    i = end;
                }
            }
            else if (i >= disposition.Length)
            {
                i = -1;
            }
            if (value is not null && name.Equals(parameter, StringComparison.OrdinalIgnoreCase)) return value;
        }
        return null;
    }

    /// <summary>RFC 5987/8187 ext-value: charset'language'percent-encoded (UTF-8 or ISO-8859-1).</summary>
    internal static string ExtendedValue(string value)
    {
        var first = value.IndexOf('\'');
        var second = first < 0 ? -1 : value.IndexOf('\'', first + 1);
        if (second < 0) return PercentDecode(value);
        var charset = value[..first];
        var encoded = value[(second + 1)..];
        if (!charset.Equals("ISO-8859-1", StringComparison.OrdinalIgnoreCase)) return PercentDecode(encoded.Replace("+", "%2B"));
        var bytes = new List<byte>();
        for (var k = 0; k < encoded.Length; k++)
        {
            if (encoded[k] == '%' && k + 2 < encoded.Length && IsHex(encoded[k + 1]) && IsHex(encoded[k + 2]))
            {
                bytes.Add((byte)(HexValue(encoded[k + 1]) * 16 + HexValue(encoded[k + 2])));
                k += 2;
            }
            else bytes.Add((byte)encoded[k]);
        }
        return Encoding.Latin1.GetString(bytes.ToArray());
    }

    private static bool Add(List<HttpParameter> list, int max, HttpParameter parameter, ref HttpAnomalies anomalies)
    {
        if (list.Count >= max)
        {
            anomalies.Add(HttpAnomaly.TooManyParameters);
            return false;
        }
        list.Add(parameter);
        return true;
    }

    /// <summary>As <see cref="PercentDecode(ReadOnlySpan{char})"/>; a value with nothing to decode is returned itself, not copied.</summary>
    public static string PercentDecode(string text) =>
        text.Length <= MaxValueChars && text.AsSpan().IndexOfAny('%', '+') < 0 ? text : PercentDecode(text.AsSpan());

    /// <summary>Decodes %XX escapes and '+' as space; malformed escapes are kept as they are. Bytes are read as UTF-8 (Latin-1 if invalid).</summary>
    public static string PercentDecode(ReadOnlySpan<char> text)
    {
        if (text.Length > MaxValueChars) text = text[..MaxValueChars];
        if (text.IndexOfAny('%', '+') < 0) return HttpText.Recent(text);
        var most = Encoding.UTF8.GetMaxByteCount(text.Length);
        Span<byte> bytes = most <= 1024 ? stackalloc byte[most] : new byte[most];
        var n = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '+') bytes[n++] = (byte)' ';
            else if (c == '%' && i + 2 < text.Length && IsHex(text[i + 1]) && IsHex(text[i + 2]))
            {
                bytes[n++] = (byte)(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
                i += 2;
            }
            else if (c < 0x80) bytes[n++] = (byte)c;
            else n += Encoding.UTF8.GetBytes(text.Slice(i, 1), bytes[n..]);
        }
        return HttpText.Recent(bytes[..n]);
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);
    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
