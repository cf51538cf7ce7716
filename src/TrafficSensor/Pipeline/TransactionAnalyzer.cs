using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Output;

namespace TrafficSensor.Pipeline;

/// <summary>Features and verdict for each transaction, in capture order; owned by the analysis thread (<see cref="AnalysisWorker"/>), as are its scorer, behaviour state and baselines.</summary>
internal sealed class TransactionAnalyzer(FeatureExtractor extractor, AnomalyModel.Scorer? scorer, ServerBaselines? baselines = null)
{
    /// <summary>A server's own means explain an alert once they rest on this many transactions.</summary>
    public const int MinServerTransactions = 30;

    public TransactionRecord Analyze(TransactionRecord record)
    {
        var features = extractor.Extract(record.Transaction, record.ClientAddress, record.ServerAddress, record.ServerPort);
        var verdict = scorer?.Score(features);
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
