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
        return Recent(name);
    }

    // ---------------------------------------------------------------- recently decoded text

    /// <summary>Longer texts are decoded each time (they rarely repeat, and the cache must stay small).</summary>
    private const int MaxRecentBytes = 128;
    private const int RecentSlots = 1024;

    /// <summary>
    /// Recently decoded short texts of this thread (a flow worker): a direct-mapped cache by content, so a
    /// value every message repeats ("keep-alive", a server's Content-Type, a client's User-Agent) is one
    /// string, not one per message. At most <see cref="RecentSlots"/> entries of up to <see cref="MaxRecentBytes"/>
    /// bytes and their strings (under 0.5 MB per thread); hostile traffic that varies every value only evicts
    /// entries (the cost is then Decode's, plus one hash). An ASCII text is its own key (one character per byte,
    /// compared in place): only the others keep a copy of their bytes, so a miss costs one string, not two objects.
    /// </summary>
    [ThreadStatic] private static (byte[]? Bytes, string Text)[]? t_recent;

    /// <summary>The same text as <see cref="Decode"/>, shared with earlier equal bytes seen by this thread.</summary>
    public static string Recent(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return "";
        if (bytes.Length > MaxRecentBytes) return Decode(bytes);
        var slots = t_recent ??= new (byte[]?, string)[RecentSlots];
        var slot = (int)(System.IO.Hashing.XxHash3.HashToUInt64(bytes) % RecentSlots);
        ref var entry = ref slots[slot];
        if (entry.Text is { } cached && (entry.Bytes is { } raw ? bytes.SequenceEqual(raw) : Ascii.Equals(bytes, cached)))
            return cached;
        if (Ascii.IsValid(bytes))
        {
            var ascii = Encoding.ASCII.GetString(bytes);
            entry = (null, ascii);
            return ascii;
        }
        var text = Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : Encoding.Latin1.GetString(bytes);
        entry = (bytes.ToArray(), text);
        return text;
    }

    /// <summary>
    /// Recently made short strings of this thread, by their characters (parameter names and values taken from a
    /// request-target or a cookie as they are): the same kind of cache as <see cref="Recent(ReadOnlySpan{byte})"/>, keyed
    /// by the text itself, so an entry is only its string. At most <see cref="RecentSlots"/> strings of up to
    /// <see cref="MaxRecentBytes"/> characters per thread.
    /// </summary>
    [ThreadStatic] private static string[]? t_recentChars;

    /// <summary><paramref name="chars"/> as a string, shared with earlier equal text seen by this thread.</summary>
    public static string Recent(ReadOnlySpan<char> chars)
    {
        if (chars.IsEmpty) return "";
        if (chars.Length > MaxRecentBytes) return chars.ToString();
        var slots = t_recentChars ??= new string[RecentSlots];
        var slot = (int)(System.IO.Hashing.XxHash3.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(chars)) % RecentSlots);
        ref var entry = ref slots[slot];
        if (entry is { } cached && chars.SequenceEqual(cached)) return cached;
        return entry = chars.ToString();
    }

    /// <summary>
    /// Decodes <paramref name="bytes"/> as <see cref="Decode"/> does, into <paramref name="chars"/> (at least as long as
    /// <paramref name="bytes"/>: none of the three readings makes more characters than bytes); returns the characters written.
    /// </summary>
    public static int DecodeInto(ReadOnlySpan<byte> bytes, Span<char> chars)
    {
        if (bytes.IsEmpty) return 0;
        if (Ascii.IsValid(bytes)) return Encoding.ASCII.GetChars(bytes, chars);
        return Utf8.IsValid(bytes) ? Encoding.UTF8.GetChars(bytes, chars) : Encoding.Latin1.GetChars(bytes, chars);
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
