using System.Text;
using System.Text.Unicode;

namespace TrafficSensor.Http;

/// <summary>Turns wire bytes into strings: UTF-8 when valid, otherwise Latin-1 (one char per byte, never fails).</summary>
internal static class HttpText
{
    private static readonly string[] KnownHeaderNames =
    [
        "Host", "User-Agent", "Accept", "Accept-Language", "Accept-Encoding", "Accept-Charset", "Connection", "Referer",
        "Cookie", "Set-Cookie", "Content-Type", "Content-Length", "Content-Encoding", "Transfer-Encoding", "Cache-Control",
        "Pragma", "Date", "Server", "Last-Modified", "ETag", "If-Modified-Since", "If-None-Match", "Expires", "Vary",
        "Location", "Keep-Alive", "Upgrade-Insecure-Requests", "Origin", "Authorization", "X-Requested-With",
        "X-Forwarded-For", "Range", "Content-Range", "Accept-Ranges", "Age", "Expect", "Upgrade", "Via", "Age",
        "DNT", "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "X-Powered-By", "Content-Language",
    ];

    private static readonly byte[][] KnownHeaderBytes = KnownHeaderNames.Select(Encoding.ASCII.GetBytes).ToArray();

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return "";
        if (Ascii.IsValid(bytes)) return Encoding.ASCII.GetString(bytes);
        return Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : Encoding.Latin1.GetString(bytes);
    }

    /// <summary>Header names repeat on every message: reuse the common ones instead of allocating.</summary>
    public static string HeaderName(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < KnownHeaderBytes.Length; i++)
            if (name.SequenceEqual(KnownHeaderBytes[i])) return KnownHeaderNames[i];
        return Decode(name);
    }

    /// <summary>RFC 9110 token character (method names, header names).</summary>
    public static bool IsTokenChar(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
            or (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+'
            or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';

    public static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> s)
    {
        var start = 0;
        while (start < s.Length && s[start] is (byte)' ' or (byte)'\t') start++;
        var end = s.Length;
        while (end > start && s[end - 1] is (byte)' ' or (byte)'\t') end--;
        return s[start..end];
    }
}
