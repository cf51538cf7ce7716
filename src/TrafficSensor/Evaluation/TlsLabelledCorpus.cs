using System.Collections.Concurrent;
using TrafficSensor.Capture;
using TrafficSensor.Features;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;
using TrafficSensor.Protocols;
using TrafficSensor.Tls;

namespace TrafficSensor.Evaluation;

/// <summary>One TLS connection's metadata features with its label (the label of the first request the lab sent on it; null when none) and its capture.</summary>
public sealed record LabelledTlsConnection(TlsConnectionFacts Facts, TlsFeatureVector Features, Label? Label, string Capture = "")
{
    /// <summary>The lab session the connection belongs to; session names repeat from one capture to the next, so the capture is part of it.</summary>
    public string? Session => Label is null ? null : $"{Path.GetFileName(Capture)} {Label.Session}";
}

/// <summary>
/// Labelled HTTPS captures turned into TLS metadata features the way the sensor computes them: each capture is
/// replayed through the sensor's own pipeline (<see cref="SensorPipeline"/>, as <c>replay</c> runs it: decoding,
/// flows, reassembly, the protocol chosen by content, <see cref="TlsSession"/>), which hands every TLS
/// connection's end to the metadata model's judge; here the same connections are taken at that point (see
/// <see cref="ConnectionEnds"/>), so evaluation and training see exactly what the sensor judges. They are
/// judged in order of their last record with one <see cref="TlsBehaviourState"/> per capture (a sensor
/// that first sees the network), learning the fingerprints of the benign ones as a sensor learns from what
/// did not alert. No keys are read.
/// </summary>
public static class TlsLabelledCorpus
{
    /// <summary>Every TLS connection of a capture (those whose client is known and that sent a record), in order of their end.</summary>
    public static List<TlsConnectionFacts> ReadConnections(string capture)
    {
        var ends = new ConnectionEnds();
        // Keys are never read; record shapes are kept to each connection's end, as when the sensor runs the TLS model.
        var options = new SensorOptions { TlsMetadata = new TlsMetadataOptions { KeepRecordShapes = true } };
        var stats = new SensorPipeline(options, NoOutput.Instance) { ProtocolsFactory = ends.Registry }.Replay([capture]);
        if (stats.Files.FirstOrDefault(f => f.Error is not null) is { } failed) throw new IOException($"{capture}: {failed.Error}");
        // Workers hand their ends over in their own order: sorted here by end, start, then when the flow began.
        return ends.Connections.OrderBy(c => c.Facts.EndMicros).ThenBy(c => c.Facts.StartMicros).ThenBy(c => c.FlowStartMicros)
            .ThenBy(c => c.Facts.ClientPort).Select(c => c.Facts).ToList();
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

    private sealed class NoOutput : ITransactionOutput
    {
        public static readonly NoOutput Instance = new();
        public void Write(TransactionRecord record) { }
        public void Flush() { }
    }

    /// <summary>
    /// The default protocols, TLS's sessions writing through a tap that takes each connection's end as the
    /// pipeline hands it to the TLS judge (<see cref="TlsConnectionFacts.From"/> on the flow worker's thread,
    /// the parser being final once its end is emitted), then passes every record on unchanged.
    /// </summary>
    private sealed class ConnectionEnds
    {
        public readonly ConcurrentQueue<(TlsConnectionFacts Facts, long FlowStartMicros)> Connections = new();

        public ProtocolRegistry Registry()
        {
            var registry = new ProtocolRegistry();
            foreach (var protocol in ProtocolRegistry.CreateDefault().Protocols)
                registry.Add(protocol is TlsProtocol tls ? new Tapped(tls, this) : protocol);
            return registry;
        }

        private sealed class Tapped(TlsProtocol tls, ConnectionEnds ends) : IAppProtocol
        {
            public string Name => tls.Name;
            public ProbeResult Probe(ReadOnlySpan<byte> firstBytes, bool? fromLow, in Flows.FlowKey key) => tls.Probe(firstBytes, fromLow, key);
            public bool IsUsualPort(ushort port) => tls.IsUsualPort(port);
            public IProtocolCounters? CreateCounters() => tls.CreateCounters();
            public IAppSession CreateSession(AppSessionContext context) => tls.CreateSession(context.For(this, new Tap(context.Records, ends)));
        }

        private sealed class Tap(IAppRecordSink next, ConnectionEnds ends) : IAppRecordSink
        {
            public void Emit(AppRecord record)
            {
                if (record is TlsConnectionEnd end && TlsConnectionFacts.From(end.Key, end.Parser) is { } facts)
                    ends.Connections.Enqueue((facts, end.Facts.Counters.StartMicros));
                next.Emit(record);
            }
        }
    }
}
