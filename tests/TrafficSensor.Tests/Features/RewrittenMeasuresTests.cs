using System.Text;
using CsCheck;
using TrafficSensor.Features;

namespace TrafficSensor.Tests.Features;

/// <summary>
/// Measures rewritten for speed (docs/performance.md, sixth round) give exactly what the implementations
/// they replaced gave; those are kept here, as they were, as the oracles.
/// </summary>
public class RewrittenMeasuresTests
{
    // ---- the oracles: the implementations before the sixth round ----

    /// <summary>Entropy with four histograms, summed over every bin in byte order (integration b463752).</summary>
    private static float EntropyBefore(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return 0;
        Span<int> counts = stackalloc int[4 * 256];
        var i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            counts[data[i]]++;
            counts[256 + data[i + 1]]++;
            counts[512 + data[i + 2]]++;
            counts[768 + data[i + 3]]++;
        }
        for (; i < data.Length; i++) counts[data[i]]++;
        double entropy = 0;
        for (var b = 0; b < 256; b++)
        {
            var c = counts[b] + counts[256 + b] + counts[512 + b] + counts[768 + b];
            if (c == 0) continue;
            var p = (double)c / data.Length;
            entropy -= p * Math.Log2(p);
        }
        return (float)entropy;
    }

    // The command lists are the extractor's own: only the way they are searched changed.
    private static readonly string[] CommandStarts = FeatureExtractor.CommandStarts;
    private static readonly string[] ExactCommands = FeatureExtractor.ExactCommands;
    private static readonly string[] ShellSeparators = FeatureExtractor.ShellSeparators;

    /// <summary>The command-line test searching each separator in turn (integration b463752).</summary>
    private static bool IsCommandLineBefore(string? value)
    {
        if (value is null) return false;
        var v = value.Trim();
        if (v.Length == 0 || v.Length > 4096) return false;
        v = v.ToLowerInvariant();
        if (ExactCommands.Contains(v)) return true;
        foreach (var start in CommandStarts)
            if (v.StartsWith(start, StringComparison.Ordinal)) return true;
        foreach (var separator in ShellSeparators)
        {
            for (var i = v.IndexOf(separator, StringComparison.Ordinal); i >= 0; i = v.IndexOf(separator, i + separator.Length, StringComparison.Ordinal))
            {
                var rest = v.AsSpan(i + separator.Length).TrimStart();
                foreach (var start in CommandStarts)
                    if (rest.StartsWith(start, StringComparison.Ordinal)) return true;
                foreach (var exact in ExactCommands)
                    if (rest.StartsWith(exact, StringComparison.Ordinal) && (rest.Length == exact.Length || !char.IsAsciiLetterOrDigit(rest[exact.Length]))) return true;
            }
        }
        return false;
    }

    // ---- entropy ----

    /// <summary>Bytes of a few kinds (text, a small alphabet, any byte, one repeated byte), any length up to 20,000.</summary>
    private static readonly Gen<byte[]> Bytes = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 20_000], Gen.Int).Select((kind, length, seed) =>
    {
        var random = new Random(seed);
        var data = new byte[length];
        for (var i = 0; i < length; i++)
            data[i] = kind switch
            {
                0 => (byte)"the quick brown fox <html> \r\n=&%;:QWERTY0123"[random.Next(44)],
                1 => (byte)random.Next(4),
                2 => (byte)random.Next(256),
                _ => 0xFF,
            };
        return data;
    });

    [Fact]
    public void Entropy_equals_the_four_histogram_implementation_to_the_bit()
    {
        Gen.OneOf(Bytes, Gen.Byte.Array[0, 600]).Sample(data =>
            Assert.Equal(BitConverter.SingleToInt32Bits(EntropyBefore(data)), BitConverter.SingleToInt32Bits(TextStatistics.Entropy(data))), iter: 3000);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(263)]
    [InlineData(16 * 1024)]
    public void Entropy_is_the_same_on_either_side_of_the_short_input_path(int length)
    {
        // Every byte value, and a long run of one value at either end (the counters past 255 and the tail loop).
        foreach (var data in new[]
                 {
                     Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray(),
                     Enumerable.Range(0, length).Select(i => i < length / 2 ? (byte)0 : (byte)(i % 3 + 254)).ToArray(),
                     Enumerable.Repeat((byte)0x41, length).ToArray(),
                 })
            Assert.Equal(BitConverter.SingleToInt32Bits(EntropyBefore(data)), BitConverter.SingleToInt32Bits(TextStatistics.Entropy(data)));
        Assert.Equal(0, TextStatistics.Entropy(Enumerable.Repeat((byte)0x41, length).ToArray()));
    }

    // ---- command lines ----

    private static Gen<string> AnyOf(params string[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    private static readonly Gen<string> CommandPiece = Gen.OneOf(
        AnyOf(CommandStarts), AnyOf(ExactCommands), AnyOf(ShellSeparators),
        AnyOf(" ", "  ", "\t", "\n", "\r\n", "&&", "||", ";;", "|&", "x", "1", "/", "-", ".", "WHOAMI", "Ls", "Cat /", "ID;", "=", "%3b", "é", "\u2028"),
        Gen.String[0, 6]);

    private static readonly Gen<string> CommandValue = CommandPiece.Array[0, 8].Select(pieces => string.Concat(pieces));

    [Fact]
    public void Command_lines_are_recognised_as_before()
    {
        CommandValue.Sample(value => Assert.Equal(IsCommandLineBefore(value), FeatureExtractor.IsCommandLine(value)), iter: 20_000);
    }

    [Theory]
    [InlineData("cd /var/www;cat config.php", true)]
    [InlineData("cd /var/www && whoami", true)]
    [InlineData("x ||ls", true)]
    [InlineData("x || lsof", false)]
    [InlineData("x|| uname -a", true)]
    [InlineData("a&b", false)]
    [InlineData("  PWD  ", true)]
    [InlineData("my cat ate the ethernet cable", false)]
    [InlineData("q\nnetstat -an", true)]
    [InlineData(null, false)]
    [InlineData("", false)]
    public void Known_values_keep_their_reading(string? value, bool expected)
    {
        Assert.Equal(expected, IsCommandLineBefore(value));
        Assert.Equal(expected, FeatureExtractor.IsCommandLine(value));
    }

    [Fact]
    public void An_overlong_value_is_not_read_as_before()
    {
        var value = "whoami;" + new string('a', 4096);
        Assert.False(IsCommandLineBefore(value));
        Assert.False(FeatureExtractor.IsCommandLine(value));
        Assert.Equal(Encoding.ASCII.GetByteCount(value), value.Length);
    }

    // ---- compression of feature values ----

    /// <summary>sign(x)·log(1 + |x|) as it was computed for every value (integration b463752).</summary>
    private static float CompressBefore(float x) => MathF.CopySign(MathF.Log(1 + MathF.Abs(x)), x);

    [Fact]
    public void Compression_is_the_same_to_the_bit_zero_and_negative_zero_included()
    {
        foreach (var x in new[] { 0f, -0f, 1f, -1f, float.Epsilon, -float.Epsilon, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue })
            Assert.Equal(BitConverter.SingleToInt32Bits(CompressBefore(x)), BitConverter.SingleToInt32Bits(FeatureScaling.Compress(x)));
        Gen.Float.Sample(x => Assert.Equal(BitConverter.SingleToInt32Bits(CompressBefore(x)), BitConverter.SingleToInt32Bits(FeatureScaling.Compress(x))), iter: 20_000);
        Assert.True(float.IsNegative(FeatureScaling.Compress(-0f)));
    }

    // ---- exact token sets (the command-output markers) ----

    /// <summary>One IndexOf per token (integration b463752's FeatureExtractor.CountExact).</summary>
    private static int CountExactBefore(ReadOnlySpan<byte> data, byte[][] tokens)
    {
        var n = 0;
        foreach (var token in tokens)
            if (data.IndexOf(token) >= 0) n++;
        return n;
    }

    private static readonly byte[][] CommandOutput = [.. new[]
    {
        "Volume Serial Number", "Directory of ", "root:x:0:0:", "x86_64 GNU/Linux", "PID TTY", "%CPU %MEM", "Proto Recv-Q",
        "Windows IP Configuration", "NT AUTHORITY\\", "www-data", "drwxr-xr-x", "drwxrwxr", "-rw-r--r--", "Link encap:", "inet 127.0.0.1",
    }.Select(Encoding.ASCII.GetBytes)];

    /// <summary>Token sets over a small alphabet (so that prefixes and near misses are common), 1 to 64 tokens of 3 to 12 bytes.</summary>
    private static readonly Gen<byte[][]> TokenSets = Gen.Byte[(byte)'a', (byte)'e'].Array[3, 12].Array[1, 64];

    /// <summary>Data over the same alphabet with some of the tokens (or their first bytes) placed anywhere, also in the last bytes.</summary>
    private static Gen<byte[]> DataWith(byte[][] tokens) =>
        Gen.Select(Gen.Byte[(byte)'a', (byte)'f'].Array[0, 300], Gen.Int[0, tokens.Length - 1].Select(Gen.Int[0, 300], Gen.Int[1, 12]).Array[0, 6])
            .Select((data, placements) =>
            {
                var bytes = data.ToList();
                foreach (var (t, at, cut) in placements)
                    bytes.InsertRange(Math.Min(at, bytes.Count), tokens[t].Take(cut));
                return bytes.ToArray();
            });

    [Fact]
    public void A_token_set_counts_what_one_search_per_token_counts()
    {
        TokenSets.SelectMany(tokens => DataWith(tokens).Select(data => (tokens, data))).Sample(x =>
            Assert.Equal(CountExactBefore(x.data, x.tokens), new ExactTokenSet(x.tokens).CountPresent(x.data)), iter: 5000);
    }

    [Fact]
    public void The_command_output_markers_are_counted_as_before_anywhere_in_a_body()
    {
        var set = new ExactTokenSet(CommandOutput);
        var page = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("<html><body><a href=\"https://www.example.org/\">Directory</a> PID root:x Windows </body></html>\n", 40)));
        Gen.Select(Gen.Int[0, CommandOutput.Length - 1].Select(Gen.Int[0, page.Length]).Array[0, 5], Gen.Int[0, page.Length]).Sample((placements, length) =>
        {
            var body = page[..length].ToList();
            foreach (var (t, at) in placements) body.InsertRange(Math.Min(at, body.Count), CommandOutput[t]);
            var bytes = body.ToArray();
            Assert.Equal(CountExactBefore(bytes, CommandOutput), set.CountPresent(bytes));
        }, iter: 3000);
        Assert.Equal(0, set.CountPresent(page));
        Assert.Equal(CommandOutput.Length, set.CountPresent(CommandOutput.SelectMany(t => t).ToArray()));
        Assert.Equal(0, set.CountPresent([]));
    }

    [Fact]
    public void Tokens_shorter_than_the_fingerprint_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new ExactTokenSet([[1, 2]]));
    }
}
