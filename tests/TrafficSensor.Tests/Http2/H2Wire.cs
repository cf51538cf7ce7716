using System.Text;
using TrafficSensor.Decoding;
using TrafficSensor.Http;
using TrafficSensor.Http2;
using TrafficSensor.Reassembly;
using TrafficSensor.Tests.Http;

namespace TrafficSensor.Tests.Http2;

/// <summary>Builds HTTP/2 bytes for tests: frames (RFC 9113 §4.1) and HPACK blocks (literals, optionally Huffman-coded or indexed).</summary>
internal sealed class H2Wire
{
    private readonly List<byte> _bytes = new();

    public byte[] Bytes => _bytes.ToArray();

    public H2Wire Preface() { _bytes.AddRange(Http2Preface.Client.ToArray()); return this; }

    public H2Wire Frame(int type, int flags, uint stream, ReadOnlySpan<byte> payload, int? declaredLength = null)
    {
        var length = declaredLength ?? payload.Length;
        _bytes.AddRange([(byte)(length >> 16), (byte)(length >> 8), (byte)length, (byte)type, (byte)flags,
            (byte)(stream >> 24), (byte)(stream >> 16), (byte)(stream >> 8), (byte)stream]);
        _bytes.AddRange(payload.ToArray());
        return this;
    }

    public H2Wire Settings(params (ushort Id, uint Value)[] settings)
    {
        var p = new List<byte>();
        foreach (var (id, value) in settings) p.AddRange([(byte)(id >> 8), (byte)id, (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
        return Frame(4, 0, 0, p.ToArray());
    }

    public H2Wire SettingsAck() => Frame(4, 1, 0, []);

    public H2Wire Headers(uint stream, byte[] block, bool endStream = false, bool endHeaders = true, int padding = 0, bool priority = false)
    {
        var p = new List<byte>();
        if (padding > 0) p.Add((byte)padding);
        if (priority) p.AddRange([0x80, 0, 0, 0, 15]);
        p.AddRange(block);
        p.AddRange(new byte[padding]);
        var flags = (endStream ? 1 : 0) | (endHeaders ? 4 : 0) | (padding > 0 ? 8 : 0) | (priority ? 0x20 : 0);
        return Frame(1, flags, stream, p.ToArray());
    }

    public H2Wire Continuation(uint stream, byte[] fragment, bool endHeaders) => Frame(9, endHeaders ? 4 : 0, stream, fragment);

    public H2Wire Data(uint stream, byte[] data, bool endStream = false, int padding = -1)
    {
        var p = new List<byte>();
        if (padding >= 0) p.Add((byte)padding);
        p.AddRange(data);
        if (padding > 0) p.AddRange(new byte[padding]);
        return Frame(0, (endStream ? 1 : 0) | (padding >= 0 ? 8 : 0), stream, p.ToArray());
    }

    public H2Wire Data(uint stream, string text, bool endStream = false, int padding = -1) => Data(stream, Encoding.Latin1.GetBytes(text), endStream, padding);
    public H2Wire RstStream(uint stream, uint error = 8) => Frame(3, 0, stream, [(byte)(error >> 24), (byte)(error >> 16), (byte)(error >> 8), (byte)error]);
    public H2Wire Ping() => Frame(6, 0, 0, new byte[8]);
    public H2Wire WindowUpdate(uint stream, uint increment) => Frame(8, 0, stream, [(byte)(increment >> 24), (byte)(increment >> 16), (byte)(increment >> 8), (byte)increment]);
    public H2Wire Priority(uint stream) => Frame(2, 0, stream, [0, 0, 0, 0, 200]);
    public H2Wire GoAway(uint lastStream) => Frame(7, 0, 0, [(byte)(lastStream >> 24), (byte)(lastStream >> 16), (byte)(lastStream >> 8), (byte)lastStream, 0, 0, 0, 0]);
    public H2Wire PushPromise(uint stream, uint promised, byte[] block) =>
        Frame(5, 4, stream, new byte[] { (byte)(promised >> 24), (byte)(promised >> 16), (byte)(promised >> 8), (byte)promised }.Concat(block).ToArray());

    // ---------------------------------------------------------------- HPACK

    /// <summary>A header block of literals without indexing (new names); Huffman-coded strings when <paramref name="huffman"/>.</summary>
    public static byte[] Block(bool huffman, params (string Name, string Value)[] fields)
    {
        var b = new List<byte>();
        foreach (var (name, value) in fields)
        {
            b.Add(0x00);
            String(b, name, huffman);
            String(b, value, huffman);
        }
        return b.ToArray();
    }

    public static byte[] Block(params (string Name, string Value)[] fields) => Block(huffman: true, fields);

    /// <summary>Literal with incremental indexing (added to the dynamic table).</summary>
    public static byte[] Indexing(string name, string value)
    {
        var b = new List<byte> { 0x40 };
        String(b, name, true);
        String(b, value, true);
        return b.ToArray();
    }

    public static void String(List<byte> b, string text, bool huffman)
    {
        var raw = Encoding.UTF8.GetBytes(text);
        var data = huffman ? HpackTests.HuffmanEncode(raw) : raw;
        Integer(b, huffman ? 0x80 : 0, 7, data.Length);
        b.AddRange(data);
    }

    public static void Integer(List<byte> b, int first, int prefix, long value)
    {
        var max = (1 << prefix) - 1;
        if (value < max) { b.Add((byte)(first | (int)value)); return; }
        b.Add((byte)(first | max));
        value -= max;
        while (value >= 128) { b.Add((byte)(value % 128 + 128)); value /= 128; }
        b.Add((byte)value);
    }

    public static byte[] Request(string method, string path, string authority = "h2.test", params (string, string)[] extra) =>
        Block([(":method", method), (":scheme", "http"), (":path", path), (":authority", authority), .. extra]);

    public static byte[] Response(int status, params (string, string)[] extra) => Block([(":status", status.ToString()), .. extra]);
}

/// <summary>Feeds byte streams to an <see cref="Http2Connection"/> (client = low side) and collects its transactions.</summary>
internal sealed class H2Harness : IHttpTransactionSink
{
    public readonly List<HttpTransaction> Transactions = new();
    public readonly Http2Counters Counters = new();
    public readonly MemoryBudget Budget = new(64 << 20);
    public readonly Http2Connection Connection;

    public H2Harness(Http2Options? options = null, HttpOptions? http = null, bool? clientIsLow = true) =>
        Connection = new Http2Connection(http ?? new HttpOptions(), options ?? new Http2Options(), Budget, Counters, this, clientIsLow);

    public void OnTransaction(HttpTransaction transaction) => Transactions.Add(transaction);

    public H2Harness Client(byte[] data, int chunk = int.MaxValue) => Feed(Connection.FromLow, data, chunk);
    public H2Harness Server(byte[] data, int chunk = int.MaxValue) => Feed(Connection.FromHigh, data, chunk);

    public List<HttpTransaction> Close()
    {
        Connection.Close(0);
        return Transactions;
    }

    private H2Harness Feed(ITcpStreamSink sink, byte[] data, int chunk)
    {
        for (var o = 0; o < data.Length; o += chunk) sink.OnData(data.AsSpan(o, Math.Min(chunk, data.Length - o)), 0);
        return this;
    }

    public static string Describe(HttpTransaction t) => HttpHarness.Describe(t) + $" host={t.Hostname} proto={t.Request?.Protocol}";

    /// <summary>Feeds both streams through real TCP reassemblers as arbitrary segments (shuffled, duplicated).</summary>
    public static List<HttpTransaction> ThroughTcp(byte[] client, byte[] server, Random random, int maxSegment, int duplicates)
    {
        var harness = new H2Harness();
        HttpHarness.FeedThroughTcp(harness.Connection.FromLow, harness.Connection.FromHigh, client, server, random, maxSegment, duplicates);
        return harness.Close();
    }
}
