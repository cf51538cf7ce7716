using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using TrafficSensor;
using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;

/// <summary>
/// Per-transaction cost of detection on real lab traffic (every sample in pcaps/lab/samples): feature
/// extraction with the behaviour state, then scoring with the bundled model and the site-adaptive
/// centres, as the analysis thread does for every transaction.
/// </summary>
[MemoryDiagnoser]
public class DetectionBenchmarks
{
    private sealed class Collector : ITransactionOutput
    {
        public readonly ConcurrentQueue<TransactionRecord> Records = new();
        public void Write(TransactionRecord record) => Records.Enqueue(record);
        public void Flush() { }
        // The benchmark measures features again from the kept records, so it needs their whole bodies.
        public bool ReadsResponseBodies => true;
    }

    private TransactionRecord[] _records = [];
    private FeatureVector[] _features = [];
    private AnomalyModel _model = null!;

    [GlobalSetup]
    public void Setup()
    {
        var root = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(root, "pcaps", "lab", "samples"))) root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("pcaps/lab/samples");
        var collector = new Collector();
        new SensorPipeline(new SensorOptions(), collector).Replay(CaptureFileSet.Resolve([Path.Combine(root, "pcaps", "lab", "samples")]));
        _records = collector.Records.Where(r => r.Transaction.Request is not null).ToArray();
        _model = AnomalyModel.Load(Path.Combine(root, "models", "default.zip"));
        var extractor = new FeatureExtractor(new BehaviourState());
        _features = _records.Select(r => extractor.Extract(r.Transaction, r.ClientAddress, r.ServerAddress, r.ServerPort)).ToArray();
    }

    /// <summary>Features of every sample transaction with a fresh behaviour state (per-transaction time = mean / count).</summary>
    [Benchmark]
    public int ExtractFeatures()
    {
        var extractor = new FeatureExtractor(new BehaviourState());
        var n = 0;
        foreach (var r in _records) n += extractor.Extract(r.Transaction, r.ClientAddress, r.ServerAddress, r.ServerPort).Values.Length;
        return n;
    }

    /// <summary>Scores of every sample transaction with the site-adaptive scorer.</summary>
    [Benchmark]
    public int Score()
    {
        var scorer = new SiteAdaptiveScorer(_model.CreateScorer(), new ServerBaselines());
        var alerts = 0;
        for (var i = 0; i < _records.Length; i++)
            if (scorer.Judge(_features[i], _records[i].ServerAddress, _records[i].ServerPort, FeatureExtractor.RequestPath(_records[i].Transaction)).Alert) alerts++;
        return alerts;
    }

    public int Transactions => _records.Length;
}
