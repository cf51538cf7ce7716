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
