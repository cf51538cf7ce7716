using TrafficSensor.Capture;
using TrafficSensor.Decoding;
using TrafficSensor.Flows;
using TrafficSensor.Reassembly;
using TrafficSensor.Tls;

namespace TrafficSensor.Tests.Tls;

/// <summary>
/// Reads a capture with the sensor's own decoder and TCP reassembly and gives every TCP connection's
/// bytes to a <see cref="TlsConnectionParser"/>, numbered in order of first packet as tshark's tcp.stream.
/// </summary>
internal sealed class TlsCaptureHarness : IFrameHandler
{
    private readonly PacketDecoder _decoder = new(new DecodingOptions());
    private readonly Dictionary<FlowKey, Connection> _connections = new();

    public TlsCounters Counters { get; } = new();
    public List<TlsConnectionParser> Streams { get; } = new();

    public static TlsCaptureHarness Read(string pcap)
    {
        var harness = new TlsCaptureHarness();
        var result = new PcapFileReader(null).Read(pcap, harness, CancellationToken.None);
        Assert.Null(result.Error);
        foreach (var c in harness._connections.Values)
        {
            c.Tcp.Flush(long.MaxValue / 2);
            c.Parser.FromLow.OnEnd(0);
            c.Parser.FromHigh.OnEnd(0);
        }
        return harness;
    }

    public void OnFrame(in CaptureFrame frame)
    {
        var p = new DecodedPacket();
        if (_decoder.Decode(frame, ref p) != DecodeOutcome.Tcp) return;
        var key = FlowKey.From(p.Source, p.SourcePort, p.Destination, p.DestinationPort, p.Protocol, p.Vlan, p.InnerVlan, out var fromLow);
        if (!_connections.TryGetValue(key, out var c))
        {
            var parser = new TlsConnectionParser(Counters, new MemoryBudget(64 << 20), new TlsMetadataOptions(), clientIsLow: null);
            c = new Connection(parser, new TcpConnection(parser.FromLow, parser.FromHigh, new ReassemblyOptions(), new MemoryBudget(64 << 20), new ReassemblyCounters()));
            _connections[key] = c;
            Streams.Add(parser);
        }
        var segment = new TcpSegmentInfo(p.Sequence, p.Acknowledgment, p.Flags, p.Window, p.WindowScale, p.Ttl, p.UrgentPointer, p.Checksum, p.PayloadWireLength);
        c.Tcp.OnSegment(fromLow, segment, p.Payload, p.TimestampMicros);
    }

    private sealed record Connection(TlsConnectionParser Parser, TcpConnection Tcp);
}
