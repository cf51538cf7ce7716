using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrafficSensor.Features;

/// <summary>
/// A fixed set of byte strings (at least three bytes each) searched for, exactly, in one pass: how many of
/// them occur in some data. Immutable once built; any thread may use it.
/// <para>
/// One <c>IndexOf</c> per token reads the data once per token (fifteen passes over every textual response
/// for the command-output markers). Here each position's first three bytes are looked up, 32 positions at a
/// time, in nibble tables (the "Teddy" filter): a byte shuffle per nibble gives, per position, the buckets
/// of tokens whose first three bytes may start there, and only those candidates are compared in full.
/// Without AVX2, or for data too short to fill a vector, every token is searched with <c>IndexOf</c>.
/// </para>
/// </summary>
internal sealed class ExactTokenSet
{
    /// <summary>Tokens share eight buckets: one bit each in a position's candidate byte.</summary>
    private const int Buckets = 8;

    /// <summary>Bytes of each token the filter looks at.</summary>
    private const int Fingerprint = 3;

    private readonly byte[][] _tokens;
    private readonly int[][] _tokensOfBucket;
    /// <summary>Per fingerprint byte k: buckets allowed by its low nibble (index 2k) and by its high nibble (2k + 1), both 16-byte lanes alike.</summary>
    private readonly Vector256<byte>[] _nibbleTables = new Vector256<byte>[2 * Fingerprint];

    public ExactTokenSet(byte[][] tokens)
    {
        if (tokens.Length > 64) throw new ArgumentException("at most 64 tokens", nameof(tokens));
        foreach (var token in tokens)
            if (token.Length < Fingerprint) throw new ArgumentException($"tokens of at least {Fingerprint} bytes", nameof(tokens));
        _tokens = tokens;
        _tokensOfBucket = new int[Buckets][];
        var tables = new byte[2 * Fingerprint, 16];
        var members = new List<int>[Buckets];
        for (var b = 0; b < Buckets; b++) members[b] = [];
        for (var t = 0; t < tokens.Length; t++)
        {
            var bucket = t % Buckets;
            members[bucket].Add(t);
            for (var k = 0; k < Fingerprint; k++)
            {
                tables[2 * k, tokens[t][k] & 0xF] |= (byte)(1 << bucket);
                tables[2 * k + 1, tokens[t][k] >> 4] |= (byte)(1 << bucket);
            }
        }
        for (var b = 0; b < Buckets; b++) _tokensOfBucket[b] = [.. members[b]];
        Span<byte> lanes = stackalloc byte[32];
        for (var table = 0; table < 2 * Fingerprint; table++)
        {
            for (var i = 0; i < 32; i++) lanes[i] = tables[table, i & 15];
            _nibbleTables[table] = Vector256.Create<byte>(lanes);
        }
    }

    /// <summary>How many of the tokens occur in <paramref name="data"/> (each counted once), compared byte for byte.</summary>
    public int CountPresent(ReadOnlySpan<byte> data)
    {
        ulong found = 0;
        var all = _tokens.Length == 64 ? ulong.MaxValue : (1UL << _tokens.Length) - 1;
        var from = 0;
        if (Avx2.IsSupported) from = Filter(data, ref found, all);
        // Positions the vectors did not reach (or all of them): every token still missing, searched one by one.
        if (found != all)
        {
            var rest = data[from..];
            for (var t = 0; t < _tokens.Length; t++)
                if ((found & (1UL << t)) == 0 && rest.IndexOf(_tokens[t]) >= 0) found |= 1UL << t;
        }
        return BitOperations.PopCount(found);
    }

    /// <summary>Marks in <paramref name="found"/> the tokens that start at the positions filtered; returns the first position not filtered.</summary>
    private int Filter(ReadOnlySpan<byte> data, ref ulong found, ulong all)
    {
        ref var start = ref MemoryMarshal.GetReference(data);
        var lowNibble = Vector256.Create((byte)0x0F);
        var i = 0;
        // Positions i..i+31 need bytes up to i+31+2.
        for (; i + 32 + Fingerprint - 1 <= data.Length; i += 32)
        {
            var candidates = Vector256<byte>.AllBitsSet;
            for (var k = 0; k < Fingerprint; k++)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)(i + k));
                var low = Avx2.Shuffle(_nibbleTables[2 * k], v & lowNibble);
                var high = Avx2.Shuffle(_nibbleTables[2 * k + 1], Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & lowNibble);
                candidates &= low & high;
            }
            var positions = (~Vector256.Equals(candidates, Vector256<byte>.Zero)).ExtractMostSignificantBits();
            if (positions == 0) continue;
            for (; positions != 0; positions &= positions - 1)
            {
                var lane = BitOperations.TrailingZeroCount(positions);
                var at = i + lane;
                uint buckets = candidates.GetElement(lane);
                for (; buckets != 0; buckets &= buckets - 1)
                {
                    foreach (var t in _tokensOfBucket[BitOperations.TrailingZeroCount(buckets)])
                    {
                        if ((found & (1UL << t)) != 0) continue;
                        var token = _tokens[t];
                        if (at + token.Length <= data.Length && data.Slice(at, token.Length).SequenceEqual(token)) found |= 1UL << t;
                    }
                }
            }
            if (found == all) return data.Length;
        }
        return i;
    }
}
