using TrafficSensor.Http2;

namespace TrafficSensor.Tests.Http2;

/// <summary>HPACK against RFC 7541's own examples (Appendix C) and hostile blocks.</summary>
public class HpackTests
{
    internal static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(char.IsAsciiHexDigit)));

    private static List<HpackField> Decode(HpackDecoder decoder, string hex, HpackError expected = HpackError.None)
    {
        var fields = new List<HpackField>();
        var error = decoder.Decode(Hex(hex), fields, 1 << 20, 1000, out var overLimit, out _);
        Assert.Equal(expected, error);
        Assert.False(overLimit);
        return fields;
    }

    private static string Table(HpackDecoder d) => string.Join(" | ", Enumerable.Range(0, d.Count).Select(i => d.Entry(i).Name + ": " + d.Entry(i).Value));
    private static string Fields(List<HpackField> f) => string.Join(" | ", f.Select(x => x.Name + ": " + x.Value));

    [Fact]
    public void HuffmanCodeIsCompleteAndPrefixFree()
    {
        // Kraft's equality holds for a complete prefix code: a typo in the table breaks it.
        var sum = 0.0;
        foreach (var length in HpackHuffman.LengthTable.ToArray()) sum += Math.Pow(2, -length);
        Assert.Equal(1.0, sum, 12);
        var codes = HpackHuffman.CodeTable.ToArray();
        var lengths = HpackHuffman.LengthTable.ToArray();
        Assert.Equal(257, codes.Length);
        Assert.Equal(257, lengths.Length);
        for (var i = 0; i < codes.Length; i++)
        {
            Assert.True(codes[i] < 1u << lengths[i]);
            for (var j = 0; j < codes.Length; j++)
            {
                if (i == j || lengths[j] < lengths[i]) continue;
                Assert.False(codes[j] >> (lengths[j] - lengths[i]) == codes[i] && (lengths[j] != lengths[i] || i != j), $"{i} is a prefix of {j}");
            }
        }
    }

    [Theory]
    // RFC 7541 C.4 and C.6 string literals.
    [InlineData("f1e3 c2e5 f23a 6ba0 ab90 f4ff", "www.example.com")]
    [InlineData("a8eb 1064 9cbf", "no-cache")]
    [InlineData("25a8 49e9 5ba9 7d7f", "custom-key")]
    [InlineData("25a8 49e9 5bb8 e8b4 bf", "custom-value")]
    [InlineData("6402", "302")]
    [InlineData("aec3 771a 4b", "private")]
    [InlineData("d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff", "Mon, 21 Oct 2013 20:13:21 GMT")]
    [InlineData("9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3", "https://www.example.com")]
    [InlineData("9bd9 ab", "gzip")]
    [InlineData("94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
        "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1")]
    public void HuffmanDecodesTheRfcStrings(string hex, string expected)
    {
        var input = Hex(hex);
        var output = new byte[HpackHuffman.MaxDecodedLength(input.Length)];
        var n = HpackHuffman.Decode(input, output);
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(output, 0, n));
    }

    [Fact]
    public void HuffmanRoundTripsEverySymbol()
    {
        // Encode with the table (the RFC's encoder is trivial), decode with the state machine.
        var random = new Random(7);
        for (var round = 0; round < 200; round++)
        {
            var text = new byte[random.Next(0, 64)];
            random.NextBytes(text);
            if (round == 0) text = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
            var encoded = HuffmanEncode(text);
            var output = new byte[HpackHuffman.MaxDecodedLength(encoded.Length) + 1];
            var n = HpackHuffman.Decode(encoded, output);
            Assert.Equal(text, output[..n]);
        }
    }

    internal static byte[] HuffmanEncode(ReadOnlySpan<byte> text)
    {
        var codes = HpackHuffman.CodeTable;
        var lengths = HpackHuffman.LengthTable;
        var bytes = new List<byte>();
        ulong acc = 0;
        var bits = 0;
        foreach (var b in text)
        {
            acc = (acc << lengths[b]) | codes[b];
            bits += lengths[b];
            while (bits >= 8)
            {
                bytes.Add((byte)(acc >> (bits - 8)));
                bits -= 8;
            }
        }
        if (bits > 0) bytes.Add((byte)((acc << (8 - bits)) | (0xFFu >> bits)));
        return bytes.ToArray();
    }

    [Theory]
    [InlineData("ff", "padding of 8 ones is longer than 7 bits")]
    [InlineData("f1e3 c2e5 f23a 6ba0 ab90 f4ff ff", "extra byte of padding")]
    [InlineData("00", "padding of zeros after '0'")]
    [InlineData("ffff ffff", "EOS symbol inside the string")]
    [InlineData("f1e3 c2e5 f23a 6ba0 ab90 f4fe", "last padding bit zero")]
    public void InvalidHuffmanIsRefused(string hex, string why)
    {
        var input = Hex(hex);
        Assert.True(HpackHuffman.Decode(input, new byte[HpackHuffman.MaxDecodedLength(input.Length) + 1]) < 0, why);
    }

    [Fact]
    public void C3_RequestsWithoutHuffman()
    {
        var d = new HpackDecoder(65536);
        Assert.Equal(":method: GET | :scheme: http | :path: / | :authority: www.example.com",
            Fields(Decode(d, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d")));
        Assert.Equal(":authority: www.example.com", Table(d));
        Assert.Equal(57, d.Size);

        Assert.Equal(":method: GET | :scheme: http | :path: / | :authority: www.example.com | cache-control: no-cache",
            Fields(Decode(d, "8286 84be 5808 6e6f 2d63 6163 6865")));
        Assert.Equal("cache-control: no-cache | :authority: www.example.com", Table(d));
        Assert.Equal(110, d.Size);

        Assert.Equal(":method: GET | :scheme: https | :path: /index.html | :authority: www.example.com | custom-key: custom-value",
            Fields(Decode(d, "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65")));
        Assert.Equal("custom-key: custom-value | cache-control: no-cache | :authority: www.example.com", Table(d));
        Assert.Equal(164, d.Size);
    }

    [Fact]
    public void C4_RequestsWithHuffman()
    {
        var d = new HpackDecoder(65536);
        Assert.Equal(":method: GET | :scheme: http | :path: / | :authority: www.example.com",
            Fields(Decode(d, "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")));
        Assert.Equal(57, d.Size);
        Assert.Equal(":method: GET | :scheme: http | :path: / | :authority: www.example.com | cache-control: no-cache",
            Fields(Decode(d, "8286 84be 5886 a8eb 1064 9cbf")));
        Assert.Equal(110, d.Size);
        Assert.Equal(":method: GET | :scheme: https | :path: /index.html | :authority: www.example.com | custom-key: custom-value",
            Fields(Decode(d, "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf")));
        Assert.Equal("custom-key: custom-value | cache-control: no-cache | :authority: www.example.com", Table(d));
        Assert.Equal(164, d.Size);
    }

    private const string C5First = "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d";
    private const string C5Third = "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31";
    private const string C6First = "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3";
    private const string C6Third = "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07";

    [Theory]
    [InlineData(C5First, "4803 3330 37c1 c0bf", C5Third)]
    [InlineData(C6First, "4883 640e ffc1 c0bf", C6Third)]
    public void C5_C6_ResponsesWithEvictionAt256Bytes(string first, string second, string third)
    {
        // The responses' table is limited to 256 bytes by the encoder's size update (SETTINGS_HEADER_TABLE_SIZE 256).
        var d = new HpackDecoder(65536) { AdvertisedLimit = 256 };
        Decode(d, "3fe1 01"); // dynamic table size update to 256 (5-bit prefix: 31 + 225)
        Assert.Equal(256, d.MaxSize);

        Assert.Equal(":status: 302 | cache-control: private | date: Mon, 21 Oct 2013 20:13:21 GMT | location: https://www.example.com",
            Fields(Decode(d, first)));
        Assert.Equal("location: https://www.example.com | date: Mon, 21 Oct 2013 20:13:21 GMT | cache-control: private | :status: 302", Table(d));
        Assert.Equal(222, d.Size);

        Assert.Equal(":status: 307 | cache-control: private | date: Mon, 21 Oct 2013 20:13:21 GMT | location: https://www.example.com",
            Fields(Decode(d, second)));
        Assert.Equal(":status: 307 | location: https://www.example.com | date: Mon, 21 Oct 2013 20:13:21 GMT | cache-control: private", Table(d));
        Assert.Equal(222, d.Size);

        Assert.Equal(":status: 200 | cache-control: private | date: Mon, 21 Oct 2013 20:13:22 GMT | location: https://www.example.com | content-encoding: gzip | set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
            Fields(Decode(d, third)));
        Assert.Equal("set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1 | content-encoding: gzip | date: Mon, 21 Oct 2013 20:13:22 GMT", Table(d));
        Assert.Equal(215, d.Size);
    }

    [Fact]
    public void C2_FieldRepresentations()
    {
        // C.2.1 literal with indexing, C.2.2 without indexing, C.2.3 never indexed, C.2.4 indexed.
        var d = new HpackDecoder(65536);
        Assert.Equal("custom-key: custom-header", Fields(Decode(d, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")));
        Assert.Equal(55, d.Size);
        d = new HpackDecoder(65536);
        Assert.Equal(":path: /sample/path", Fields(Decode(d, "040c 2f73 616d 706c 652f 7061 7468")));
        Assert.Equal(0, d.Count);
        Assert.Equal("password: secret", Fields(Decode(d, "1008 7061 7373 776f 7264 0673 6563 7265 74")));
        Assert.Equal(0, d.Count);
        Assert.Equal(":method: GET", Fields(Decode(d, "82")));
    }

    [Fact]
    public void C1_Integers()
    {
        var position = 0;
        Assert.True(HpackDecoder.TryReadInteger(Hex("0a"), ref position, 5, out var ten));
        Assert.Equal(10, ten);
        position = 0;
        Assert.True(HpackDecoder.TryReadInteger(Hex("1f9a 0a"), ref position, 5, out var v));
        Assert.Equal(1337, v);
        Assert.Equal(3, position);
        position = 0;
        Assert.True(HpackDecoder.TryReadInteger(Hex("2a"), ref position, 8, out var fortyTwo));
        Assert.Equal(42, fortyTwo);
    }

    [Theory]
    [InlineData("3fff ffff ffff ff7f", "IntegerOverflow")]     // a size update of about 2^42
    [InlineData("ff", "Truncated")]                             // an index cut in its continuation bytes
    [InlineData("007f 8080 8080 8001", "IntegerOverflow")]      // a name length of 2^35
    [InlineData("007f ffff ffff 0f41", "IntegerOverflow")]      // a name length near 2^32 (negative as a 32-bit int)
    [InlineData("0005 61", "Truncated")]                        // a name longer than the block
    [InlineData("80", "InvalidIndex")]                          // index 0
    [InlineData("be", "InvalidIndex")]                          // index 62 with an empty dynamic table
    [InlineData("0081 ff01 61", "InvalidHuffman")]              // a Huffman name of 8 ones
    [InlineData("82 3f e1 01", "SizeUpdateMisplaced")]          // size update after a field
    public void HostileBlocksAreRefusedWithoutThrowing(string hex, string expected)
    {
        var d = new HpackDecoder(65536);
        var fields = new List<HpackField>();
        Assert.Equal(Enum.Parse<HpackError>(expected), d.Decode(Hex(hex), fields, 1 << 16, 100, out _, out _));
    }

    [Fact]
    public void TableSizeBombIsCappedAndFlagged()
    {
        // Size update to 2^30, then 1000 distinct 1 KB entries: the table never passes the hard limit.
        var d = new HpackDecoder(8192);
        var block = new List<byte>();
        block.AddRange(Hex("3f e1ff ffff 03")); // 31 + (0x7fffffe1 ...) : a size update near 2^30
        var fields = new List<HpackField>();
        var error = d.Decode(block.ToArray(), fields, 1 << 16, 100, out _, out var updates);
        Assert.Equal(HpackError.None, error);
        Assert.Equal(1, updates);
        Assert.True(d.SizeAboveAdvertised);
        Assert.True(d.SizeAboveHardLimit);
        Assert.Equal(8192, d.MaxSize);
        for (var i = 0; i < 1000; i++)
        {
            var literal = new List<byte> { 0x40, 0x04 };
            literal.AddRange("k"u8.ToArray().Concat(BitConverter.GetBytes(i).Take(3)).ToArray());
            literal.AddRange([0x7f, 0x81, 0x07]); // value length 127 + 0x81 + 7*128 = 1024
            literal.AddRange(Enumerable.Repeat((byte)'v', 1024));
            fields.Clear();
            Assert.Equal(HpackError.None, d.Decode(literal.ToArray(), fields, 1 << 16, 100, out _, out _));
            Assert.True(d.Size <= 8192);
        }
        Assert.Equal(7, d.Count); // 8192 / (4 + 1024 + 32)
    }

    [Fact]
    public void HeaderListLimitStopsOutputButKeepsTheTableInStep()
    {
        // 100 indexed references to one 4 KB entry: the output stops at the limit (4 × 4033 bytes fit in 16 KiB), the table is intact.
        var d = new HpackDecoder(65536);
        var block = new List<byte> { 0x40, 0x01, (byte)'x', 0x7f, 0xa1, 0x1e }; // x: 4000 bytes (127 + 33 + 30*128)
        block.AddRange(Enumerable.Repeat((byte)'y', 4000));
        block.AddRange(Enumerable.Repeat((byte)0xbe, 100));
        block.AddRange(Hex("4001 7a01 7a")); // z: z, indexed after the limit was hit
        var fields = new List<HpackField>();
        Assert.Equal(HpackError.None, d.Decode(block.ToArray(), fields, 16 * 1024, 1000, out var overLimit, out _));
        Assert.True(overLimit);
        Assert.Equal(4, fields.Count);
        Assert.Equal("z", d.Entry(0).Name);
        Assert.Equal("x", d.Entry(1).Name);
    }
}
