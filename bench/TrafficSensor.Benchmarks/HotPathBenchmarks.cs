using System.Buffers.Binary;
using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using TrafficSensor;
using TrafficSensor.Capture;
using TrafficSensor.Decoding;
using TrafficSensor.Http;
using TrafficSensor.Reassembly;

if (args is ["out-of-order", ..]) OutOfOrderMeasurement.Run(args[1..]);
else BenchmarkSwitcher.FromAssembly(typeof(DecoderBenchmarks).Assembly).Run(args);

/// <summary>Per-frame cost of decoding Ethernet/IPv4/TCP and Ethernet/VLAN/IPv6/TCP frames.</summary>
[MemoryDiagnoser]
public class DecoderBenchmarks
{
    private readonly PacketDecoder _decoder = new(new DecodingOptions());
    private byte[] _ipv4 = [];
    private byte[] _vlanIpv6 = [];

    [GlobalSetup]
    public void Setup()
    {
        _ipv4 = Frames.Ethernet(Frames.Tcp(IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2"), new byte[1400]), 0);
        _vlanIpv6 = Frames.Ethernet(Frames.Tcp(IPAddress.Parse("2001:db8::1"), IPAddress.Parse("2001:db8::2"), new byte[1400]), 42);
    }

    [Benchmark(Baseline = true)]
    public uint Ipv4Tcp() => Decode(_ipv4);

    [Benchmark]
    public uint VlanIpv6Tcp() => Decode(_vlanIpv6);

    private uint Decode(byte[] frame)
    {
        var packet = new DecodedPacket();
        _decoder.Decode(new CaptureFrame(1, LinkType.Ethernet, frame, frame.Length), ref packet);
        return packet.Sequence;
    }
}

/// <summary>Cost of reassembling 64 KiB of one direction from 1460-byte segments, in order and reversed in pairs.</summary>
[MemoryDiagnoser]
public class ReassemblyBenchmarks
{
    private const int Segment = 1460;
    private readonly byte[] _payload = new byte[Segment];
    private sealed class NullSink : ITcpStreamSink
    {
        public long Bytes;
        public void OnData(ReadOnlySpan<byte> data, long ts) => Bytes += data.Length;
        public void OnGap(long length, long ts) { }
        public void OnEnd(long ts) { }
    }

    [Benchmark(Baseline = true)]
    public long InOrder() => Run(swapPairs: false);

    [Benchmark]
    public long OutOfOrderPairs() => Run(swapPairs: true);

    private long Run(bool swapPairs)
    {
        var sink = new NullSink();
        var r = new TcpStreamReassembler(sink, new ReassemblyOptions(), new MemoryBudget(1 << 20), new ReassemblyCounters());
        r.OnSegment(0, TcpFlags.Syn, default, 0, 0);
        for (var i = 0; i < 44; i += 2)
        {
            var (first, second) = swapPairs ? (i + 1, i) : (i, i + 1);
            r.OnSegment(1 + (uint)(first * Segment), TcpFlags.Ack, _payload, Segment, 0);
            r.OnSegment(1 + (uint)(second * Segment), TcpFlags.Ack, _payload, Segment, 0);
        }
        return sink.Bytes;
    }
}

/// <summary>Cost of parsing one typical browser request and its 1 KiB response, pairing and parameter extraction included.</summary>
[MemoryDiagnoser]
public class HttpBenchmarks
{
    private static readonly byte[] Request = Encoding.ASCII.GetBytes(
        "GET /api.php?action=list&page=42&sort=desc&q=item123 HTTP/1.1\r\nHost: bench.local\r\n" +
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\nAccept: */*\r\n" +
        "Accept-Language: en-US,en;q=0.8\r\nCookie: sid=123456; theme=dark\r\nReferer: http://bench.local/index.html\r\n\r\n");
    private static readonly byte[] Response = Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/json\r\nContent-Length: 1024\r\nConnection: keep-alive\r\n\r\n" + new string('x', 1024));

    private sealed class CountingSink : IHttpTransactionSink
    {
        public int Count;
        public void OnTransaction(HttpTransaction transaction) => Count++;
    }

    [Benchmark]
    public int RequestAndResponse()
    {
        var sink = new CountingSink();
        var connection = new HttpConnection(new HttpOptions(), new MemoryBudget(1 << 30), new HttpCounters(), sink);
        connection.FromLow.OnData(Request, 0);
        connection.FromHigh.OnData(Response, 0);
        return sink.Count;
    }
}

internal static class Frames
{
    public static byte[] Tcp(IPAddress src, IPAddress dst, byte[] payload)
    {
        var v6 = src.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var header = v6 ? 40 : 20;
        var ip = new byte[header + 20 + payload.Length];
        if (v6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)(20 + payload.Length));
            ip[6] = 6;
            src.TryWriteBytes(ip.AsSpan(8), out _);
            dst.TryWriteBytes(ip.AsSpan(24), out _);
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
            ip[9] = 6;
            src.TryWriteBytes(ip.AsSpan(12), out _);
            dst.TryWriteBytes(ip.AsSpan(16), out _);
        }
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(header), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(header + 2), 80);
        ip[header + 12] = 5 << 4;
        ip[header + 13] = 0x18;
        payload.CopyTo(ip, header + 20);
        return ip;
    }

    public static byte[] Ethernet(byte[] ip, ushort vlan)
    {
        var tag = vlan != 0 ? 4 : 0;
        var frame = new byte[14 + tag + ip.Length];
        if (vlan != 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), vlan);
        }
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12 + tag), (ushort)((ip[0] >> 4) == 6 ? 0x86DD : 0x0800));
        ip.CopyTo(frame, 14 + tag);
        return frame;
    }
}
