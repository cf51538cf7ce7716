using System.Collections.Concurrent;
using TrafficSensor.Capture;
using TrafficSensor.Decoding;
using TrafficSensor.Features;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;

namespace TrafficSensor.Evaluation;

/// <summary>One request's features with its label (null when the capture's labels do not name it) and its server.</summary>
public sealed record LabelledTransaction(FeatureVector Features, Label? Label, long TimestampMicros, IpAddress Server, ushort ServerPort, string Path);

/// <summary>
/// Labelled captures turned into features, the way the sensor computes them live: each capture is
/// replayed on its own (its servers' behaviour state starts empty, as a sensor's does when it first
/// sees a network) and each request is matched to its label.
/// </summary>
public static class LabelledCorpus
{
    private sealed class Collector : ITransactionOutput
    {
        public readonly ConcurrentQueue<TransactionRecord> Records = new();
        public void Write(TransactionRecord record) => Records.Enqueue(record);
        public void Flush() { }
    }

    /// <summary>Replays <paramref name="captures"/> together (one behaviour state) and labels their requests.</summary>
    public static List<LabelledTransaction> Featurise(IEnumerable<string> captures, LabelSet? labels, SensorOptions? options = null)
    {
        var collector = new Collector();
        new SensorPipeline(options ?? new SensorOptions(), collector, collectFeatures: true).Replay(CaptureFileSet.Resolve(captures));
        return collector.Records.OrderBy(r => r.Transaction.TimestampMicros)
            .Where(r => r.Features is not null && r.Transaction.Request is not null)
            .Select(r => new LabelledTransaction(r.Features!, labels?.Take(r), r.Transaction.TimestampMicros, r.ServerAddress, r.ServerPort, FeatureExtractor.RequestPath(r.Transaction)))
            .ToList();
    }

    /// <summary>
    /// Every NAME.pcap (or .pcapng) under <paramref name="roots"/> that has NAME.labels.jsonl beside it,
    /// each replayed on its own. Captures without labels are skipped (and listed in <paramref name="skipped"/>).
    /// </summary>
    /// <exception cref="FormatException">A labels file is malformed.</exception>
    public static List<LabelledTransaction> Load(IEnumerable<string> roots, out List<string> skipped)
    {
        skipped = [];
        var all = new List<LabelledTransaction>();
        foreach (var capture in CaptureFileSet.Resolve(roots))
        {
            var labelsPath = LabelsFor(capture);
            if (labelsPath is null)
            {
                skipped.Add(capture);
                continue;
            }
            all.AddRange(Featurise([capture], LabelSet.Load([labelsPath])));
        }
        return all;
    }

    /// <summary>NAME.labels.jsonl beside NAME.pcap, if there is one.</summary>
    public static string? LabelsFor(string capture)
    {
        var directory = Path.GetDirectoryName(capture) ?? ".";
        var name = Path.GetFileName(capture);
        var dot = name.IndexOf(".pcap", StringComparison.OrdinalIgnoreCase);
        if (dot <= 0) return null;
        var path = Path.Combine(directory, name[..dot] + ".labels.jsonl");
        return File.Exists(path) ? path : null;
    }
}
