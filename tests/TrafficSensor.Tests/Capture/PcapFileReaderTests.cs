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

    /// <summary>A pcapng writer for the tests: sections in either byte order, interfaces with options, any packet block.</summary>
    private sealed class PcapNg(bool bigEndian)
    {
        private readonly MemoryStream _bytes = new();

        private byte[] U32(uint v)
        {
            var b = new byte[4];
            if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            return b;
        }

        private byte[] U16(ushort v)
        {
            var b = new byte[2];
            if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
            return b;
        }

        private static byte[] Pad(byte[] b) => [.. b, .. new byte[(4 - b.Length % 4) % 4]];

        public PcapNg Block(uint type, byte[] body)
        {
            body = Pad(body);
            var length = (uint)(12 + body.Length);
            _bytes.Write([.. U32(type), .. U32(length), .. body, .. U32(length)]);
            return this;
        }

        public PcapNg Section() => Block(0x0A0D0D0A, [.. U32(0x1A2B3C4D), .. U16(1), .. U16(0), .. new byte[] { 255, 255, 255, 255, 255, 255, 255, 255 }]);

        /// <summary>An interface; <paramref name="tsresol"/> and <paramref name="tsoffset"/> become options when given.</summary>
        public PcapNg Interface(ushort linkType, uint snaplen = 0, byte? tsresol = null, long? tsoffset = null)
        {
            var options = new List<byte>();
            if (tsresol is { } r) options.AddRange([.. U16(9), .. U16(1), r, 0, 0, 0]);
            if (tsoffset is { } o)
            {
                var v = new byte[8];
                if (bigEndian) BinaryPrimitives.WriteInt64BigEndian(v, o); else BinaryPrimitives.WriteInt64LittleEndian(v, o);
                options.AddRange([.. U16(14), .. U16(8), .. v]);
            }
            if (options.Count > 0) options.AddRange(new byte[4]); // opt_endofopt
            return Block(1, [.. U16(linkType), 0, 0, .. U32(snaplen), .. options]);
        }

        public PcapNg Enhanced(uint interfaceId, ulong ticks, byte[] data, uint? original = null) =>
            Block(6, [.. U32(interfaceId), .. U32((uint)(ticks >> 32)), .. U32((uint)ticks), .. U32((uint)data.Length), .. U32(original ?? (uint)data.Length), .. data]);

        public PcapNg Simple(byte[] data) => Block(3, [.. U32((uint)data.Length), .. data]);

        public byte[] ToBytes() => _bytes.ToArray();
    }

    private static byte[] Segment(int i) =>
        PacketFactory.Ethernet(PacketFactory.TcpSegment(IPAddress.Loopback, 1, IPAddress.Loopback, 80, (uint)i, 0, PacketFactory.Tcp.Ack, new byte[i * 37 % 1400]));

    private (FrameLog Log, CaptureFileResult Result) ReadDirect(string path)
    {
        var log = new FrameLog();
        return (log, new PcapFileReader(null).Read(path, log, CancellationToken.None));
    }

    private (FrameLog Log, CaptureFileResult Result) ReadWithLibpcap(string path)
    {
        var log = new FrameLog();
        return (log, new PcapFileReader("tcp or not tcp").Read(path, log, CancellationToken.None)); // a filter means libpcap
    }

    [Theory]
    [InlineData(false, null, null)]
    [InlineData(true, null, null)]
    [InlineData(false, (byte)9, null)]       // nanoseconds
    [InlineData(true, (byte)3, 100L)]        // milliseconds, 100 s offset
    [InlineData(false, (byte)0x94, null)]    // 2^-20 s
    [InlineData(true, (byte)0x8A, -5L)]      // 2^-10 s, negative offset
    public void Pcapng_read_directly_gives_the_frames_libpcap_gives(bool bigEndian, byte? tsresol, long? tsoffset)
    {
        var units = tsresol is not { } r ? 1_000_000UL : (r & 0x80) != 0 ? 1UL << (r & 0x7F) : (ulong)Math.Pow(10, r);
        var file = new PcapNg(bigEndian).Section().Interface(1, 65535, tsresol, tsoffset)
            .Block(0x0BAD, [1, 2, 3, 4, 5]) // an unknown block is skipped
            .Block(5, new byte[40]);       // so is an interface statistics block
        for (var i = 0; i < 40; i++)
            file.Enhanced(0, 1_700_000_000UL * units + (ulong)i * units / 7, Segment(i), i == 3 ? 9000u : null);
        file.Simple(Segment(41));
        var path = Write("variant.pcapng", file.ToBytes());

        var (direct, directResult) = ReadDirect(path);
        var (libpcap, libpcapResult) = ReadWithLibpcap(path);
        Assert.Null(directResult.Error);
        Assert.Null(libpcapResult.Error);
        Assert.Equal(41, direct.Frames.Count);
        Assert.Equal(libpcap.Frames, direct.Frames);
        Assert.Equal((libpcapResult.Frames, libpcapResult.Bytes), (directResult.Frames, directResult.Bytes));
    }

    [Fact]
    public void Pcapng_sections_restart_interfaces_and_may_change_byte_order_and_link_type()
    {
        var first = new PcapNg(false).Section().Interface(1).Enhanced(0, 1_000_000, Segment(1)).ToBytes();
        var raw = PacketFactory.Ip(IPAddress.Loopback, IPAddress.Loopback, 6, new byte[20]);
        var second = new PcapNg(true).Section().Interface(101).Enhanced(0, 2_000_000, raw).ToBytes();
        var (direct, result) = ReadDirect(Write("sections.pcapng", [.. first, .. second]));
        Assert.Null(result.Error);
        Assert.Equal(["1000000 Ethernet", "2000000 Raw"], direct.Frames.Select(f => string.Join(' ', f.Split(' ')[..2])));
    }

    [Fact]
    public void A_pcapng_packet_longer_than_its_interface_snap_length_is_refused_as_libpcap_refuses_it()
    {
        var file = new PcapNg(false).Section().Interface(1, 60).Enhanced(0, 1_000_000, Segment(0)).Enhanced(0, 2_000_000, Segment(20)).ToBytes();
        var path = Write("snap.pcapng", file);
        var (direct, result) = ReadDirect(path);
        var (libpcap, libpcapResult) = ReadWithLibpcap(path);
        Assert.Equal(libpcap.Frames, direct.Frames);
        Assert.Single(direct.Frames);
        Assert.StartsWith("invalid packet capture length 794, bigger than snaplen of 60", libpcapResult.Error);
        Assert.StartsWith("invalid packet capture length 794, bigger than snaplen of 60", result.Error);
    }

    [Fact]
    public void A_pcapng_packet_cut_by_the_capture_is_marked_truncated()
    {
        var counter = new Counter();
        var path = Write("cut-by-snaplen.pcapng", new PcapNg(false).Section().Interface(1, 96).Enhanced(0, 1, Segment(20)[..96], original: 794).ToBytes());
        var result = new PcapFileReader(null).Read(path, counter, CancellationToken.None);
        Assert.Null(result.Error);
        Assert.Equal(1, counter.TruncatedFrames);
    }

    [Fact]
    public void A_real_pcapng_capture_read_directly_gives_the_frames_libpcap_gives()
    {
        var path = Path.Combine(TestPaths.SharedRealPcaps, "benign-http-cs-espn.pcapng");
        var (direct, directResult) = ReadDirect(path);
        var (libpcap, libpcapResult) = ReadWithLibpcap(path);
        Assert.Null(directResult.Error);
        Assert.True(direct.Frames.Count > 100);
        Assert.Equal(libpcap.Frames, direct.Frames);
        Assert.Equal(libpcapResult.Bytes, directResult.Bytes);
    }

    [Fact]
    public void Damaged_pcapng_keeps_the_frames_before_the_damage_and_says_why()
    {
        var good = new PcapNg(false).Section().Interface(1);
        for (var i = 0; i < 3; i++) good.Enhanced(0, (ulong)i * 1_000_000, Segment(i));
        var bytes = good.ToBytes();

        var (cut, cutResult) = ReadDirect(Write("cut.pcapng", bytes[..^10]));
        Assert.Equal(2, cut.Frames.Count);
        Assert.Contains("truncated", cutResult.Error);

        var undescribed = new PcapNg(false).Section().Interface(1).Enhanced(0, 1, Segment(1)).Enhanced(7, 2, Segment(2)).ToBytes();
        var (one, undescribedResult) = ReadDirect(Write("iface.pcapng", undescribed));
        Assert.Single(one.Frames);
        Assert.Contains("interface 7", undescribedResult.Error);

        var odd = (byte[])bytes.Clone();
        var thirdBlock = 28 + 20 + BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(28 + 20 + 4)); // after SHB (28), IDB (20), first EPB
        BinaryPrimitives.WriteUInt32LittleEndian(odd.AsSpan(thirdBlock + 4), 13);
        var (before, oddResult) = ReadDirect(Write("odd.pcapng", odd));
        Assert.Single(before.Frames);
        Assert.Contains("corrupt pcapng block", oddResult.Error);

        var overlong = new PcapNg(false).Section().Interface(1).Enhanced(0, 1, Segment(1)).ToBytes();
        BinaryPrimitives.WriteUInt32LittleEndian(overlong.AsSpan(28 + 20 + 8 + 12), 5000); // captured length beyond the block
        var (none, overlongResult) = ReadDirect(Write("overlong.pcapng", overlong));
        Assert.Empty(none.Frames);
        Assert.Contains("beyond its block", overlongResult.Error);
    }

    [Fact]
    public void Pcapng_packets_on_an_interface_of_an_unsupported_link_type_are_skipped_and_counted()
    {
        var file = new PcapNg(false).Section().Interface(1).Interface(147).Enhanced(1, 1, new byte[30]).Enhanced(0, 2, Segment(1)).ToBytes();
        var (frames, result) = ReadDirect(Write("dlt.pcapng", file));
        Assert.Single(frames.Frames);
        Assert.Equal("1 packets skipped: interface 1: unsupported link type 147", result.Error);
        Assert.False(result.Unusable);
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
