using TrafficSensor.Decoding;
using TrafficSensor.Features;

namespace TrafficSensor.Detection;

/// <summary>
/// Scores transactions the way a sensor that has been watching a site for a while should: each
/// server's own normal is learned online from its transactions that did not alert, and as it warms
/// up it takes over from the training data as the centre that descriptive features are measured
/// from. One site's nonce-laden admin POSTs or long signed URLs then become that site's normal, while
/// evidence features (code, commands, command output) are judged the same everywhere. Alerts explain
/// themselves against the server's means once they rest on enough transactions.
/// Not thread-safe: one per owner thread (its <see cref="ServerBaselines"/> may be shared).
/// </summary>
public sealed class SiteAdaptiveScorer(AnomalyModel.Scorer scorer, ServerBaselines baselines)
{
    /// <summary>A server's own means explain an alert once they rest on this many transactions.</summary>
    public const int MinServerTransactions = 30;

    /// <summary>Transactions after which a server's own centre weighs as much as the training data's.</summary>
    public const double WarmUpTransactions = 100;

    private readonly float[] _centre = new float[FeatureSchema.Count];

    public Verdict Judge(FeatureVector features, IpAddress server, ushort port)
    {
        var known = baselines.Centre(server, port, _centre);
        var verdict = scorer.Score(features, known > 0 ? _centre : default, (float)(known / (known + WarmUpTransactions)));
        if (!verdict.Alert) baselines.Learn(server, port, features);
        else if (verdict.Reasons.Count > 0) verdict = verdict with { Reasons = WithServerNormals(verdict.Reasons, server, port) };
        return verdict;
    }

    /// <summary>
    /// The site centre each transaction's server had learned when the transaction was seen, replaying them in
    /// order as a sensor would (learning from those that <paramref name="learn"/> says did not alert: the benign
    /// ones, in training). Training on these contexts fits the model to what <see cref="Judge"/> gives it.
    /// </summary>
    public static List<AnomalyModel.TrainingExample> Contexts(IEnumerable<(FeatureVector Features, IpAddress Server, ushort Port, bool Learn)> ordered)
    {
        var baselines = new ServerBaselines(int.MaxValue);
        var examples = new List<AnomalyModel.TrainingExample>();
        foreach (var (features, server, port, learn) in ordered)
        {
            var centre = new float[FeatureSchema.Count];
            var known = baselines.Centre(server, port, centre);
            examples.Add(new AnomalyModel.TrainingExample(features, known > 0 ? centre : null, (float)(known / (known + WarmUpTransactions))));
            if (learn) baselines.Learn(server, port, features);
        }
        return examples;
    }

    private List<Reason> WithServerNormals(IReadOnlyList<Reason> reasons, IpAddress server, ushort port) =>
        reasons.Select(r =>
        {
            var (mean, count) = baselines.Normal(server, port, FeatureSchema.IndexOf(r.Feature));
            return count >= MinServerTransactions ? r with { ServerNormal = (float)mean, ServerTransactions = count } : r;
        }).ToList();
}
