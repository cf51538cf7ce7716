using TrafficSensor.Detection;
using TrafficSensor.Features;

namespace TrafficSensor.Evaluation;

/// <summary>What a hold-out experiment leaves out of training, one group at a time.</summary>
public enum HoldOutKind
{
    /// <summary>A whole application (its benign traffic and any attacks on it): its false positives are the figure.</summary>
    App,
    /// <summary>A whole web-shell tool variant: its recall is the figure.</summary>
    Variant,
    /// <summary>A whole web-shell family (all its variants).</summary>
    Family,
}

/// <summary>
/// The figures of one held-out group, measured with a model that never saw it. <see cref="Malicious"/>,
/// <see cref="Caught"/> and the sessions are the web shells' (tunnels, stagers and uploads included);
/// scanners' requests are labelled attacks but not web shells, and are counted apart in <see cref="Scanner"/>
/// (counted with the web shells, they made a held-out server's recall read 78 % where its web shells' was 99.8 %).
/// </summary>
public sealed record HoldOutResult(string Group, int Benign, int FalsePositives, int Malicious, int Caught, int Sessions, int SessionsCaught)
{
    /// <summary>Scanners' requests in the group: transactions, those alerted on, scanning clients and those with any alert.</summary>
    public ScannerFigures Scanner { get; init; } = new(0, 0, 0, 0);

    /// <summary>False positives by the detector that raised them (anomaly, classifier, both): where to look first.</summary>
    public IReadOnlyDictionary<string, int> FalsePositivesByDetector { get; init; } = new Dictionary<string, int>();
    /// <summary>The features most often named as reasons of the false positives, with their counts.</summary>
    public IReadOnlyList<(string Feature, int Count)> FalsePositiveReasons { get; init; } = [];

    public double FalsePositiveRate => Benign == 0 ? double.NaN : (double)FalsePositives / Benign;
    public double Recall => Malicious == 0 ? double.NaN : (double)Caught / Malicious;
}

/// <summary>Scanners' requests in a held-out group (see <see cref="HoldOutResult"/>).</summary>
public sealed record ScannerFigures(int Transactions, int Alerted, int Sessions, int SessionsAlerted);

/// <summary>
/// Leave-one-group-out evaluation: for every application (or tool variant, or family) train both
/// detectors without it and test on it. This is the figure that says how the sensor does on a network
/// it was never trained on; a figure on the training applications says nothing about that.
/// </summary>
public static class HoldOut
{
    /// <param name="data">Labelled transactions; unlabelled ones are ignored.</param>
    /// <param name="benignTestShare">For variant and family hold-outs: the share of benign clients (by address)
    /// kept out of training to measure the false-positive rate on.</param>
    public static List<HoldOutResult> Run(IReadOnlyList<LabelledTransaction> data, HoldOutKind kind, double targetFalsePositiveRate, int seed = 1,
        double benignTestShare = 0.25, Action<string>? progress = null)
    {
        var labelled = data.Where(d => d.Label is not null).ToList();
        var groupOf = GroupOf(kind);
        var results = new List<HoldOutResult>();
        foreach (var group in Groups(labelled, kind))
        {
            progress?.Invoke(group);
            List<LabelledTransaction> train, test;
            if (kind == HoldOutKind.App)
            {
                train = labelled.Where(d => d.Label!.App != group).ToList();
                test = labelled.Where(d => d.Label!.App == group).ToList();
            }
            else
            {
                bool HeldOutClient(Label l) => Bucket(l.SrcIp, seed) < benignTestShare;
                train = labelled.Where(d => d.Label!.IsBenign ? !HeldOutClient(d.Label) : groupOf(d.Label) != group).ToList();
                test = labelled.Where(d => d.Label!.IsBenign ? HeldOutClient(d.Label) : groupOf(d.Label) == group).ToList();
            }
            var model = Train(train, $"without-{group}", targetFalsePositiveRate, seed);
            results.Add(Result(group, JudgeInOrder(model, test)));
        }
        return results;
    }

    /// <summary>
    /// Leave-one-group-out with separate training and test captures: for each group of <paramref name="test"/>,
    /// train on <paramref name="training"/> without that group, then test on the group and the test's benign traffic.
    /// </summary>
    public static List<HoldOutResult> RunAgainst(IReadOnlyList<LabelledTransaction> training, IReadOnlyList<LabelledTransaction> test, HoldOutKind kind,
        double targetFalsePositiveRate, int seed = 1)
    {
        var groupOf = GroupOf(kind);
        var labelled = test.Where(d => d.Label is not null).ToList();
        var results = new List<HoldOutResult>();
        foreach (var group in Groups(labelled, kind))
        {
            var model = Train(training.Where(d => d.Label is null || groupOf(d.Label) != group).ToList(), $"without-{group}", targetFalsePositiveRate, seed);
            // Every test transaction is judged (the servers learn from all of them), the figures count the group's.
            var judged = JudgeInOrder(model, labelled).Where(j => j.Scored.Label.IsBenign || groupOf(j.Scored.Label) == group)
                .Where(j => kind != HoldOutKind.App || groupOf(j.Scored.Label) == group).ToList();
            results.Add(Result(group, judged));
        }
        return results;
    }

    private static HoldOutResult Result(string group, List<(ScoredTransaction Scored, Verdict Verdict)> scored)
    {
        var benign = scored.Where(s => s.Scored.Label.IsBenign).ToList();
        var malicious = scored.Where(s => !s.Scored.Label.IsBenign && !s.Scored.Label.IsScanner).Select(s => s.Scored).ToList();
        var scanners = scored.Where(s => s.Scored.Label.IsScanner).Select(s => s.Scored).ToList();
        var falsePositives = benign.Where(s => s.Scored.Alert).Select(s => s.Verdict).ToList();
        return new HoldOutResult(group, benign.Count, falsePositives.Count, malicious.Count, malicious.Count(s => s.Alert),
            malicious.Select(s => s.Label.Session).Distinct().Count(), malicious.GroupBy(s => s.Label.Session).Count(g => g.Any(s => s.Alert)))
        {
            Scanner = new ScannerFigures(scanners.Count, scanners.Count(s => s.Alert), scanners.Select(s => s.Label.Session).Distinct().Count(),
                scanners.GroupBy(s => s.Label.Session).Count(g => g.Any(s => s.Alert))),
            FalsePositivesByDetector = falsePositives.GroupBy(v => v.Detector ?? "").ToDictionary(g => g.Key, g => g.Count()),
            FalsePositiveReasons = falsePositives.SelectMany(v => v.Reasons.Select(r => r.Feature)).GroupBy(f => f)
                .Select(g => (g.Key, g.Count())).OrderByDescending(x => x.Item2).Take(8).ToList(),
        };
    }

    /// <summary>
    /// Judges test transactions in capture order as a sensor would, learning each server's normal online
    /// from its non-alerting transactions (test data only: a sensor learns the network it watches).
    /// </summary>
    public static List<(ScoredTransaction Scored, Verdict Verdict)> JudgeInOrder(AnomalyModel model, IEnumerable<LabelledTransaction> test)
    {
        var scorer = new SiteAdaptiveScorer(model.CreateScorer(), new ServerBaselines());
        return test.OrderBy(d => d.TimestampMicros).Select(d =>
        {
            var verdict = scorer.Judge(d.Features, d.Server, d.ServerPort, d.Path);
            return (ScoredTransaction.Of(d.Label!, verdict), verdict);
        }).ToList();
    }

    /// <summary>Trains both detectors on labelled transactions: benign ones for the anomaly model, the rest (by family) for the classifier.</summary>
    public static AnomalyModel Train(IReadOnlyList<LabelledTransaction> data, string name, double targetFalsePositiveRate, int seed = 1)
    {
        var ordered = data.OrderBy(d => d.TimestampMicros).ToList();
        var examples = SiteAdaptiveScorer.Contexts(ordered.Select(d => (d.Features, d.Server, d.ServerPort, d.Path, d.Label is null || d.Label.IsBenign)));
        var benign = new List<AnomalyModel.TrainingExample>();
        var attacks = new List<(AnomalyModel.TrainingExample, string)>();
        for (var i = 0; i < ordered.Count; i++)
        {
            if (ordered[i].Label is { IsBenign: false } label) attacks.Add((examples[i], label.Family));
            else benign.Add(examples[i]);
        }
        return AnomalyModel.Train(benign, name, targetFalsePositiveRate, seed, attacks.Count > 0 ? attacks : null);
    }

    /// <summary>The groups to hold out: applications of the benign traffic, or variants/families of the attacks.</summary>
    private static List<string> Groups(List<LabelledTransaction> labelled, HoldOutKind kind)
    {
        var groupOf = GroupOf(kind);
        return labelled.Where(d => kind == HoldOutKind.App ? d.Label!.IsBenign : !d.Label!.IsBenign)
            .Select(d => groupOf(d.Label!)).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private static Func<Label, string> GroupOf(HoldOutKind kind) => kind switch
    {
        HoldOutKind.App => l => l.App,
        HoldOutKind.Variant => l => l.Variant,
        _ => l => l.Family,
    };

    /// <summary>A stable pseudo-random number in [0, 1) for a client address: the same split on every run.</summary>
    private static double Bucket(string address, int seed)
    {
        var h = (uint)seed * 2654435761u;
        foreach (var c in address) h = (h ^ c) * 16777619u;
        // MurmurHash3's finaliser: addresses differ in their last characters only, FNV alone leaves them clustered.
        h ^= h >> 16;
        h *= 0x85ebca6bu;
        h ^= h >> 13;
        h *= 0xc2b2ae35u;
        h ^= h >> 16;
        return (h >> 8) / (double)(1 << 24);
    }
}
