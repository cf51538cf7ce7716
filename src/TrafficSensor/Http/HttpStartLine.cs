namespace TrafficSensor.Http;

/// <summary>
/// Recognises request and status lines, also on a prefix (to reject non-HTTP early and to resynchronise).
/// Request lines are read as servers read them: nginx, Apache httpd, IIS and Tomcat accept methods of
/// any length, versions such as HTTP/1.10 and HTTP/01.1 (nginx), tabs and repeated spaces (IIS,
/// nginx, Apache's non-strict mode) and HTTP/0.9 lines without a version. Such a line is accepted, and
/// whatever some server would refuse is flagged on the message.
/// </summary>
internal static class HttpStartLine
{
    public enum Match { No, NeedMore, Yes }

    /// <summary>
    /// Methods that may start a request line without a version (HTTP/0.9 style) or without a target,
    /// and that start a message when resynchronising at the start of a segment. A line with a version
    /// needs no known method.
    /// </summary>
    private static readonly byte[][] KnownMethods =
        new[] { "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT", "PROPFIND",
                "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT" }
        .Select(System.Text.Encoding.ASCII.GetBytes).ToArray();

    /// <summary>Digits read of a version's major or minor number; more is not a version.</summary>
    private const int MaxVersionDigits = 9;

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t';

    /// <summary>Could <paramref name="prefix"/> be the start of a request line ("TOKEN SP target SP HTTP/x.y")?</summary>
    public static Match RequestPrefix(ReadOnlySpan<byte> prefix)
    {
        for (var i = 0; i < prefix.Length; i++)
        {
            var b = prefix[i];
            if (IsSpace(b) || b is (byte)'\r' or (byte)'\n')
            {
                if (i == 0) return Match.No;
                return LineEnd(prefix) < 0 ? Match.NeedMore : Match.Yes;
            }
            if (!HttpText.IsTokenChar(b)) return Match.No;
        }
        return Match.NeedMore; // a method may be of any length: servers impose none short of their line limit
    }

    /// <summary>Could <paramref name="prefix"/> be the start of a status line ("HTTP/")?</summary>
    public static Match ResponsePrefix(ReadOnlySpan<byte> prefix)
    {
        ReadOnlySpan<byte> http = "HTTP/"u8;
        var n = Math.Min(prefix.Length, http.Length);
        if (!prefix[..n].SequenceEqual(http[..n])) return Match.No;
        return n < http.Length ? Match.NeedMore : Match.Yes;
    }

    /// <summary>
    /// Finds the start of a plausible message in <paramref name="data"/>: after any LF, and at its very
    /// start when <paramref name="atLineStart"/> (the byte after a LF, or the start of a segment that
    /// followed a gap, where tshark too looks for the next request); -1 if none.
    /// </summary>
    public static int FindResyncPoint(ReadOnlySpan<byte> data, bool request, bool atLineStart)
    {
        var atLine = FindResyncPointAtLineStart(data, request, atLineStart);
        if (!request) return atLine;
        // A form body ends without a line feed, so after a hole the next request line may follow the
        // lost request's body directly, and the reassembler may hand over what followed the hole as
        // one block: a whole request line with a version anywhere is a resync point too (as tshark finds).
        var anywhere = FindRequestLineAnywhere(atLine < 0 ? data : data[..atLine]);
        return anywhere >= 0 ? anywhere : atLine;
    }

    /// <summary>The first "METHOD /target HTTP/1.x" line of a known method anywhere in <paramref name="data"/>, or -1.</summary>
    private static int FindRequestLineAnywhere(ReadOnlySpan<byte> data)
    {
        var best = -1;
        foreach (var method in KnownMethods)
        {
            var limit = best < 0 ? data.Length : best;
            for (var from = 0; from < limit;)
            {
                var i = data[from..limit].IndexOf(method);
                if (i < 0) break;
                i += from;
                var rest = data[i..];
                if (rest.Length > method.Length + 1 && rest[method.Length] == (byte)' ' && rest[method.Length + 1] == (byte)'/')
                {
                    var lf = rest.IndexOf((byte)'\n');
                    if (lf > 0)
                    {
                        var line = rest[..lf];
                        if (line[^1] == (byte)'\r') line = line[..^1];
                        var probe = new HttpMessage();
                        if (TryParseRequest(line, probe) && probe.Protocol.StartsWith("HTTP/1.", StringComparison.Ordinal))
                        {
                            best = i;
                            break;
                        }
                    }
                }
                from = i + 1;
            }
        }
        return best;
    }

    private static int FindResyncPointAtLineStart(ReadOnlySpan<byte> data, bool request, bool atLineStart)
    {
        var position = atLineStart ? 0 : -1;
        while (true)
        {
            if (position >= 0 && IsResyncStart(data[position..], request)) return position;
            var lf = data[(position + 1)..].IndexOf((byte)'\n');
            if (lf < 0) return -1;
            position += lf + 2;
            if (position >= data.Length) return -1;
        }
    }

    private static bool IsResyncStart(ReadOnlySpan<byte> s, bool request)
    {
        if (!request) return s.StartsWith("HTTP/1."u8);
        foreach (var method in KnownMethods)
            if (s.Length > method.Length && s.StartsWith(method) && IsSpace(s[method.Length])) return true;
        // Any other method: only a whole request line with a version is convincing.
        var lf = s.IndexOf((byte)'\n');
        if (lf < 0) return false;
        var line = s[..lf];
        if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
        if (line.IndexOf("HTTP/"u8) <= 0) return false; // cheap test first: resync scans every line of lost bodies
        var probe = new HttpMessage();
        return TryParseRequest(line, probe) && probe.Protocol.Length > 0;
    }

    private static int LineEnd(ReadOnlySpan<byte> s) => s.IndexOf((byte)'\n');

    private static bool IsKnownMethod(ReadOnlySpan<byte> method)
    {
        foreach (var known in KnownMethods)
            if (method.SequenceEqual(known)) return true;
        return false;
    }

    /// <summary>
    /// Parses "METHOD SP target SP HTTP/x.y" (the line excludes CR/LF) as lenient servers do, flagging
    /// on <paramref name="message"/> what stricter ones refuse. Without a version the line is an
    /// HTTP/0.9-style request, and without a target too it is a bare method; both only with a known
    /// method, so other text protocols (SMTP, FTP, IRC) are not taken for HTTP.
    /// </summary>
    public static bool TryParseRequest(ReadOnlySpan<byte> line, HttpMessage message)
    {
        var methodLength = 0;
        while (methodLength < line.Length && HttpText.IsTokenChar(line[methodLength])) methodLength++;
        if (methodLength == 0) return false;
        var method = line[..methodLength];
        var rest = line[methodLength..];
        var anomalies = new HttpAnomalies();

        if (rest.IsEmpty)
        {
            if (!IsKnownMethod(method)) return false;
            anomalies.Add(HttpAnomaly.MissingTarget);
            anomalies.Add(HttpAnomaly.Http09RequestLine);
            Set(message, method, default, default, anomalies);
            return true;
        }
        if (!IsSpace(rest[0])) return false; // "GET/x": no separator

        var separators = 0;
        var tabs = false;
        while (separators < rest.Length && IsSpace(rest[separators])) tabs |= rest[separators++] == (byte)'\t';
        var trailing = 0;
        while (trailing < rest.Length - separators && IsSpace(rest[rest.Length - 1 - trailing])) tabs |= rest[rest.Length - 1 - trailing++] == (byte)'\t';
        if (separators > 1 || trailing > 0 || tabs) anomalies.Add(HttpAnomaly.WhitespaceInRequestLine);
        rest = rest[separators..^trailing];

        ReadOnlySpan<byte> target;
        ReadOnlySpan<byte> version = default;
        var lastSpace = rest.LastIndexOfAny((byte)' ', (byte)'\t');
        if (lastSpace >= 0 && ParseVersion(rest[(lastSpace + 1)..], ref anomalies))
        {
            version = rest[(lastSpace + 1)..];
            var beforeVersion = rest[..lastSpace];
            target = HttpText.TrimWhitespace(beforeVersion);
            if (beforeVersion.Length - target.Length > 0) anomalies.Add(HttpAnomaly.WhitespaceInRequestLine);
            if (target.IsEmpty) anomalies.Add(HttpAnomaly.MissingTarget);
        }
        else if (lastSpace < 0 && ParseVersion(rest, ref anomalies))
        {
            version = rest; // "OPTIONS HTTP/1.1": no target
            target = default;
            anomalies.Add(HttpAnomaly.MissingTarget);
        }
        else
        {
            if (!IsKnownMethod(method)) return false;
            target = rest; // no version: HTTP/0.9 style, or "GET /HTTP/1.1" with its space lost
            anomalies.Add(HttpAnomaly.Http09RequestLine);
        }

        foreach (var b in target)
        {
            if (b < 0x21 || b == 0x7F)
            {
                anomalies.Add(HttpAnomaly.InvalidTargetCharacters);
                break;
            }
        }
        Set(message, method, target, version, anomalies);
        return true;
    }

    private static void Set(HttpMessage message, ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, ReadOnlySpan<byte> version, HttpAnomalies anomalies)
    {
        foreach (var b in method)
        {
            if (b is (< (byte)'A' or > (byte)'Z') and not (byte)'_' and not (byte)'-')
            {
                anomalies.Add(HttpAnomaly.NonUppercaseMethod);
                break;
            }
        }
        message.Method = HttpText.Recent(method);
        message.Target = HttpText.Recent(target);
        message.Protocol = HttpText.Recent(version);
        message.Anomalies.Add(anomalies);
    }

    /// <summary>
    /// "HTTP/" DIGITS "." DIGITS. HTTP/1.0 and HTTP/1.1 pass unflagged; other digit counts, leading
    /// zeros and lower case (nginx reads HTTP/01.1 as 1.1 and HTTP/1.10 as 1.10) are flagged unusual,
    /// and a major version other than 1 unsupported.
    /// </summary>
    private static bool ParseVersion(ReadOnlySpan<byte> v, ref HttpAnomalies anomalies)
    {
        if (v.Length < 8 || !v[..5].SequenceEqual("HTTP/"u8) && !System.Text.Ascii.EqualsIgnoreCase(v[..5], "HTTP/"u8)) return false;
        var dot = v[5..].IndexOf((byte)'.');
        if (dot <= 0) return false;
        var major = v.Slice(5, dot);
        var minor = v[(5 + dot + 1)..];
        if (!AllDigits(major) || !AllDigits(minor)) return false;
        var canonical = v.Length == 8 && v.StartsWith("HTTP/"u8);
        if (!canonical) anomalies.Add(HttpAnomaly.UnusualHttpVersion);
        var majorValue = 0;
        foreach (var d in major) majorValue = majorValue * 10 + (d - '0');
        if (majorValue != 1) anomalies.Add(HttpAnomaly.UnsupportedHttpVersion);
        return true;
    }

    private static bool AllDigits(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty || s.Length > MaxVersionDigits) return false;
        foreach (var b in s)
            if (b is < (byte)'0' or > (byte)'9') return false;
        return true;
    }

    /// <summary>Parses "HTTP/x.y SP 3DIGIT [SP reason]". The line excludes CR/LF.</summary>
    public static bool TryParseStatus(ReadOnlySpan<byte> line, HttpMessage message)
    {
        if (line.Length < 12 || !IsStatusVersion(line[..8]) || line[8] != (byte)' ') return false;
        var code = line[9..12];
        foreach (var b in code)
            if (b is < (byte)'0' or > (byte)'9') return false;
        if (line.Length > 12 && line[12] != (byte)' ') return false;
        message.Protocol = HttpText.Recent(line[..8]);
        message.Status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
        message.Reason = line.Length > 13 ? HttpText.Recent(line[13..]) : "";
        return true;
    }

    private static bool IsStatusVersion(ReadOnlySpan<byte> v) =>
        v.Length == 8 && v.StartsWith("HTTP/"u8) && v[5] is >= (byte)'0' and <= (byte)'9' && v[6] == (byte)'.' && v[7] is >= (byte)'0' and <= (byte)'9';

    /// <summary>
    /// The last resort for a request line no server grammar accepts, on a connection already known to
    /// carry HTTP and followed by header lines: first word as method, the rest as target, so the
    /// request is written (flagged) instead of lost.
    /// </summary>
    public static void ParseMalformedRequest(ReadOnlySpan<byte> line, HttpMessage message)
    {
        line = HttpText.TrimWhitespace(line);
        var space = line.IndexOfAny((byte)' ', (byte)'\t');
        var method = space < 0 ? line : line[..space];
        var target = space < 0 ? default : HttpText.TrimWhitespace(line[space..]);
        message.Method = HttpText.Recent(method[..Math.Min(method.Length, 64)]);
        message.Target = HttpText.Decode(target);
        message.Protocol = "";
        message.Anomalies.Add(HttpAnomaly.InvalidRequestLine);
    }
}
