using TrafficSensor.Capture;
using TrafficSensor.Decoding;
using TrafficSensor.Features;
using TrafficSensor.Flows;
using TrafficSensor.Reassembly;
using TrafficSensor.Tls;

namespace TrafficSensor.Evaluation;

/// <summary>One TLS connection's metadata features with its label (the label of the first request the lab sent on it; null when none) and its capture.</summary>
public sealed record LabelledTlsConnection(TlsConnectionFacts Facts, TlsFeatureVector Features, Label? Label, string Capture = "")
{
    /// <summary>The lab session the connection belongs to; session names repeat from one capture to the next, so the capture is part of it.</summary>
    public string? Session => Label is null ? null : $"{Path.GetFileName(Capture)} {Label.Session}";
}

/// <summary>
/// Labelled HTTPS captures turned into TLS metadata features the way the sensor computes them: the sensor's
/// decoder and TCP reassembly feed one <see cref="TlsConnectionParser"/> per connection, and the connections
/// are judged in order of their last record with one <see cref="TlsBehaviourState"/> per capture (a sensor
/// that first sees the network), learning the fingerprints of the benign ones as a sensor learns from what
/// did not alert. No keys are read.
/// </summary>
public static class TlsLabelledCorpus
{
    /// <summary>Every TLS connection of a capture (those whose client is known and that sent a record), in order of their end.</summary>
    public static List<TlsConnectionFacts> ReadConnections(string capture)
    {
        var reader = new ConnectionReader();
        var result = new PcapFileReader(null).Read(capture, reader, CancellationToken.None);
        if (result.Error is { } error) throw new IOException($"{capture}: {error}");
        return reader.Finish();
    }

    /// <summary>Features of every connection of <paramref name="capture"/>, labelled from <paramref name="labelsPath"/> when given.</summary>
    public static List<LabelledTlsConnection> Featurise(string capture, string? labelsPath)
    {
        var labels = labelsPath is null ? null : ConnectionLabels(LabelSet.Load([labelsPath]).Remaining);
        var state = new TlsBehaviourState();
        var all = new List<LabelledTlsConnection>();
        foreach (var c in ReadConnections(capture))
        {
            Label? label = null;
            labels?.TryGetValue((c.Client.ToString(), c.ClientPort, c.Server.ToString(), c.ServerPort), out label);
            var features = state.Observe(c);
            if (label is { IsBenign: true }) state.LearnFingerprint(c);
            all.Add(new LabelledTlsConnection(c, features, label, capture));
        }
        return all;
    }

    /// <summary>Every NAME.pcap under <paramref name="roots"/> with NAME.labels.jsonl beside it, each featurised on its own.</summary>
    public static List<LabelledTlsConnection> Load(IEnumerable<string> roots, out List<string> skipped)
    {
        skipped = [];
        var all = new List<LabelledTlsConnection>();
        foreach (var capture in CaptureFileSet.Resolve(roots))
        {
            if (LabelledCorpus.LabelsFor(capture) is not { } labels)
            {
                skipped.Add(capture);
                continue;
            }
            all.AddRange(Featurise(capture, labels));
        }
        return all;
    }

    /// <summary>A connection's label: its first web-shell request's if it carried any, else its first request's.</summary>
    private static Dictionary<(string, int, string, int), Label> ConnectionLabels(IEnumerable<Label> labels)
    {
        var map = new Dictionary<(string, int, string, int), Label>();
        foreach (var l in labels)
        {
            var key = (l.SrcIp, l.SrcPort, l.DestIp, l.DestPort);
            if (!map.TryGetValue(key, out var existing) || (existing.IsBenign && !l.IsBenign)) map[key] = l;
        }
        return map;
    }

    /// <summary>Connections followed per capture; later ones are not read (a capture is judged on its first connections).</summary>
    public const int MaxConnections = 200_000;

    /// <summary>The sensor's decoder and TCP reassembly in front of one TLS parser per connection (bounded: <see cref="MaxConnections"/>, 256 MB of buffers).</summary>
    private sealed class ConnectionReader : IFrameHandler
    {
        private readonly PacketDecoder _decoder = new(new DecodingOptions());
        private readonly Dictionary<FlowKey, (TlsConnectionParser Parser, TcpConnection Tcp, bool? ClientIsLow)> _connections = new();
        private readonly List<FlowKey> _order = new();
        private readonly TlsCounters _counters = new();
        private readonly MemoryBudget _memory = new(256L << 20);
        private readonly ReassemblyCounters _reassembly = new();

        public void OnFrame(in CaptureFrame frame)
        {
            var p = new DecodedPacket();
            if (_decoder.Decode(frame, ref p) != DecodeOutcome.Tcp) return;
            var key = FlowKey.From(p.Source, p.SourcePort, p.Destination, p.DestinationPort, p.Protocol, p.Vlan, p.InnerVlan, out var fromLow);
            if (!_connections.TryGetValue(key, out var c))
            {
                if (_connections.Count >= MaxConnections) return;
                var parser = new TlsConnectionParser(_counters, _memory, new TlsMetadataOptions { KeepRecordShapes = true }, clientIsLow: null);
                // The sender of a SYN without ACK is the client, whatever the hellos say later.
                bool? clientIsLow = (p.Flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn ? fromLow : null;
                c = (parser, new TcpConnection(parser.FromLow, parser.FromHigh, new ReassemblyOptions(), _memory, _reassembly), clientIsLow);
                _connections[key] = c;
                _order.Add(key);
            }
            var segment = new TcpSegmentInfo(p.Sequence, p.Acknowledgment, p.Flags, p.Window, p.WindowScale, p.Ttl, p.UrgentPointer, p.Checksum, p.PayloadWireLength);
            c.Tcp.OnSegment(fromLow, segment, p.Payload, p.TimestampMicros);
        }

        public List<TlsConnectionFacts> Finish()
        {
            var facts = new List<TlsConnectionFacts>();
            foreach (var key in _order)
            {
                var (parser, tcp, clientIsLow) = _connections[key];
                tcp.Flush(long.MaxValue / 2);
                parser.FromLow.OnEnd(0);
                parser.FromHigh.OnEnd(0);
                if (TlsConnectionFacts.From(key, parser, clientIsLow) is { } f) facts.Add(f);
            }
            return facts.OrderBy(f => f.EndMicros).ThenBy(f => f.StartMicros).ToList();
        }
    }
}
