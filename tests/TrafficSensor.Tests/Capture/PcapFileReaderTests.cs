using System.Buffers.Binary;
using System.Net;
using TrafficSensor.Capture;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Capture;

public sealed class PcapFileReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-capture-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Counter : IFrameHandler
    {
        public int Frames;
        public int TruncatedFrames;
        public void OnFrame(in CaptureFrame frame)
        {
            Frames++;
            if (frame.IsTruncated) TruncatedFrames++;
        }
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static (CaptureFileResult Result, Counter Counter) Read(string path)
    {
        var counter = new Counter();
        var result = new PcapFileReader(null).Read(path, counter, CancellationToken.None);
        return (result, counter);
    }

    private static byte[] ThreePackets()
    {
        var pcap = new PcapFile(LinkType.Ethernet);
        for (var i = 0; i < 3; i++)
            pcap.Add(1_000_000 * (i + 1), PacketFactory.Ethernet(PacketFactory.TcpSegment(IPAddress.Loopback, 1, IPAddress.Loopback, 80, (uint)i, 0, PacketFactory.Tcp.Ack, new byte[100])));
        return pcap.ToBytes();
    }

    [Fact]
    public void Reads_a_valid_file()
    {
        var (result, counter) = Read(Write("ok.pcap", ThreePackets()));
        Assert.Null(result.Error);
        Assert.Equal(3, counter.Frames);
        Assert.Equal(3, result.Frames);
    }

    [Fact]
    public void A_file_that_is_not_a_capture_is_unusable_with_a_clear_message()
    {
        var (result, counter) = Read(Write("notes.pcap", "this is not a capture file at all"u8.ToArray()));
        Assert.True(result.Unusable);
        Assert.Contains("not a readable pcap/pcapng file", result.Error);
        Assert.Equal(0, counter.Frames);
    }

    [Fact]
    public void An_empty_or_missing_file_is_unusable()
    {
        Assert.True(Read(Write("empty.pcap", [])).Result.Unusable);
        Assert.Equal("file not found", Read(Path.Combine(_dir, "nope.pcap")).Result.Error);
    }

    [Fact]
    public void A_truncated_last_record_keeps_the_packets_before_it()
    {
        var bytes = ThreePackets();
        var (result, counter) = Read(Write("cut.pcap", bytes[..^30]));
        Assert.Equal(2, counter.Frames);
        Assert.NotNull(result.Error);
        Assert.False(result.Unusable);
    }

    [Fact]
    public void A_record_claiming_two_gigabytes_is_reported_not_allocated()
    {
        var bytes = ThreePackets();
        var secondRecord = 24 + 16 + BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(24 + 8));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(secondRecord + 8), 0x7FFF_FFF0);
        var (result, counter) = Read(Write("huge.pcap", bytes));
        Assert.Equal(1, counter.Frames);
        Assert.NotNull(result.Error);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(0xFFFF_FFFFu)]
    public void An_absurd_snaplen_in_the_header_does_not_stop_the_reading(uint snaplen)
    {
        var bytes = ThreePackets();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), snaplen);
        var (result, counter) = Read(Write("snaplen.pcap", bytes));
        Assert.Equal(3, counter.Frames);
        Assert.Null(result.Error);
    }

    [Fact]
    public void A_pcapng_block_of_two_gigabytes_is_an_error_not_an_allocation()
    {
        // Section header block, then an enhanced packet block claiming a 2 GB length.
        var shb = new byte[28];
        BinaryPrimitives.WriteUInt32LittleEndian(shb, 0x0A0D0D0A);
        BinaryPrimitives.WriteUInt32LittleEndian(shb.AsSpan(4), 28);
        BinaryPrimitives.WriteUInt32LittleEndian(shb.AsSpan(8), 0x1A2B3C4D);
        BinaryPrimitives.WriteUInt16LittleEndian(shb.AsSpan(12), 1);
        BinaryPrimitives.WriteInt64LittleEndian(shb.AsSpan(16), -1);
        BinaryPrimitives.WriteUInt32LittleEndian(shb.AsSpan(24), 28);
        var idb = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(idb, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(idb.AsSpan(4), 20);
        BinaryPrimitives.WriteUInt16LittleEndian(idb.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(idb.AsSpan(12), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(idb.AsSpan(16), 20);
        var epb = new byte[32];
        BinaryPrimitives.WriteUInt32LittleEndian(epb, 6);
        BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(4), 0x8000_0000);
        var (result, counter) = Read(Write("bomb.pcapng", [.. shb, .. idb, .. epb]));
        Assert.Equal(0, counter.Frames);
        Assert.NotNull(result.Error);
    }

    private sealed class FrameLog : IFrameHandler
    {
        public readonly List<string> Frames = new();
        public void OnFrame(in CaptureFrame frame) =>
            Frames.Add($"{frame.TimestampMicros} {frame.LinkType} {frame.OriginalLength} {Convert.ToHexString(frame.Data)}");
    }

    /// <summary>The same records in each classic variant: big-endian and/or nanosecond timestamps.</summary>
    private static byte[] Variant(byte[] littleMicros, bool bigEndian, bool nanoseconds)
    {
        var bytes = (byte[])littleMicros.Clone();
        void Put(int offset, uint value)
        {
            if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(offset), value);
            else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), value);
        }
        Put(0, nanoseconds ? 0xA1B23C4Du : 0xA1B2C3D4u);
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), 2);
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(6), 4);
            for (var i = 8; i < 24; i += 4) Put(i, BinaryPrimitives.ReadUInt32LittleEndian(littleMicros.AsSpan(i)));
        }
        for (var at = 24; at < bytes.Length;)
        {
            var seconds = BinaryPrimitives.ReadUInt32LittleEndian(littleMicros.AsSpan(at));
            var micros = BinaryPrimitives.ReadUInt32LittleEndian(littleMicros.AsSpan(at + 4));
            var captured = BinaryPrimitives.ReadUInt32LittleEndian(littleMicros.AsSpan(at + 8));
            var original = BinaryPrimitives.ReadUInt32LittleEndian(littleMicros.AsSpan(at + 12));
            Put(at, seconds);
            Put(at + 4, nanoseconds ? micros * 1000 + 999 : micros);
            Put(at + 8, captured);
            Put(at + 12, original);
            at += 16 + (int)captured;
        }
        return bytes;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Classic_pcap_read_directly_gives_the_frames_libpcap_gives(bool bigEndian, bool nanoseconds)
    {
        var pcap = new PcapFile(LinkType.Ethernet);
        for (var i = 0; i < 50; i++)
            pcap.Add(1_700_000_000_000_000 + 123_457L * i, PacketFactory.Ethernet(PacketFactory.TcpSegment(IPAddress.Loopback, 1, IPAddress.Loopback, 80, (uint)i, 0, PacketFactory.Tcp.Ack, new byte[i * 31])));
        var path = Write("variant.pcap", Variant(pcap.ToBytes(), bigEndian, nanoseconds));

        var direct = new FrameLog();
        var directResult = new PcapFileReader(null).Read(path, direct, CancellationToken.None);
        var libpcap = new FrameLog();
        var libpcapResult = new PcapFileReader("tcp or not tcp").Read(path, libpcap, CancellationToken.None); // a filter means libpcap
        Assert.Null(directResult.Error);
        Assert.Null(libpcapResult.Error);
        Assert.Equal(50, direct.Frames.Count);
        Assert.Equal(libpcap.Frames, direct.Frames);
        Assert.Equal((libpcapResult.Frames, libpcapResult.Bytes), (directResult.Frames, directResult.Bytes));
    }

    [Fact]
    public void Files_are_ordered_by_their_first_packet()
    {
        var late = new PcapFile(LinkType.Raw).Add(9_000_000, PacketFactory.Ip(IPAddress.Loopback, IPAddress.Loopback, 6, new byte[20])).ToBytes();
        var early = new PcapFile(LinkType.Raw).Add(1_000_000, PacketFactory.Ip(IPAddress.Loopback, IPAddress.Loopback, 6, new byte[20])).ToBytes();
        var a = Write("a.pcap", late);
        var b = Write("b.pcap", early);
        Write("c.pcap", "junk"u8.ToArray());
        Write("readme.txt", "not a capture"u8.ToArray());
        Assert.Equal([b, a, Path.Combine(_dir, "c.pcap")], CaptureFileSet.Resolve([_dir]));
    }

    [Fact]
    public void Bytes_from_a_real_capture_cut_anywhere_never_crash_the_pipeline()
    {
        var real = File.ReadAllBytes(Path.Combine(TestPaths.SharedRealPcaps, "cmdshell-php-marcellelee.pcap"));
        var random = new Random(1);
        for (var i = 0; i < 40; i++)
        {
            var cut = real[..random.Next(24, real.Length)];
            // Flip a few bytes too, as a damaged disk or a hostile file would.
            for (var j = 0; j < 20; j++) cut[random.Next(24, cut.Length)] ^= (byte)random.Next(1, 256);
            var path = Write($"damaged{i}.pcap", cut);
            var (_, stats) = SensorRun.Files([path]);
            Assert.Single(stats.Files);
        }
    }
}

public class LibpcapGuardTests
{
    [Fact]
    public void A_missing_libpcap_becomes_an_install_hint()
    {
        var e = Assert.Throws<CaptureException>(() => LibpcapGuard.Run<int>(() =>
            throw new TypeInitializationException("SharpPcap.LibPcap.LibPcapSafeNativeMethods", new DllNotFoundException("Unable to load shared library 'wpcap'"))));
        Assert.Contains("apt-get install libpcap0.8", e.Message);
    }
}
