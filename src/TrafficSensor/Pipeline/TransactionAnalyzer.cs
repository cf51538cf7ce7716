using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Output;

namespace TrafficSensor.Pipeline;

/// <summary>Features and verdict for each transaction of one worker (the scorer is the worker's own).</summary>
internal sealed class TransactionAnalyzer(FeatureExtractor extractor, SiteAdaptiveScorer? scorer)
{
    public TransactionRecord Analyze(TransactionRecord record)
    {
        var features = extractor.Extract(record.Transaction, record.ClientAddress, record.ServerAddress, record.ServerPort);
        var verdict = scorer?.Judge(features, record.ServerAddress, record.ServerPort, FeatureExtractor.RequestPath(record.Transaction));
        return record with { Features = features, Verdict = verdict };
    }
}
