using TrafficSensor.Capture;

namespace TrafficSensor.Tests.TestSupport;

/// <summary>Writes classic pcap files (microsecond timestamps) for tests.</summary>
public sealed class PcapFile
{
    private readonly List<(long Micros, byte[] Frame, int OriginalLength)> _frames = new();

    public PcapFile(LinkType linkType, int snaplen = 262144)
    {
        LinkType = linkType;
        Snaplen = snaplen;
    }

    public LinkType LinkType { get; }
    public int Snaplen { get; }

    public PcapFile Add(long micros, byte[] frame, int? originalLength = null)
    {
        _frames.Add((micros, frame, originalLength ?? frame.Length));
        return this;
    }

    /// <summary>A real capture's frames, to be written again changed (some left out, some repeated).</summary>
    public static List<(long Micros, LinkType Link, byte[] Data)> ReadFrames(string path)
    {
        var frames = new FrameList();
        var error = new PcapFileReader(null).Read(path, frames, CancellationToken.None).Error;
        if (error is not null) throw new IOException($"{path}: {error}");
        return frames.All;
    }

    private sealed class FrameList : IFrameHandler
    {
        public readonly List<(long Micros, LinkType Link, byte[] Data)> All = new();
        public void OnFrame(in CaptureFrame frame) => All.Add((frame.TimestampMicros, frame.LinkType, frame.Data.ToArray()));
    }

    public byte[] ToBytes()
    {
        using var ms = new MemoryStream();
        PcapFormat.WriteFileHeader(ms, LinkType, Snaplen);
        foreach (var (micros, frame, original) in _frames)
            PcapFormat.WriteRecord(ms, new CaptureFrame(micros, LinkType, frame, original));
        return ms.ToArray();
    }

    public string WriteTo(string path)
    {
        File.WriteAllBytes(path, ToBytes());
        return path;
    }
}
