using TrafficSensor.Capture;
using TrafficSensor.Decoding;

namespace TrafficSensor.Tests.TestSupport;

/// <summary>The TCP segments carrying data in a real capture, in capture order, decoded by the sensor's own decoder.</summary>
public static class TcpPayloads
{
    /// <param name="Frame">The frame's number in the capture, from 1 (tshark's frame.number).</param>
    public readonly record struct Segment(int Frame, ushort SourcePort, ushort DestinationPort, byte[] Data);

    public static List<Segment> Read(string path)
    {
        var reader = new Reader();
        var error = new PcapFileReader(null).Read(path, reader, CancellationToken.None).Error;
        if (error is not null) throw new IOException($"{path}: {error}");
        return reader.Segments;
    }

    private sealed class Reader : IFrameHandler
    {
        private readonly PacketDecoder _decoder = new(new DecodingOptions());
        private int _frame;
        public readonly List<Segment> Segments = new();

        public void OnFrame(in CaptureFrame frame)
        {
            _frame++;
            var p = new DecodedPacket();
            if (_decoder.Decode(frame, ref p) == DecodeOutcome.Tcp && !p.Payload.IsEmpty)
                Segments.Add(new Segment(_frame, p.SourcePort, p.DestinationPort, p.Payload.ToArray()));
        }
    }
}
