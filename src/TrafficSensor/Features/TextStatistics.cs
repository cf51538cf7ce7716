using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TrafficSensor.Features;

/// <summary>
/// Allocation-free measures of byte strings: entropy, share of base64/hex runs, binary share, token counts.
/// <para>
/// Vectorised (Vector256, else Vector128, else scalar): a byte class is computed 32 bytes at a time into a
/// bitmap, and "inside a run of at least N" is two bitmap passes (erosion then dilation by N), instead of a
/// table load and an unpredictable branch per byte. Every result is the same number the byte-at-a-time
/// definitions give (Features/TextStatisticsTests compares them on generated bodies); on a replay with the
/// model these measures were ≈11 % of the CPU (docs/performance.md, issue 12).
/// </para>
/// </summary>
public static class TextStatistics
{
    /// <summary>Data up to this long is counted in one histogram (zeroed: 1 KiB instead of 4).</summary>
    private const int ShortEntropyInput = 256;

    /// <summary>Shannon entropy in bits per byte (0..8).</summary>
    /// <remarks>
    /// The terms -p·log2(p) are added in byte order over the bytes that occur, as the byte-at-a-time
    /// definition does, so the result is the same to the bit; only the bookkeeping is cheaper: short data in
    /// one histogram without bounds checks, the four histograms summed in vectors, and the occurring bytes
    /// found by a vector compare of the counts instead of a test per bin.
    /// </remarks>
    public static float Entropy(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return 0;
        var length = data.Length;
        if (length <= ShortEntropyInput)
        {
            ref var source = ref MemoryMarshal.GetReference(data);
            Span<int> single = stackalloc int[256];
            ref var bin = ref MemoryMarshal.GetReference(single);
            for (var k = 0; k < length; k++) Unsafe.Add(ref bin, Unsafe.Add(ref source, k))++;
            return SumOfTerms(single, length);
        }
        // Four histograms break the dependency between neighbouring equal bytes (a store-to-load chain on
        // one counter); they are summed before the logarithms, so the result is unchanged. (Counting from
        // 8-byte loads, or without bounds checks, measured slower here on 1–16 KiB.)
        Span<int> counts = stackalloc int[4 * 256];
        var i = 0;
        for (; i + 4 <= length; i += 4)
        {
            counts[data[i]]++;
            counts[256 + data[i + 1]]++;
            counts[512 + data[i + 2]]++;
            counts[768 + data[i + 3]]++;
        }
        for (; i < length; i++) counts[data[i]]++;
        return SumOfTerms(AddHistograms(counts), length);
    }

    /// <summary>
    /// Adds the four histograms into the first. Apart from <see cref="Entropy"/>: a method using 256-bit vectors
    /// gets no ReadyToRun code and is compiled once, without the profile-guided tier the counting loop gets
    /// (measured: the same loop in a method with vectors cost a third more of the replay's samples).
    /// </summary>
    private static Span<int> AddHistograms(Span<int> counts)
    {
        var total = counts[..256];
        for (var b = 0; b < 256; b += Vector256<int>.Count)
        {
            var sum = Vector256.Create<int>(counts[b..]) + Vector256.Create<int>(counts[(256 + b)..])
                      + Vector256.Create<int>(counts[(512 + b)..]) + Vector256.Create<int>(counts[(768 + b)..]);
            sum.CopyTo(total[b..]);
        }
        return total;
    }

    /// <summary>-Σ p·log2(p) over the non-zero counts, in byte order, p = count / <paramref name="length"/>.</summary>
    private static float SumOfTerms(ReadOnlySpan<int> counts, int length)
    {
        double entropy = 0;
        for (var b = 0; b < 256; b += 32)
        {
            // Which of the 32 counts from b are non-zero, as bits in byte order.
            uint present = 0;
            for (var k = 0; k < 32; k += Vector256<int>.Count)
                present |= (~Vector256.Equals(Vector256.Create<int>(counts[(b + k)..]), Vector256<int>.Zero)).ExtractMostSignificantBits() << k;
            for (; present != 0; present &= present - 1)
            {
                var p = (double)counts[b + BitOperations.TrailingZeroCount(present)] / length;
                entropy -= p * Math.Log2(p);
            }
        }
        return (float)entropy;
    }

    /// <summary>Byte classes a run is made of.</summary>
    private enum RunClass
    {
        /// <summary>A–Z, a–z, 0–9, '+', '/', '='.</summary>
        Base64,
        /// <summary>0–9, a–f, A–F.</summary>
        Hex,
    }

    /// <summary>Share of bytes inside runs of at least <paramref name="minRun"/> base64 characters.</summary>
    public static float Base64Share(ReadOnlySpan<byte> data, int minRun = 32) => RunShare(data, minRun, RunClass.Base64);

    /// <summary>Share of bytes inside runs of at least <paramref name="minRun"/> hexadecimal digits.</summary>
    public static float HexShare(ReadOnlySpan<byte> data, int minRun = 32) => RunShare(data, minRun, RunClass.Hex);

    /// <summary>
    /// Base64 (standard and URL-safe) and hex characters, and '%' so that a percent-encoded blob stays one
    /// run. Not '=': it separates a form's names from values, and base64 padding adds at most two.
    /// </summary>
    private static readonly SearchValues<byte> EncodedChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-%"u8);

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
        return (float)CountBinary(data) / data.Length;
    }

    private static bool IsBinary(byte b) => b is < 0x20 and not ((byte)'\r' or (byte)'\n' or (byte)'\t') or >= 0x7F;

    private static int CountBinary(ReadOnlySpan<byte> data)
    {
        var n = 0;
        var i = 0;
        ref var start = ref MemoryMarshal.GetReference(data);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= data.Length; i += 32)
                n += BitOperations.PopCount(BinaryMask(Vector256.LoadUnsafe(ref start, (nuint)i)).ExtractMostSignificantBits());
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 16 <= data.Length; i += 16)
                n += BitOperations.PopCount(BinaryMask(Vector128.LoadUnsafe(ref start, (nuint)i)).ExtractMostSignificantBits());
        }
        if (i < data.Length && data.Length >= 32 && Vector256.IsHardwareAccelerated)
        {
            // The last bytes (under 32) in one vector too: the data's last 32 bytes, without the lanes counted already.
            var mask = BinaryMask(Vector256.LoadUnsafe(ref start, (nuint)(data.Length - 32))).ExtractMostSignificantBits();
            return n + BitOperations.PopCount(mask >> (32 - (data.Length - i)));
        }
        for (; i < data.Length; i++)
            if (IsBinary(data[i])) n++;
        return n;
    }

    private static Vector256<byte> BinaryMask(Vector256<byte> v)
    {
        var whitespace = Vector256.Equals(v, Vector256.Create((byte)'\r')) | Vector256.Equals(v, Vector256.Create((byte)'\n'))
                         | Vector256.Equals(v, Vector256.Create((byte)'\t'));
        return Vector256.GreaterThanOrEqual(v, Vector256.Create((byte)0x7F))
               | Vector256.AndNot(Vector256.LessThan(v, Vector256.Create((byte)0x20)), whitespace);
    }

    private static Vector128<byte> BinaryMask(Vector128<byte> v)
    {
        var whitespace = Vector128.Equals(v, Vector128.Create((byte)'\r')) | Vector128.Equals(v, Vector128.Create((byte)'\n'))
                         | Vector128.Equals(v, Vector128.Create((byte)'\t'));
        return Vector128.GreaterThanOrEqual(v, Vector128.Create((byte)0x7F))
               | Vector128.AndNot(Vector128.LessThan(v, Vector128.Create((byte)0x20)), whitespace);
    }

    /// <summary>Bitmaps up to this many 64-bit words (16 KiB of data, the features' window) live on the stack.</summary>
    private const int StackWords = 256;

    /// <summary>Share of bytes inside runs of at least <paramref name="minRun"/> bytes of <paramref name="runClass"/>.</summary>
    // Not zeroed: Classify writes every word of bits[..words] (as it must for the rented, unzeroed array), and only those are read.
    [SkipLocalsInit]
    private static float RunShare(ReadOnlySpan<byte> data, int minRun, RunClass runClass)
    {
        if (data.IsEmpty) return 0;
        var words = (data.Length + 63) >> 6;
        ulong[]? rented = null;
        Span<ulong> bits = words <= StackWords ? stackalloc ulong[StackWords] : (rented = ArrayPool<ulong>.Shared.Rent(words));
        bits = bits[..words];
        try
        {
            Classify(data, bits, runClass);
            var covered = CoveredByRuns(bits, Math.Max(1, minRun));
            return (float)covered / data.Length;
        }
        finally
        {
            if (rented is not null) ArrayPool<ulong>.Shared.Return(rented);
        }
    }

    /// <summary>Sets bit i of <paramref name="bits"/> (bit i % 64 of word i / 64) when byte i is of the class; bits past the data are 0.</summary>
    private static void Classify(ReadOnlySpan<byte> data, Span<ulong> bits, RunClass runClass)
    {
        ref var start = ref MemoryMarshal.GetReference(data);
        var word = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; (word + 1) * 64 <= data.Length; word++)
            {
                var at = (nuint)(word * 64);
                ulong low = ClassMask(Vector256.LoadUnsafe(ref start, at), runClass).ExtractMostSignificantBits();
                ulong high = ClassMask(Vector256.LoadUnsafe(ref start, at + 32), runClass).ExtractMostSignificantBits();
                bits[word] = low | high << 32;
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; (word + 1) * 64 <= data.Length; word++)
            {
                var at = (nuint)(word * 64);
                ulong w = 0;
                for (var k = 0; k < 4; k++)
                    w |= (ulong)ClassMask(Vector128.LoadUnsafe(ref start, at + (nuint)(16 * k)), runClass).ExtractMostSignificantBits() << (16 * k);
                bits[word] = w;
            }
        }
        if (word < bits.Length && data.Length >= 64 && Vector256.IsHardwareAccelerated)
        {
            // The last word (under 64 bytes) in vectors too: the data's last 64 bytes, shifted past the bytes classified already.
            var at = (nuint)(data.Length - 64);
            ulong low = ClassMask(Vector256.LoadUnsafe(ref start, at), runClass).ExtractMostSignificantBits();
            ulong high = ClassMask(Vector256.LoadUnsafe(ref start, at + 32), runClass).ExtractMostSignificantBits();
            bits[word] = (low | high << 32) >> (64 - (data.Length - word * 64));
            word++;
        }
        else if (word < bits.Length && Vector256.IsHardwareAccelerated)
        {
            // Shorter data: padded with zeros, which are in no class.
            Span<byte> tail = stackalloc byte[64];
            tail.Clear();
            data[(word * 64)..].CopyTo(tail);
            ref var padded = ref MemoryMarshal.GetReference(tail);
            ulong low = ClassMask(Vector256.LoadUnsafe(ref padded), runClass).ExtractMostSignificantBits();
            ulong high = ClassMask(Vector256.LoadUnsafe(ref padded, 32), runClass).ExtractMostSignificantBits();
            bits[word++] = low | high << 32;
        }
        for (; word < bits.Length; word++)
        {
            ulong w = 0;
            var end = Math.Min(data.Length, (word + 1) * 64);
            for (var i = word * 64; i < end; i++)
                if (InClass(data[i], runClass)) w |= 1UL << (i & 63);
            bits[word] = w;
        }
    }

    private static bool InClass(byte b, RunClass runClass) => runClass switch
    {
        RunClass.Base64 => b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9' or (byte)'+' or (byte)'/' or (byte)'=',
        _ => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F',
    };

    private static Vector256<byte> ClassMask(Vector256<byte> v, RunClass runClass)
    {
        // Unsigned "x - lo < n" tests a range in one compare; OR 0x20 folds upper into lower case for letters.
        var digit = Vector256.LessThan(v - Vector256.Create((byte)'0'), Vector256.Create((byte)10));
        var letter = (v | Vector256.Create((byte)0x20)) - Vector256.Create((byte)'a');
        if (runClass == RunClass.Hex) return digit | Vector256.LessThan(letter, Vector256.Create((byte)6));
        return digit | Vector256.LessThan(letter, Vector256.Create((byte)26))
               | Vector256.Equals(v, Vector256.Create((byte)'+')) | Vector256.Equals(v, Vector256.Create((byte)'/')) | Vector256.Equals(v, Vector256.Create((byte)'='));
    }

    private static Vector128<byte> ClassMask(Vector128<byte> v, RunClass runClass)
    {
        var digit = Vector128.LessThan(v - Vector128.Create((byte)'0'), Vector128.Create((byte)10));
        var letter = (v | Vector128.Create((byte)0x20)) - Vector128.Create((byte)'a');
        if (runClass == RunClass.Hex) return digit | Vector128.LessThan(letter, Vector128.Create((byte)6));
        return digit | Vector128.LessThan(letter, Vector128.Create((byte)26))
               | Vector128.Equals(v, Vector128.Create((byte)'+')) | Vector128.Equals(v, Vector128.Create((byte)'/')) | Vector128.Equals(v, Vector128.Create((byte)'='));
    }

    /// <summary>
    /// Number of set bits that lie inside a run of at least <paramref name="minRun"/> set bits. Erosion
    /// leaves bit i set when bits i..i+minRun-1 all are (the start of a long enough window); dilation
    /// then sets every bit of those windows. Each doubles its reach per pass: log2(minRun) passes each.
    /// Overwrites <paramref name="bits"/>.
    /// </summary>
    private static int CoveredByRuns(Span<ulong> bits, int minRun)
    {
        if (minRun <= MaxFusedRun) return CoveredByRunsFused(bits, minRun);
        for (var reach = 1; reach < minRun;)
        {
            var step = Math.Min(reach, minRun - reach);
            AndWithLater(bits, step);
            reach += step;
        }
        for (var reach = 1; reach < minRun;)
        {
            var step = Math.Min(reach, minRun - reach);
            OrWithEarlier(bits, step);
            reach += step;
        }
        var covered = 0;
        foreach (var w in bits) covered += BitOperations.PopCount(w);
        return covered;
    }

    /// <summary>Longest run <see cref="CoveredByRunsFused"/> measures: its windows of two words hold a run's whole reach.</summary>
    private const int MaxFusedRun = 65;

    /// <summary>
    /// <see cref="CoveredByRuns"/> in one read-only pass for runs of at most <see cref="MaxFusedRun"/> bits: the
    /// erosion of word w needs only words w and w + 1 (bit i is the AND of bits i..i+minRun-1, all inside
    /// those 128 bits), the dilation only the eroded words w - 1 and w, so both run in registers on a
    /// two-word window with the same doubling steps, and each dilated word is counted at once. Ten passes
    /// that load and store every word become one that loads each word once.
    /// </summary>
    private static int CoveredByRunsFused(ReadOnlySpan<ulong> bits, int minRun)
    {
        // The doubling steps (at most six: 1, 2, 4, 8, 16, 32 for 65), each at most the reach before it, so the windows join.
        Span<int> steps = stackalloc int[8];
        var count = 0;
        for (var reach = 1; reach < minRun;)
        {
            var step = Math.Min(reach, minRun - reach);
            steps[count++] = step;
            reach += step;
        }
        steps = steps[..count];
        var covered = 0;
        ulong previousEroded = 0;
        var next = bits.Length > 0 ? bits[0] : 0;
        for (var w = 0; w < bits.Length; w++)
        {
            // Erosion on (low = word w, high = word w + 1, 0 past the end): shifting right brings later bits down.
            ulong low = next, high = w + 1 < bits.Length ? bits[w + 1] : 0;
            next = high;
            foreach (var s in steps)
            {
                low &= low >> s | high << (64 - s);
                high &= high >> s;
            }
            // Dilation on (low = eroded word w - 1, high = eroded word w): shifting left brings earlier bits up.
            ulong dilatedLow = previousEroded, dilated = low;
            previousEroded = low;
            foreach (var s in steps)
            {
                dilated |= dilated << s | dilatedLow >> (64 - s);
                dilatedLow |= dilatedLow << s;
            }
            covered += BitOperations.PopCount(dilated);
        }
        return covered;
    }

    /// <summary>bit[i] &amp;= bit[i + shift] (bits past the end are 0). In place, ascending: word w reads only words ≥ w.</summary>
    private static void AndWithLater(Span<ulong> bits, int shift)
    {
        int words = shift >> 6, offset = shift & 63;
        for (var w = 0; w < bits.Length; w++)
        {
            var a = w + words < bits.Length ? bits[w + words] : 0;
            var b = offset != 0 && w + words + 1 < bits.Length ? bits[w + words + 1] : 0;
            bits[w] &= offset == 0 ? a : a >> offset | b << (64 - offset);
        }
    }

    /// <summary>bit[i] |= bit[i - shift] (bits before the start are 0). In place, descending: word w reads only words ≤ w.</summary>
    private static void OrWithEarlier(Span<ulong> bits, int shift)
    {
        int words = shift >> 6, offset = shift & 63;
        for (var w = bits.Length - 1; w >= 0; w--)
        {
            var a = w - words >= 0 ? bits[w - words] : 0;
            var b = offset != 0 && w - words - 1 >= 0 ? bits[w - words - 1] : 0;
            bits[w] |= offset == 0 ? a : a << offset | b >> (64 - offset);
        }
    }

    /// <summary>Tokens longer than this are searched one by one with <see cref="IndexOfIgnoreCase"/>.</summary>
    private const int MaxChunkedToken = 256;

    /// <summary>Bytes lower-cased at a time (on the stack) by <see cref="CountTokens"/>.</summary>
    private const int TokenChunk = 4096;

    /// <summary>How many of the (lower-case ASCII) tokens occur in <paramref name="data"/>, compared without case.</summary>
    /// <remarks>
    /// The data is lower-cased (ASCII letters only) a chunk at a time, each chunk overlapping the next by the
    /// longest token less one byte, and every token not yet found is searched with the vectorised exact
    /// <c>IndexOf</c>: one case fold instead of one per token, and no byte-by-byte compare after each
    /// candidate first letter.
    /// </remarks>
    // Not zeroed (4.3 KB per call): ToLowerAscii writes every byte of folded before IndexOf reads it.
    [SkipLocalsInit]
    public static int CountTokens(ReadOnlySpan<byte> data, byte[][] tokens)
    {
        var longest = 0;
        foreach (var token in tokens) longest = Math.Max(longest, token.Length);
        if (tokens.Length > 64 || longest > MaxChunkedToken) return CountTokensOneByOne(data, tokens);

        Span<byte> lower = stackalloc byte[TokenChunk + MaxChunkedToken];
        ulong found = 0;
        var n = 0;
        for (var offset = 0; offset < data.Length; offset += TokenChunk)
        {
            var window = data.Slice(offset, Math.Min(data.Length - offset, TokenChunk + longest - 1));
            var folded = lower[..window.Length];
            ToLowerAscii(window, folded);
            for (var t = 0; t < tokens.Length; t++)
            {
                var token = tokens[t];
                if ((found & (1UL << t)) != 0 || token.Length == 0) continue;
                if (folded.IndexOf(token) < 0) continue;
                found |= 1UL << t;
                n++;
            }
            if (offset + window.Length >= data.Length) break;
        }
        return n;
    }

    private static int CountTokensOneByOne(ReadOnlySpan<byte> data, byte[][] tokens)
    {
        var n = 0;
        foreach (var token in tokens)
            if (IndexOfIgnoreCase(data, token) >= 0) n++;
        return n;
    }

    /// <summary>Copies <paramref name="source"/> with A–Z turned into a–z; every other byte as is.</summary>
    private static void ToLowerAscii(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var i = 0;
        ref var from = ref MemoryMarshal.GetReference(source);
        ref var to = ref MemoryMarshal.GetReference(destination);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= source.Length; i += 32)
            {
                var v = Vector256.LoadUnsafe(ref from, (nuint)i);
                var upper = Vector256.LessThan(v - Vector256.Create((byte)'A'), Vector256.Create((byte)26));
                (v | (upper & Vector256.Create((byte)0x20))).StoreUnsafe(ref to, (nuint)i);
            }
        }
        for (; i < source.Length; i++)
        {
            var b = source[i];
            destination[i] = b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b + 32) : b;
        }
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
