using System.Buffers.Binary;
using SharpPcap;
using SharpPcap.LibPcap;

namespace TrafficSensor.Capture;

/// <summary>What reading one capture file produced.</summary>
public sealed record CaptureFileResult(string Path, long Frames, long Bytes, string? Error)
{
    /// <summary>The file could not be read at all (not a capture, unsupported link type, bad filter).</summary>
    public bool Unusable => Frames == 0 && Error is not null;
}

/// <summary>
/// Reads a pcap or pcapng file. A damaged file is read up to the damage: the frames before a
/// truncated or corrupt record are delivered and the error is reported, never thrown. Without a BPF
/// filter, classic pcap and pcapng (<see cref="PcapNgFile"/>) are parsed here, in large reads with no
/// allocation per packet (libpcap through SharpPcap costs about 400 bytes of objects per packet);
/// filtered reads, and files neither reader recognises, go through libpcap.
/// </summary>
public sealed class PcapFileReader
{
    private readonly string? _bpf;

    public PcapFileReader(string? bpf) => _bpf = string.IsNullOrWhiteSpace(bpf) ? null : bpf;

    /// <summary>Bytes of the current file consumed so far (record headers included): for progress display.</summary>
    public long Position => Volatile.Read(ref _position);
    private long _position;

    public CaptureFileResult Read(string path, IFrameHandler handler, CancellationToken cancel)
    {
        Volatile.Write(ref _position, 0);
        if (path != "-" && !File.Exists(path)) // "-" is standard input, as for libpcap
            return new CaptureFileResult(path, 0, 0, "file not found");
        if (_bpf is null && ClassicPcap.TryOpen(path) is { } classic)
        {
            using (classic)
                return classic.Read(handler, cancel, ref _position);
        }
        if (_bpf is null && PcapNgFile.TryOpen(path) is { } pcapng)
        {
            using (pcapng)
                return pcapng.Read(handler, cancel, ref _position);
        }

        CaptureFileReaderDevice device;
        try
        {
            device = LibpcapGuard.Run(() =>
            {
                var d = new CaptureFileReaderDevice(path);
                d.Open();
                return d;
            });
        }
        catch (CaptureException)
        {
            throw; // libpcap missing: nothing else can work either
        }
        catch (Exception e)
        {
            return new CaptureFileResult(path, 0, 0, "not a readable pcap/pcapng file: " + e.Message);
        }

        using (device)
        {
            if (FromDataLinkType((int)device.LinkType) is not { } linkType)
                return new CaptureFileResult(path, 0, 0, $"unsupported link type {(int)device.LinkType} ({device.LinkType})");

            if (_bpf is not null)
            {
                try
                {
                    device.Filter = _bpf;
                }
                catch (Exception e)
                {
                    throw new CaptureException($"invalid BPF filter '{_bpf}': {e.Message}", e);
                }
            }

            long frames = 0, bytes = 0;
            string? error = null;
            while (!cancel.IsCancellationRequested)
            {
                GetPacketStatus status;
                PacketCapture capture;
                try
                {
                    status = device.GetNextPacket(out capture);
                }
                catch (Exception e)
                {
                    error = "read error: " + e.Message;
                    break;
                }

                if (status == GetPacketStatus.PacketRead)
                {
                    var frame = ToFrame(capture, linkType);
                    frames++;
                    bytes += frame.Data.Length;
                    Volatile.Write(ref _position, _position + frame.Data.Length + 16);
                    handler.OnFrame(frame);
                }
                else if (status == GetPacketStatus.NoRemainingPackets)
                {
                    break;
                }
                else if (status == GetPacketStatus.Error)
                {
                    // libpcap stops at a truncated or corrupt record ("truncated dump file",
                    // "block is larger than maximum block size", ...): keep what was read.
                    error = string.IsNullOrEmpty(device.LastError) ? "corrupt or truncated capture record" : device.LastError;
                    break;
                }
                // ReadTimeout does not happen for files; loop again.
            }
            return new CaptureFileResult(path, frames, bytes, error);
        }
    }

    /// <summary>A libpcap record as a frame: microsecond time, and the length on the wire (larger when the snaplen cut it).</summary>
    internal static CaptureFrame ToFrame(PacketCapture capture, LinkType linkType)
    {
        var header = capture.Header;
        var data = capture.Data;
        var timestamp = (long)header.Timeval.Seconds * 1_000_000 + (long)header.Timeval.MicroSeconds;
        var wireLength = header is PcapHeader pcapHeader ? (int)Math.Min(pcapHeader.PacketLength, int.MaxValue) : data.Length;
        return new CaptureFrame(timestamp, linkType, data, Math.Max(wireLength, data.Length));
    }

    /// <summary>
    /// libpcap reports DLT_* values, which differ from the LINKTYPE_* values in files for raw IP:
    /// LINKTYPE_RAW (101) is read back as DLT_RAW, 12 on most systems and 14 on OpenBSD.
    /// </summary>
    internal static LinkType? FromDataLinkType(int dlt) => dlt switch
    {
        12 or 14 => LinkType.Raw,
        _ when Enum.IsDefined((LinkType)dlt) => (LinkType)dlt,
        _ => null,
    };

    /// <summary>Timestamp (µs) of the first readable frame, or null: used to order several files.</summary>
    public static long? FirstTimestamp(string path)
    {
        try
        {
            return LibpcapGuard.Run<long?>(() =>
            {
                using var d = new CaptureFileReaderDevice(path);
                d.Open();
                if (d.GetNextPacket(out var c) != GetPacketStatus.PacketRead)
                    return null;
                return (long)c.Header.Timeval.Seconds * 1_000_000 + (long)c.Header.Timeval.MicroSeconds;
            });
        }
        catch (CaptureException)
        {
            throw;
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>Classic pcap (either byte order, micro- or nanosecond time) read straight from the file.</summary>
    private sealed class ClassicPcap : IDisposable
    {
        /// <summary>libpcap's own bound on a record (MAXIMUM_SNAPLEN): larger is corruption, not a packet.</summary>
        private const int MaxRecordLength = 262_144;

        private readonly string _path;
        private readonly CaptureFileBuffer _in;
        private readonly bool _bigEndian;
        private readonly bool _nanoseconds;
        private readonly int _linkType;

        private ClassicPcap(string path, FileStream file, bool bigEndian, bool nanoseconds, int linkType)
        {
            _path = path;
            _in = new CaptureFileBuffer(file, PcapFormat.FileHeaderLength);
            _bigEndian = bigEndian;
            _nanoseconds = nanoseconds;
            _linkType = linkType;
        }

        /// <summary>The file opened past its header when it is classic pcap; null otherwise (libpcap decides).</summary>
        public static ClassicPcap? TryOpen(string path)
        {
            FileStream? file = null;
            try
            {
                file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
                Span<byte> header = stackalloc byte[PcapFormat.FileHeaderLength];
                if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
                {
                    file.Dispose();
                    return null;
                }
                var magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
                (bool BigEndian, bool Nanoseconds)? format = magic switch
                {
                    0xA1B2C3D4 => (false, false),
                    0xA1B23C4D => (false, true),
                    0xD4C3B2A1 => (true, false),
                    0x4D3CB2A1 => (true, true),
                    _ => null,
                };
                if (format is not { } f)
                {
                    file.Dispose();
                    return null;
                }
                var linkType = (int)((f.BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(header[20..]) : BinaryPrimitives.ReadUInt32LittleEndian(header[20..])) & 0xFFFF);
                return new ClassicPcap(path, file, f.BigEndian, f.Nanoseconds, linkType);
            }
            catch (IOException)
            {
                file?.Dispose();
                return null;
            }
            catch (UnauthorizedAccessException)
            {
                file?.Dispose();
                return null;
            }
        }

        public void Dispose() => _in.Dispose();

        public CaptureFileResult Read(IFrameHandler handler, CancellationToken cancel, ref long position)
        {
            if (FromDataLinkType(_linkType) is not { } linkType)
                return new CaptureFileResult(_path, 0, 0, $"unsupported link type {_linkType}");

            long frames = 0, bytes = 0;
            try
            {
                string? error = null;
                while (!cancel.IsCancellationRequested)
                {
                    if (!_in.Ensure(PcapFormat.RecordHeaderLength))
                    {
                        if (!_in.Available.IsEmpty) error = $"truncated dump file; record header of {_in.Available.Length} bytes at offset {_in.Consumed}";
                        break;
                    }
                    var header = _in.Available[..PcapFormat.RecordHeaderLength];
                    var seconds = ReadUInt32(header);
                    var fraction = ReadUInt32(header[4..]);
                    var captured = ReadUInt32(header[8..]);
                    var original = ReadUInt32(header[12..]);
                    if (captured > MaxRecordLength)
                    {
                        error = $"invalid packet capture length {captured}, bigger than the maximum of {MaxRecordLength}, at offset {_in.Consumed}";
                        break;
                    }
                    var recordLength = PcapFormat.RecordHeaderLength + (int)captured;
                    if (!_in.Ensure(recordLength))
                    {
                        error = $"truncated dump file; record of {captured} bytes at offset {_in.Consumed} has only {_in.Available.Length - PcapFormat.RecordHeaderLength}";
                        break;
                    }
                    var timestamp = (long)seconds * 1_000_000 + (_nanoseconds ? fraction / 1000 : fraction);
                    var data = _in.Available.Slice(PcapFormat.RecordHeaderLength, (int)captured);
                    var wireLength = (int)Math.Min(original, int.MaxValue);
                    frames++;
                    bytes += captured;
                    // The frame's bytes stay valid until the next Ensure: consumed before the handler runs, read by it now.
                    _in.Consume(recordLength);
                    Volatile.Write(ref position, _in.Consumed);
                    handler.OnFrame(new CaptureFrame(timestamp, linkType, data, Math.Max(wireLength, data.Length)));
                }
                return new CaptureFileResult(_path, frames, bytes, error);
            }
            catch (IOException e)
            {
                return new CaptureFileResult(_path, frames, bytes, "read error: " + e.Message);
            }
        }

        private uint ReadUInt32(ReadOnlySpan<byte> bytes) =>
            _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);
    }
}
