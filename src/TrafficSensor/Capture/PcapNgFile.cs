using System.Buffers.Binary;

namespace TrafficSensor.Capture;

/// <summary>
/// A pcapng file read straight from disk, as libpcap reads it (the frames, times and lengths it gives,
/// compared by PcapFileReaderTests), without its per-packet objects: sections in either byte order,
/// interface descriptions with their time resolution (if_tsresol, decimal or binary) and offset
/// (if_tsoffset) and snap length, and enhanced, simple and obsolete packet blocks; every other block is
/// skipped. Damage ends the reading with the reason, keeping what came before: a block length under
/// 12 or not a multiple of 4, a packet block larger than <see cref="CaptureFileBuffer.Size"/>, a
/// captured length beyond its block, a packet on an interface never described, a truncated block.
/// Unlike libpcap, interfaces of different link types in one file are all read; packets on an
/// interface of an unsupported link type are skipped and counted in the result's error.
/// </summary>
internal sealed class PcapNgFile : IDisposable
{
    private const uint SectionHeaderBlock = 0x0A0D0D0A;
    private const uint InterfaceDescriptionBlock = 1;
    private const uint ObsoletePacketBlock = 2;
    private const uint SimplePacketBlock = 3;
    private const uint EnhancedPacketBlock = 6;
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    /// <summary>libpcap's bound on a packet (MAXIMUM_SNAPLEN); also the snap length of an interface that gives 0 or more.</summary>
    private const int MaxRecordLength = 262_144;

    /// <summary>One described interface of the current section.</summary>
    private sealed record Interface(LinkType? LinkType, int LinkTypeNumber, int SnapLength, ulong UnitsPerSecond, long OffsetSeconds, string? Error);

    private readonly string _path;
    private readonly CaptureFileBuffer _in;
    private readonly List<Interface> _interfaces = new();
    private bool _bigEndian;

    private PcapNgFile(string path, CaptureFileBuffer input)
    {
        _path = path;
        _in = input;
    }

    /// <summary>The file opened at its start when it begins with a pcapng section header; null otherwise.</summary>
    public static PcapNgFile? TryOpen(string path)
    {
        FileStream? file = null;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            Span<byte> start = stackalloc byte[12];
            var n = file.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
            var magic = BinaryPrimitives.ReadUInt32LittleEndian(start[8..]);
            if (n < start.Length || BinaryPrimitives.ReadUInt32LittleEndian(start) != SectionHeaderBlock
                || (magic != ByteOrderMagic && magic != BinaryPrimitives.ReverseEndianness(ByteOrderMagic)))
            {
                file.Dispose();
                return null;
            }
            file.Position = 0;
            return new PcapNgFile(path, new CaptureFileBuffer(file, 0));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            file?.Dispose();
            return null;
        }
    }

    public void Dispose() => _in.Dispose();

    public CaptureFileResult Read(IFrameHandler handler, CancellationToken cancel, ref long position)
    {
        long frames = 0, bytes = 0, skipped = 0;
        string? error = null, skippedReason = null;
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                if (!_in.Ensure(12))
                {
                    if (!_in.Available.IsEmpty) error = $"truncated pcapng file: block header of {_in.Available.Length} bytes at offset {_in.Consumed}";
                    break;
                }
                var head = _in.Available;
                var type = U32(head);
                if (type == SectionHeaderBlock)
                    _bigEndian = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]) != ByteOrderMagic;
                var length = U32(head[4..]);
                if (length < 12 || length % 4 != 0)
                {
                    error = $"corrupt pcapng block: length {length} at offset {_in.Consumed}";
                    break;
                }
                if (type is not (SectionHeaderBlock or InterfaceDescriptionBlock or EnhancedPacketBlock or SimplePacketBlock or ObsoletePacketBlock))
                {
                    if (!_in.Skip(length))
                    {
                        error = $"truncated pcapng file: block of {length} bytes at offset {_in.Consumed}";
                        break;
                    }
                    continue;
                }
                if (length > CaptureFileBuffer.Size)
                {
                    error = $"pcapng block of {length} bytes at offset {_in.Consumed}, bigger than the maximum of {CaptureFileBuffer.Size}";
                    break;
                }
                if (!_in.Ensure((int)length))
                {
                    error = $"truncated pcapng file: block of {length} bytes at offset {_in.Consumed} has only {_in.Available.Length}";
                    break;
                }
                var body = _in.Available[8..((int)length - 4)];
                error = type switch
                {
                    SectionHeaderBlock => OnSection(body),
                    InterfaceDescriptionBlock => OnInterface(body),
                    _ => OnPacket(type, body, handler, ref frames, ref bytes, ref skipped, ref skippedReason),
                };
                if (error is not null) break;
                _in.Consume((int)length);
                Volatile.Write(ref position, _in.Consumed);
            }
        }
        catch (IOException e)
        {
            error = "read error: " + e.Message;
        }
        if (skipped > 0) error ??= $"{skipped} packets skipped: {skippedReason}";
        return new CaptureFileResult(_path, frames, bytes, error);
    }

    private string? OnSection(ReadOnlySpan<byte> body)
    {
        if (body.Length < 16) return $"corrupt pcapng section header at offset {_in.Consumed}";
        var major = U16(body[4..]);
        if (major != 1) return $"unsupported pcapng version {major}.{U16(body[6..])}";
        _interfaces.Clear(); // interface numbers start again in each section
        return null;
    }

    private string? OnInterface(ReadOnlySpan<byte> body)
    {
        if (body.Length < 8) return $"corrupt pcapng interface description at offset {_in.Consumed}";
        var linkTypeNumber = U16(body);
        var snap = U32(body[4..]);
        ulong units = 1_000_000;
        long offset = 0;
        string? problem = null;
        for (var options = body[8..]; options.Length >= 4;)
        {
            var code = U16(options);
            var size = U16(options[2..]);
            if (code == 0 || 4 + size > options.Length) break; // opt_endofopt, or an option cut short: the rest is ignored
            var value = options.Slice(4, size);
            if (code == 9 && size >= 1) // if_tsresol: 10^-n, or 2^-n when the top bit is set
            {
                var exponent = value[0] & 0x7F;
                var binary = (value[0] & 0x80) != 0;
                if (binary ? exponent > 63 : exponent > 19) problem = $"time resolution {value[0]:x2} is not supported";
                else units = binary ? 1UL << exponent : Pow10(exponent);
            }
            else if (code == 14 && size >= 8) // if_tsoffset, seconds
            {
                offset = (long)(_bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(value) : BinaryPrimitives.ReadUInt64LittleEndian(value));
            }
            options = options[Math.Min(options.Length, 4 + (size + 3) / 4 * 4)..];
        }
        var linkType = PcapFileReader.FromDataLinkType(linkTypeNumber);
        problem ??= linkType is null ? $"unsupported link type {linkTypeNumber}" : null;
        var snapLength = snap == 0 || snap > MaxRecordLength ? MaxRecordLength : (int)snap;
        _interfaces.Add(new Interface(linkType, linkTypeNumber, snapLength, units == 0 ? 1 : units, offset, problem));
        return null;
    }

    private string? OnPacket(uint type, ReadOnlySpan<byte> body, IFrameHandler handler, ref long frames, ref long bytes, ref long skipped, ref string? skippedReason)
    {
        int interfaceId;
        ulong ticks = 0;
        long captured, original;
        ReadOnlySpan<byte> data;
        switch (type)
        {
            case EnhancedPacketBlock or ObsoletePacketBlock when body.Length >= 20:
                // The obsolete block has a 16-bit interface id (then a drop count) where the enhanced one has 32 bits.
                interfaceId = type == EnhancedPacketBlock ? (int)Math.Min(U32(body), int.MaxValue) : U16(body);
                ticks = (ulong)U32(body[4..]) << 32 | U32(body[8..]);
                captured = U32(body[12..]);
                original = U32(body[16..]);
                data = body[20..];
                break;
            case SimplePacketBlock when body.Length >= 4:
                // No captured length: the packet, up to the block's end and the interface's snap length.
                interfaceId = 0;
                original = U32(body);
                data = body[4..];
                captured = Math.Min(original, data.Length);
                break;
            default:
                return $"corrupt pcapng packet block at offset {_in.Consumed}";
        }
        if (interfaceId >= _interfaces.Count)
            return $"pcapng packet on interface {interfaceId}, which the section does not describe, at offset {_in.Consumed}";
        if (captured > data.Length)
            return $"corrupt pcapng packet block: captured length {captured} beyond its block at offset {_in.Consumed}";
        var nic = _interfaces[interfaceId];
        if (nic.Error is not null || nic.LinkType is not { } linkType)
        {
            skipped++;
            skippedReason ??= $"interface {interfaceId}: {nic.Error}";
            return null;
        }
        if (type == SimplePacketBlock) captured = Math.Min(captured, nic.SnapLength);
        // As libpcap: a packet longer than its interface's snap length is corruption, not a packet to cut.
        if (captured > nic.SnapLength)
            return $"invalid packet capture length {captured}, bigger than snaplen of {nic.SnapLength}, at offset {_in.Consumed}";
        data = data[..(int)captured];
        var seconds = (long)(ticks / nic.UnitsPerSecond) + nic.OffsetSeconds;
        var fraction = ticks % nic.UnitsPerSecond;
        var micros = nic.UnitsPerSecond == 1_000_000 ? fraction : (ulong)((UInt128)fraction * 1_000_000 / nic.UnitsPerSecond);
        frames++;
        bytes += data.Length;
        var wireLength = (int)Math.Min(original, int.MaxValue);
        handler.OnFrame(new CaptureFrame(seconds * 1_000_000 + (long)micros, linkType, data, Math.Max(wireLength, data.Length)));
        return null;
    }

    private static ulong Pow10(int exponent)
    {
        ulong units = 1;
        for (var i = 0; i < exponent; i++) units *= 10;
        return units;
    }

    private uint U32(ReadOnlySpan<byte> bytes) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);

    private ushort U16(ReadOnlySpan<byte> bytes) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes);
}
