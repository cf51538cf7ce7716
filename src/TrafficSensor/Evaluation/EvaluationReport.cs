using TrafficSensor.Detection;

namespace TrafficSensor.Evaluation;

/// <summary>A labelled request as the model judged it. <see cref="Score"/> is the verdict's strength
/// relative to its thresholds (≥ 1 alerts), so one number ranks transactions for ROC AUC.</summary>
public readonly record struct ScoredTransaction(Label Label, float Score, bool Alert)
{
    public static ScoredTransaction Of(Label label, Verdict verdict) =>
        new(label, Math.Max(verdict.Score / verdict.Threshold, (verdict.Probability ?? 0) / (verdict.ClassifierThreshold ?? 1)), verdict.Alert);
}

/// <summary>Recall of one family, variant or application's web-shell transactions and sessions.</summary>
public sealed record GroupRecall(string Name, int Transactions, int Caught, int Sessions, int SessionsCaught, double RocAuc)
{
    public double Recall => Transactions == 0 ? double.NaN : (double)Caught / Transactions;
}

/// <summary>
/// Precision, recall, false-positive rate per benign transaction and ROC AUC, overall and per family/variant.
/// The overall figures are of web shells: scanners' requests are attacks but not web shells (their alerts are
/// neither true nor false positives of web-shell detection), so they have their own family row and no part in
/// <see cref="Malicious"/>, <see cref="TruePositives"/>, precision, recall or the overall ROC AUC.
/// </summary>
public sealed record EvaluationReport(int Benign, int FalsePositives, int Malicious, int TruePositives, double RocAuc,
    IReadOnlyList<GroupRecall> Families, IReadOnlyList<GroupRecall> Variants)
{
    public double Precision => TruePositives + FalsePositives == 0 ? double.NaN : (double)TruePositives / (TruePositives + FalsePositives);
    public double Recall => Malicious == 0 ? double.NaN : (double)TruePositives / Malicious;
    public double FalsePositiveRate => Benign == 0 ? double.NaN : (double)FalsePositives / Benign;

    public static EvaluationReport Compute(IReadOnlyCollection<ScoredTransaction> rows)
    {
        var benign = rows.Where(r => r.Label.IsBenign).Select(r => r.Score).ToList();
        var attacks = rows.Where(r => !r.Label.IsBenign).ToList();
        var malicious = attacks.Where(r => !r.Label.IsScanner).ToList();
        List<GroupRecall> By(Func<Label, string> key) => attacks.GroupBy(r => key(r.Label)).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new GroupRecall(g.Key, g.Count(), g.Count(r => r.Alert),
                g.Select(r => r.Label.Session).Distinct().Count(),
                g.GroupBy(r => r.Label.Session).Count(s => s.Any(r => r.Alert)),
                RocAucOf(g.Select(r => r.Score).ToList(), benign)))
            .ToList();
        return new EvaluationReport(benign.Count, rows.Count(r => r.Label.IsBenign && r.Alert), malicious.Count, malicious.Count(r => r.Alert),
            RocAucOf(malicious.Select(r => r.Score).ToList(), benign), By(l => l.Family), By(l => l.Variant));
    }

    /// <summary>ROC AUC as the probability that a malicious score exceeds a benign one (ties count half).</summary>
    public static double RocAucOf(IReadOnlyList<float> positives, IReadOnlyList<float> negatives)
    {
        if (positives.Count == 0 || negatives.Count == 0) return double.NaN;
        var all = positives.Select(s => (Score: s, Positive: true)).Concat(negatives.Select(s => (Score: s, Positive: false))).OrderBy(x => x.Score).ToList();
        double rankSum = 0;
        for (var i = 0; i < all.Count;)
        {
            var j = i;
            while (j < all.Count && all[j].Score == all[i].Score) j++;
            var rank = (i + j + 1) / 2.0; // average rank of the tie group, 1-based
            for (var k = i; k < j; k++) if (all[k].Positive) rankSum += rank;
            i = j;
        }
        return (rankSum - positives.Count * (positives.Count + 1) / 2.0) / ((double)positives.Count * negatives.Count);
    }
}
