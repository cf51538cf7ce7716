using System.Buffers.Binary;

namespace TrafficSensor.Capture;

/// <summary>Writes classic little-endian, microsecond pcap: the format every tool reads.</summary>
public static class PcapFormat
{
    public const int FileHeaderLength = 24;
    public const int RecordHeaderLength = 16;

    public static void WriteFileHeader(Stream stream, LinkType linkType, int snaplen = 262144)
    {
        Span<byte> header = stackalloc byte[FileHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)snaplen);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)linkType);
        stream.Write(header);
    }

    /// <summary>Writes one record; returns the bytes written.</summary>
    public static int WriteRecord(Stream stream, in CaptureFrame frame)
    {
        Span<byte> record = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(frame.TimestampMicros / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(frame.TimestampMicros % 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.OriginalLength);
        stream.Write(record);
        stream.Write(frame.Data);
        return RecordHeaderLength + frame.Data.Length;
    }
}
