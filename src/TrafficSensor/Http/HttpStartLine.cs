namespace TrafficSensor.Http;

/// <summary>Recognises request and status lines, also on a prefix (to reject non-HTTP early and to resynchronise).</summary>
internal static class HttpStartLine
{
    public enum Match { No, NeedMore, Yes }

    /// <summary>Methods accepted when resynchronising inside a stream, where a false match is costly.</summary>
    private static readonly byte[][] ResyncMethods =
        new[] { "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "TRACE ", "CONNECT ", "PROPFIND ",
                "PROPPATCH ", "MKCOL ", "COPY ", "MOVE ", "LOCK ", "UNLOCK ", "SEARCH ", "REPORT " }
        .Select(System.Text.Encoding.ASCII.GetBytes).ToArray();

    private const int MaxMethodLength = 24;

    /// <summary>Could <paramref name="prefix"/> be the start of a request line ("TOKEN SP target SP HTTP/x.y")?</summary>
    public static Match RequestPrefix(ReadOnlySpan<byte> prefix)
    {
        for (var i = 0; i < prefix.Length; i++)
        {
            var b = prefix[i];
            if (b == (byte)' ')
            {
                if (i == 0) return Match.No;
                return LineEnd(prefix) < 0 ? Match.NeedMore : Match.Yes;
            }
            if (!HttpText.IsTokenChar(b) || i >= MaxMethodLength) return Match.No;
        }
        return Match.NeedMore;
    }

    /// <summary>Could <paramref name="prefix"/> be the start of a status line ("HTTP/")?</summary>
    public static Match ResponsePrefix(ReadOnlySpan<byte> prefix)
    {
        ReadOnlySpan<byte> http = "HTTP/"u8;
        var n = Math.Min(prefix.Length, http.Length);
        if (!prefix[..n].SequenceEqual(http[..n])) return Match.No;
        return n < http.Length ? Match.NeedMore : Match.Yes;
    }

    /// <summary>Finds the start of a plausible message at the beginning of <paramref name="data"/> or after any LF; -1 if none.</summary>
    public static int FindResyncPoint(ReadOnlySpan<byte> data, bool request, bool atLineStart)
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
        foreach (var method in ResyncMethods)
            if (s.StartsWith(method)) return true;
        return false;
    }

    private static int LineEnd(ReadOnlySpan<byte> s) => s.IndexOf((byte)'\n');

    /// <summary>Parses "METHOD SP target SP HTTP/x.y". The line excludes CR/LF.</summary>
    public static bool TryParseRequest(ReadOnlySpan<byte> line, HttpMessage message)
    {
        var sp1 = line.IndexOf((byte)' ');
        if (sp1 <= 0 || sp1 > MaxMethodLength) return false;
        var method = line[..sp1];
        foreach (var b in method)
            if (!HttpText.IsTokenChar(b)) return false;
        var rest = line[(sp1 + 1)..];
        while (!rest.IsEmpty && rest[0] == (byte)' ') rest = rest[1..]; // tolerate extra spaces, as servers do
        var sp2 = rest.LastIndexOf((byte)' ');
        if (sp2 <= 0) return false;
        var version = rest[(sp2 + 1)..];
        if (!IsVersion(version)) return false;
        var target = HttpText.TrimWhitespace(rest[..sp2]);
        if (target.IsEmpty) return false;
        foreach (var b in target)
        {
            if (b < 0x21 || b == 0x7F)
            {
                message.Anomalies.Add(HttpAnomaly.InvalidTargetCharacters);
                break;
            }
        }
        message.Method = HttpText.Decode(method);
        message.Target = HttpText.Decode(target);
        message.Protocol = HttpText.Decode(version);
        return true;
    }

    /// <summary>Parses "HTTP/x.y SP 3DIGIT [SP reason]". The line excludes CR/LF.</summary>
    public static bool TryParseStatus(ReadOnlySpan<byte> line, HttpMessage message)
    {
        if (line.Length < 12 || !IsVersion(line[..8]) || line[8] != (byte)' ') return false;
        var code = line[9..12];
        foreach (var b in code)
            if (b is < (byte)'0' or > (byte)'9') return false;
        if (line.Length > 12 && line[12] != (byte)' ') return false;
        message.Protocol = HttpText.Decode(line[..8]);
        message.Status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
        message.Reason = line.Length > 13 ? HttpText.Decode(line[13..]) : "";
        return true;
    }

    private static bool IsVersion(ReadOnlySpan<byte> v) =>
        v.Length == 8 && v.StartsWith("HTTP/"u8) && v[5] is >= (byte)'0' and <= (byte)'9' && v[6] == (byte)'.' && v[7] is >= (byte)'0' and <= (byte)'9';
}
