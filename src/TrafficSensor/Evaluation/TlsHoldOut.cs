using TrafficSensor.Detection;
using TrafficSensor.Features;

namespace TrafficSensor.Evaluation;

/// <summary>One held-out web-shell family: its connections and sessions caught, and false alerts on the held-out benign connections.</summary>
public sealed record TlsHoldOutResult(string Family, int Connections, int Caught, int Sessions, int SessionsCaught,
    int Benign, int FalsePositives, int CaughtByAnomaly, int CaughtByClassifier, int FalsePositivesByAnomaly = 0, int FalsePositivesByClassifier = 0)
{
    public double Recall => Connections == 0 ? double.NaN : (double)Caught / Connections;
    public double SessionRecall => Sessions == 0 ? double.NaN : (double)SessionsCaught / Sessions;
    public double FalsePositiveRate => Benign == 0 ? double.NaN : (double)FalsePositives / Benign;
}

/// <summary>
/// Leave-one-family-out for the TLS metadata model: for each web-shell family, both detectors are trained
/// without it (benign connections of the training clients, the other families' connections) and tested on
/// its connections and on benign connections kept out of every training run (a fixed share, chosen by a hash
/// of the client's address, port and the connection's start: never trained on). Connections, not clients: the
/// lab's benign traffic comes from a few dozen clients, two of which open most connections, so holding out
/// clients would leave a handful of test connections or most of the training data.
/// </summary>
public static class TlsHoldOut
{
    /// <summary>One benign connection in this many is held out for testing.</summary>
    public const int BenignTestShare = 4;

    public static bool IsHeldOutBenign(TlsConnectionFacts c) =>
        StableHash($"{c.Client}:{c.ClientPort}:{c.StartMicros}") % BenignTestShare == 0;

    private static int StableHash(string s)
    {
        var h = 17;
        foreach (var ch in s) h = unchecked(h * 31 + ch);
        return h & int.MaxValue;
    }

    public static List<TlsHoldOutResult> LeaveOneFamilyOut(IReadOnlyList<LabelledTlsConnection> data, double targetFalsePositiveRate, int seed = 1)
    {
        var labelled = data.Where(d => d.Label is not null).ToList();
        var benign = labelled.Where(d => d.Label!.IsBenign).ToList();
        var benignTrain = benign.Where(d => !IsHeldOutBenign(d.Facts)).Select(d => d.Features).ToList();
        var benignTest = benign.Where(d => IsHeldOutBenign(d.Facts)).ToList();
        var attacks = labelled.Where(d => !d.Label!.IsBenign).ToList();
        var results = new List<TlsHoldOutResult>();
        foreach (var family in attacks.Select(a => a.Label!.Family).Distinct().Order(StringComparer.Ordinal))
        {
            var training = attacks.Where(a => a.Label!.Family != family).Select(a => (a.Features, a.Label!.Family)).ToList();
            var model = TlsMetadataModel.Train(benignTrain, $"tls-holdout-{family}", targetFalsePositiveRate, seed, training);
            var scorer = model.CreateScorer();
            var test = attacks.Where(a => a.Label!.Family == family).Select(a => (a.Session, Verdict: scorer.Score(a.Features))).ToList();
            var benignVerdicts = benignTest.Select(b => scorer.Score(b.Features)).ToList();
            var falsePositives = benignVerdicts.Count(v => v.Alert);
            var sessions = test.GroupBy(t => t.Session).ToList();
            results.Add(new TlsHoldOutResult(family, test.Count, test.Count(t => t.Verdict.Alert), sessions.Count, sessions.Count(g => g.Any(t => t.Verdict.Alert)),
                benignTest.Count, falsePositives,
                test.Count(t => t.Verdict.Score >= t.Verdict.Threshold),
                test.Count(t => t.Verdict.Probability >= t.Verdict.ClassifierThreshold),
                benignVerdicts.Count(v => v.Score >= v.Threshold), benignVerdicts.Count(v => v.Probability >= v.ClassifierThreshold)));
        }
        return results;
    }

    /// <summary>Trains the model on every labelled connection: benign ones for the anomaly detector, the rest (by family) for the classifier.</summary>
    public static TlsMetadataModel Train(IReadOnlyList<LabelledTlsConnection> data, string name, double targetFalsePositiveRate, int seed = 1)
    {
        var labelled = data.Where(d => d.Label is not null).ToList();
        return TlsMetadataModel.Train(labelled.Where(d => d.Label!.IsBenign).Select(d => d.Features).ToList(), name, targetFalsePositiveRate, seed,
            labelled.Where(d => !d.Label!.IsBenign).Select(d => (d.Features, d.Label!.Family)).ToList());
    }
}
