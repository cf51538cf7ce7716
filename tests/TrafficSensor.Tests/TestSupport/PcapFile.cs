using System.Buffers.Binary;
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
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)Snaplen);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)LinkType);
        ms.Write(header);
        Span<byte> record = stackalloc byte[16];
        foreach (var (micros, frame, original) in _frames)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(micros / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(micros % 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)original);
            ms.Write(record);
            ms.Write(frame);
        }
        return ms.ToArray();
    }

    public string WriteTo(string path)
    {
        File.WriteAllBytes(path, ToBytes());
        return path;
    }
}
