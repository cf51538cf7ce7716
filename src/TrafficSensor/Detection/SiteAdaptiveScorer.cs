using TrafficSensor.Decoding;
using TrafficSensor.Features;

namespace TrafficSensor.Detection;

/// <summary>
/// Scores transactions the way a sensor that has been watching a site for a while should: each
/// server's own normal is learned online from its transactions that did not alert, and as it warms
/// up it takes over from the training data as the centre that descriptive features are measured
/// from. It learns from what did not alert, and from alerts without direct evidence on paths other
/// clients use too (the application's own endpoints). One site's nonce-laden admin POSTs or long signed URLs then become that site's normal, while
/// evidence features (code, commands, command output) are judged the same everywhere. Alerts explain
/// themselves against the server's means once they rest on enough transactions.
/// A client refused on many distinct paths is a scan, counted apart from the model (<see cref="ScanDetection"/>);
/// a request whose User-Agent names an attack tool is one too (<see cref="ToolAgentDetection"/>).
/// Not thread-safe: one per owner thread (its <see cref="ServerBaselines"/> may be shared).
/// </summary>
public sealed class SiteAdaptiveScorer(AnomalyModel.Scorer scorer, ServerBaselines baselines, ScanOptions? scan = null)
{
    private readonly ScanOptions _scan = scan ?? new ScanOptions();

    /// <summary>A server's own means explain an alert once they rest on this many transactions.</summary>
    public const int MinServerTransactions = 30;

    /// <summary>Transactions after which a server's own centre weighs as much as the training data's.</summary>
    public const double WarmUpTransactions = 100;

    private readonly float[] _centre = new float[FeatureSchema.Count];

    /// <summary>Transactions after which a shared path's own centre weighs as much as its site's.</summary>
    public const double PathWarmUpTransactions = 10;

    private readonly float[] _pathCentre = new float[FeatureSchema.Count];

    /// <param name="path">The request's path (no query): shared endpoints get a centre of their own.</param>
    public Verdict Judge(FeatureVector features, IpAddress server, ushort port, string path)
    {
        var weight = Centre(baselines, server, port, path, _centre, _pathCentre);
        var verdict = scorer.Score(features, weight > 0 ? _centre : default, weight);
        if (!verdict.Alert) baselines.Learn(server, port, features);
        if (IsTheApplications(features)) baselines.LearnPath(server, port, path, features);
        if (verdict.Alert && verdict.Reasons.Count > 0) verdict = verdict with { Reasons = WithServerNormals(verdict.Reasons, server, port) };
        // After learning: the scan and tool rules change what is reported, not what the site's normal is learned from.
        return ToolAgentDetection.Apply(ScanDetection.Apply(verdict, features, _scan), features, _scan);
    }

    /// <summary>Other clients a path needs before its unusual-looking traffic is the application's own.</summary>
    public const int SharedPathClients = 2;

    private static readonly int OtherClients = FeatureSchema.IndexOf("path_other_clients");

    /// <summary>
    /// An alert without direct evidence on a path other clients use too: a site's own shared endpoint (an
    /// admin form with nonces, an API with tokens) that looked unusual against the training sites. The site's
    /// normal is learned from it; a web shell's path has one user and is never learned from.
    /// </summary>
    private static bool IsTheApplications(FeatureVector features) =>
        features.Values[OtherClients] >= MathF.Log(1 + SharedPathClients) && !AlertKinds.HasDirectEvidence(features);

    /// <summary>
    /// The site centre each transaction's server had learned when the transaction was seen, replaying them in
    /// order as a sensor would (learning from those that <paramref name="learn"/> says did not alert: the benign
    /// ones, in training). Training on these contexts fits the model to what <see cref="Judge"/> gives it.
    /// </summary>
    public static List<AnomalyModel.TrainingExample> Contexts(IEnumerable<(FeatureVector Features, IpAddress Server, ushort Port, string Path, bool Learn)> ordered)
    {
        var baselines = new ServerBaselines(int.MaxValue, int.MaxValue);
        var examples = new List<AnomalyModel.TrainingExample>();
        foreach (var (features, server, port, _, learn) in ordered)
        {
            // Site centres only: a shared path's own centre fits its transactions so closely that a model
            // trained on them would call every young path of a new site unusual (measured: leave-one-app-out
            // false positives rose from 0.16 % to 3.3 % on the lab).
            var centre = new float[FeatureSchema.Count];
            var known = baselines.Centre(server, port, centre);
            examples.Add(new AnomalyModel.TrainingExample(features, known > 0 ? centre : null, (float)(known / (known + WarmUpTransactions))));
            if (learn) baselines.Learn(server, port, features);
        }
        return examples;
    }

    /// <summary>
    /// The centre a transaction is measured from, as a weight on the training data's centre and the learned one
    /// written to <paramref name="centre"/>: the site's centre as the site warms up, then the path's own for a
    /// shared endpoint as it does.
    /// </summary>
    private static float Centre(ServerBaselines baselines, IpAddress server, ushort port, string path, float[] centre, float[] pathCentre)
    {
        var known = baselines.Centre(server, port, centre);
        var siteWeight = known / (known + WarmUpTransactions);
        var pathKnown = baselines.PathCentreOf(server, port, path, pathCentre);
        if (pathKnown == 0) return (float)siteWeight;
        // Blend in the path's centre: where the site is unknown, the path's mixes with the training data's.
        var pathWeight = pathKnown / (pathKnown + PathWarmUpTransactions);
        var learned = siteWeight + (1 - siteWeight) * pathWeight;
        for (var i = 0; i < centre.Length; i++)
            centre[i] = (float)((siteWeight * (1 - pathWeight) * (known > 0 ? centre[i] : 0) + pathWeight * pathCentre[i]) / learned);
        return (float)learned;
    }

    private List<Reason> WithServerNormals(IReadOnlyList<Reason> reasons, IpAddress server, ushort port) =>
        reasons.Select(r =>
        {
            var (mean, count) = baselines.Normal(server, port, FeatureSchema.IndexOf(r.Feature));
            return count >= MinServerTransactions ? r with { ServerNormal = (float)mean, ServerTransactions = count } : r;
        }).ToList();
}
