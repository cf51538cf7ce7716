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
/// Reads a pcap or pcapng file through libpcap. A damaged file is read up to the damage: the frames
/// before a truncated or corrupt record are delivered and the error is reported, never thrown.
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
}
