namespace TrafficSensor.Features;

/// <summary>Allocation-free measures of byte strings: entropy, share of base64/hex runs, binary share, token counts.</summary>
public static class TextStatistics
{
    /// <summary>Shannon entropy in bits per byte (0..8).</summary>
    public static float Entropy(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return 0;
        Span<int> counts = stackalloc int[256];
        foreach (var b in data) counts[b]++;
        double entropy = 0;
        foreach (var c in counts)
        {
            if (c == 0) continue;
            var p = (double)c / data.Length;
            entropy -= p * Math.Log2(p);
        }
        return (float)entropy;
    }

    private static readonly bool[] Base64Chars = Table(b =>
        b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9' or (byte)'+' or (byte)'/' or (byte)'=');
    private static readonly bool[] HexChars = Table(b => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F');

    /// <summary>Share of bytes inside runs of at least <paramref name="minRun"/> base64 characters.</summary>
    public static float Base64Share(ReadOnlySpan<byte> data, int minRun = 32) => RunShare(data, minRun, Base64Chars);

    /// <summary>Share of bytes inside runs of at least <paramref name="minRun"/> hexadecimal digits.</summary>
    public static float HexShare(ReadOnlySpan<byte> data, int minRun = 32) => RunShare(data, minRun, HexChars);

    /// <summary>
    /// Base64 (standard and URL-safe) and hex characters, and '%' so that a percent-encoded blob stays one
    /// run. Not '=': it separates a form's names from values, and base64 padding adds at most two.
    /// </summary>
    private static readonly System.Buffers.SearchValues<byte> EncodedChars =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-%"u8);

    /// <summary>Length of the longest run of base64, hex or percent-encoded characters.</summary>
    public static int LongestEncodedRun(ReadOnlySpan<byte> data)
    {
        var longest = 0;
        while (!data.IsEmpty)
        {
            var start = data.IndexOfAny(EncodedChars);
            if (start < 0) break;
            data = data[start..];
            var end = data.IndexOfAnyExcept(EncodedChars);
            var run = end < 0 ? data.Length : end;
            longest = Math.Max(longest, run);
            data = end < 0 ? default : data[end..];
        }
        return longest;
    }

    /// <summary>Share of bytes that are neither printable ASCII nor common whitespace.</summary>
    public static float BinaryShare(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return 0;
        var n = 0;
        foreach (var b in data)
            if (b is < 0x20 and not ((byte)'\r' or (byte)'\n' or (byte)'\t') or >= 0x7F) n++;
        return (float)n / data.Length;
    }

    // A 256-entry table instead of a predicate: one load per byte, no call.
    private static float RunShare(ReadOnlySpan<byte> data, int minRun, bool[] inRun)
    {
        if (data.IsEmpty) return 0;
        int covered = 0, run = 0;
        foreach (var b in data)
        {
            if (inRun[b]) { run++; continue; }
            if (run >= minRun) covered += run;
            run = 0;
        }
        if (run >= minRun) covered += run;
        return (float)covered / data.Length;
    }

    private static bool[] Table(Func<byte, bool> predicate) => Enumerable.Range(0, 256).Select(i => predicate((byte)i)).ToArray();

    /// <summary>How many of the (lower-case ASCII) tokens occur in <paramref name="data"/>, compared without case.</summary>
    public static int CountTokens(ReadOnlySpan<byte> data, byte[][] tokens)
    {
        var n = 0;
        foreach (var token in tokens)
            if (IndexOfIgnoreCase(data, token) >= 0) n++;
        return n;
    }

    public static int IndexOfIgnoreCase(ReadOnlySpan<byte> data, ReadOnlySpan<byte> lowerToken)
    {
        if (lowerToken.IsEmpty || data.Length < lowerToken.Length) return -1;
        var first = lowerToken[0];
        var upperFirst = first is >= (byte)'a' and <= (byte)'z' ? (byte)(first - 32) : first;
        var offset = 0;
        while (offset <= data.Length - lowerToken.Length)
        {
            var found = data[offset..].IndexOfAny(first, upperFirst);
            if (found < 0) return -1;
            var i = offset + found;
            if (i > data.Length - lowerToken.Length) return -1;
            var match = true;
            for (var j = 1; j < lowerToken.Length && match; j++)
            {
                var d = data[i + j];
                if (d is >= (byte)'A' and <= (byte)'Z') d += 32;
                match = d == lowerToken[j];
            }
            if (match) return i;
            offset = i + 1;
        }
        return -1;
    }
}
