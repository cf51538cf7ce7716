using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Output;

namespace TrafficSensor.Pipeline;

/// <summary>Features and verdict for each transaction of one worker (the scorer is the worker's own, owned by its thread).</summary>
internal sealed class TransactionAnalyzer(FeatureExtractor extractor, ModelSlot? models, ServerBaselines? baselines = null)
{
    private AnomalyModel? _scorerModel;
    private AnomalyModel.Scorer? _scorer;

    /// <summary>A server's own means explain an alert once they rest on this many transactions.</summary>
    public const int MinServerTransactions = 30;

    public TransactionRecord Analyze(TransactionRecord record)
    {
        var features = extractor.Extract(record.Transaction, record.ClientAddress, record.ServerAddress, record.ServerPort);
        // A model reloaded since the last transaction gets its own scorer before this one is scored.
        var model = models?.Current;
        if (!ReferenceEquals(model, _scorerModel))
        {
            _scorer = model?.CreateScorer();
            _scorerModel = model;
        }
        var verdict = _scorer?.Score(features);
        if (verdict is not null && baselines is not null)
        {
            if (!verdict.Alert) baselines.Learn(record.ServerAddress, record.ServerPort, features);
            else if (verdict.Reasons.Count > 0) verdict = verdict with { Reasons = WithServerNormals(verdict.Reasons, record) };
        }
        return record with { Features = features, Verdict = verdict };
    }

    private List<Reason> WithServerNormals(IReadOnlyList<Reason> reasons, TransactionRecord record) =>
        reasons.Select(r =>
        {
            var (mean, count) = baselines!.Normal(record.ServerAddress, record.ServerPort, FeatureSchema.IndexOf(r.Feature));
            return count >= MinServerTransactions ? r with { ServerNormal = (float)mean, ServerTransactions = count } : r;
        }).ToList();
}
