using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Output;

namespace TrafficSensor.Pipeline;

/// <summary>
/// Features and verdict for each transaction, in capture order; owned by the analysis thread (<see cref="AnalysisWorker"/>),
/// as are its scorer, behaviour state and baselines.
/// </summary>
internal sealed class TransactionAnalyzer(FeatureExtractor extractor, ModelSlot? models, ServerBaselines? baselines = null,
    ScanOptions? scan = null)
{
    private AnomalyModel? _scorerModel;
    private SiteAdaptiveScorer? _scorer;

    /// <param name="content">
    /// The features of the transaction's own bytes, when a flow worker measured them already (in the pipeline it always
    /// has: by now its bodies may be cut to the alert excerpt, see <see cref="Http.HttpOptions.RetainedBodyBytes"/>).
    /// </param>
    public TransactionRecord Analyze(TransactionRecord record, FeatureExtractor.TransactionContent? content = null)
    {
        content ??= FeatureExtractor.Measure(record.Transaction);
        var features = extractor.Extract(content, record.Transaction, record.ClientAddress, record.ServerAddress, record.ServerPort);
        // A model reloaded since the last transaction gets its own scorer before this one is scored;
        // the servers' learned baselines carry over (they describe the network, not the model).
        var model = models?.Current;
        if (!ReferenceEquals(model, _scorerModel))
        {
            _scorer = model is null ? null : new SiteAdaptiveScorer(model.CreateScorer(), baselines ?? new ServerBaselines(), scan);
            _scorerModel = model;
        }
        var verdict = _scorer?.Judge(features, record.ServerAddress, record.ServerPort, FeatureExtractor.RequestPath(record.Transaction));
        return record with { Features = features, Verdict = verdict };
    }
}
