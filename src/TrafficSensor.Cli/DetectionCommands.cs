using System.Collections.Concurrent;
using CommandLine;
using Spectre.Console;
using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;

namespace TrafficSensor.Cli;

[Verb("train", HelpText = "Train an anomaly model on benign captures (optionally filtered by lab labels).")]
public sealed class TrainOptions
{
    [Option("benign", Required = true, Min = 1, HelpText = "Captures (or directories) of normal traffic.")]
    public IEnumerable<string> Benign { get; set; } = [];

    [Option("labels", HelpText = "Lab label files: transactions labelled benign train the anomaly model, those labelled with a family (from --attacks captures) the classifier.")]
    public IEnumerable<string> Labels { get; set; } = [];

    [Option("attacks", HelpText = "Labelled captures with web-shell families: trains a FastTree classifier beside the anomaly model.")]
    public IEnumerable<string> Attacks { get; set; } = [];

    [Option('o', "out", Required = true, HelpText = "Model file to write, e.g. models/mysite.zip.")]
    public string Out { get; set; } = "";

    [Option("target-fpr", Default = 1e-3, HelpText = "False-positive rate per benign transaction each detector's threshold is calibrated to on held-back benign traffic.")]
    public double TargetFpr { get; set; }

    [Option("name", HelpText = "Model name shown in alerts (default: the file name).")]
    public string? Name { get; set; }
}

[Verb("evaluate", HelpText = "Score labelled lab captures and print precision, recall, false-positive rate and ROC AUC per family.")]
public sealed class EvaluateOptions
{
    [Option("pcap", Required = true, Min = 1)] public IEnumerable<string> Pcaps { get; set; } = [];
    [Option("labels", Required = true, Min = 1)] public IEnumerable<string> Labels { get; set; } = [];
    [Option("model", HelpText = "Model file (default: the bundled models/default.zip).")] public string? Model { get; set; }

    [Option("leave-one-family-out", HelpText = "For every family: train on --train-* without that family, then test on it.")]
    public bool LeaveOneFamilyOut { get; set; }

    [Option("train-benign", HelpText = "With --leave-one-family-out: benign training captures.")] public IEnumerable<string> TrainBenign { get; set; } = [];
    [Option("train-attacks", HelpText = "With --leave-one-family-out: labelled web-shell training captures.")] public IEnumerable<string> TrainAttacks { get; set; } = [];
    [Option("train-labels", HelpText = "With --leave-one-family-out: labels of the training captures.")] public IEnumerable<string> TrainLabels { get; set; } = [];
    [Option("target-fpr", Default = 1e-3, HelpText = "With --leave-one-family-out: the calibration target, as in train.")] public double TargetFpr { get; set; }
}

internal static class DetectionCommands
{
    public static string DefaultModelPath => Path.Combine(AppContext.BaseDirectory, "models", "default.zip");

    public static AnomalyModel LoadModel(string? path) => AnomalyModel.Load(path ?? DefaultModelPath);

    /// <summary>Collects records in memory (features and verdicts), for training and evaluation.</summary>
    private sealed class Collector : ITransactionOutput
    {
        public readonly ConcurrentQueue<TransactionRecord> Records = new();
        public void Write(TransactionRecord record) => Records.Enqueue(record);
        public void Flush() { }
    }

    /// <summary>Replays captures, computing features only, and returns each request's features with its label (null when unlabelled).</summary>
    private static List<(FeatureVector Features, LabelSet.Label? Label)> Featurise(IEnumerable<string> paths, LabelSet? labels)
    {
        var collector = new Collector();
        new SensorPipeline(new SensorOptions(), collector, collectFeatures: true).Replay(CaptureFileSet.Resolve(paths));
        return collector.Records.OrderBy(r => r.Transaction.TimestampMicros)
            .Where(r => r.Features is not null && r.Transaction.Request is not null)
            .Select(r => (r.Features!, labels?.Take(r)))
            .ToList();
    }

    private static (List<FeatureVector> Benign, List<(FeatureVector, string)> Attacks, int Unused) Split(List<(FeatureVector Features, LabelSet.Label? Label)> rows, bool unlabelledAreBenign)
    {
        var benign = new List<FeatureVector>();
        var attacks = new List<(FeatureVector, string)>();
        var unused = 0;
        foreach (var (features, label) in rows)
        {
            if (label is null) { if (unlabelledAreBenign) benign.Add(features); else unused++; }
            else if (label.Family == "benign") benign.Add(features);
            else attacks.Add((features, label.Family));
        }
        return (benign, attacks, unused);
    }

    /// <summary>A usage error naming the first path of an option that does not exist.</summary>
    private static string? MissingPath(string option, IEnumerable<string> paths) =>
        paths.FirstOrDefault(p => p != "-" && !File.Exists(p) && !Directory.Exists(p)) is { } missing ? $"{option}: no such file or directory: {missing}" : null;

    public static int Train(TrainOptions o)
    {
        if ((MissingPath("--benign", o.Benign) ?? MissingPath("--attacks", o.Attacks) ?? MissingPath("--labels", o.Labels)) is { } missing)
            return Console.Fail(missing, ExitCodes.Usage);
        if (CaptureFileSet.Resolve(o.Benign).Count == 0)
            return Console.Fail($"--benign: no capture files in {string.Join(", ", o.Benign)}", ExitCodes.Usage);
        LabelSet? labels;
        try
        {
            labels = o.Labels.Any() ? LabelSet.Load(o.Labels) : null;
        }
        catch (FormatException e)
        {
            return Console.Fail(e.Message, ExitCodes.UnusableInput);
        }
        if (o.Attacks.Any() && labels is null) return Console.Fail("--attacks needs --labels naming each transaction's family", ExitCodes.Usage);
        var (benign, attacks, unused) = Split(Featurise(o.Benign.Concat(o.Attacks), labels), unlabelledAreBenign: labels is null);
        if (benign.Count == 0)
            return Console.Fail($"--benign: no benign HTTP transactions found in {string.Join(", ", o.Benign)}", ExitCodes.UnusableInput);
        AnomalyModel model;
        try
        {
            model = AnomalyModel.Train(benign, o.Name ?? Path.GetFileNameWithoutExtension(o.Out), o.TargetFpr, attacks: attacks.Count > 0 ? attacks : null);
        }
        catch (ModelException e)
        {
            return Console.Fail(e.Message, ExitCodes.UnusableInput);
        }
        model.Save(o.Out);
        var m = model.Metadata;
        System.Console.Error.WriteLine($"trafficsensor: trained '{model.Name}' on {m.TrainingRows} benign transactions " +
            $"(threshold {model.Threshold:0.######} for a false-positive rate of {o.TargetFpr:0.####} on {m.CalibrationRows} held-back ones; {unused} unlabelled left out)" +
            (m.ClassifierThreshold is { } ct ? $"; classifier on {m.ClassifierPositives} web-shell transactions of {string.Join(", ", m.ClassifierFamilies ?? [])} (threshold {ct:0.######})" : "") +
            $" -> {o.Out}");
        return ExitCodes.Ok;
    }

    public static int Evaluate(EvaluateOptions o)
    {
        if ((MissingPath("--pcap", o.Pcaps) ?? MissingPath("--labels", o.Labels) ?? MissingPath("--train-benign", o.TrainBenign)
            ?? MissingPath("--train-attacks", o.TrainAttacks) ?? MissingPath("--train-labels", o.TrainLabels)) is { } missing)
            return Console.Fail(missing, ExitCodes.Usage);
        LabelSet labels;
        try
        {
            labels = LabelSet.Load(o.Labels);
        }
        catch (FormatException e)
        {
            return Console.Fail(e.Message, ExitCodes.UnusableInput);
        }
        var rows = Featurise(o.Pcaps, labels);
        var unlabelled = rows.Count(r => r.Label is null);
        var labelled = rows.Where(r => r.Label is not null).ToList();

        if (o.LeaveOneFamilyOut) return LeaveOneFamilyOut(o, labelled);

        AnomalyModel model;
        try
        {
            model = LoadModel(o.Model);
        }
        catch (ModelException e)
        {
            return Console.Fail(e.Message, ExitCodes.UnusableInput);
        }
        var scorer = model.CreateScorer();
        var scored = labelled.Select(r => Scored(r.Label!, scorer.Score(r.Features))).ToList();
        EvaluationReport.Compute(scored, model).Print(AnsiConsole.Console);
        if (unlabelled > 0) Console.Warn($"{unlabelled} transactions had no label");
        return ExitCodes.Ok;
    }

    private static (string Family, string Session, float Score, bool Alert) Scored(LabelSet.Label label, Verdict verdict) =>
        (label.Family, $"{label.Family} {label.SrcIp}", Math.Max(verdict.Score / verdict.Threshold, (verdict.Probability ?? 0) / (verdict.ClassifierThreshold ?? 1)), verdict.Alert);

    private static int LeaveOneFamilyOut(EvaluateOptions o, List<(FeatureVector Features, LabelSet.Label? Label)> test)
    {
        if (!o.TrainLabels.Any()) return Console.Fail("--leave-one-family-out needs --train-benign, --train-attacks and --train-labels", ExitCodes.Usage);
        var (benign, attacks, _) = Split(Featurise(o.TrainBenign.Concat(o.TrainAttacks), LabelSet.Load(o.TrainLabels)), unlabelledAreBenign: false);
        var table = new Table().AddColumn("held-out family").AddColumn(new TableColumn("transactions").RightAligned()).AddColumn(new TableColumn("recall").RightAligned())
            .AddColumn(new TableColumn("sessions caught").RightAligned()).AddColumn(new TableColumn("benign FPR").RightAligned());
        foreach (var family in test.Select(r => r.Label!.Family).Where(f => f != "benign").Distinct().Order())
        {
            var model = AnomalyModel.Train(benign, $"without-{family}", o.TargetFpr, attacks: attacks.Where(a => a.Item2 != family).ToList());
            var scorer = model.CreateScorer();
            var rows = test.Where(r => r.Label!.Family == family || r.Label.Family == "benign").Select(r => Scored(r.Label!, scorer.Score(r.Features))).ToList();
            var report = EvaluationReport.Compute(rows, model);
            var f = report.Families.Single();
            table.AddRow(Markup.Escape(family), $"{f.Transactions}", $"{(double)f.Caught / f.Transactions:P1}", $"{f.SessionsCaught}/{f.Sessions}", $"{report.FalsePositiveRate:P3}");
        }
        AnsiConsole.Console.Write(table);
        return ExitCodes.Ok;
    }
}

/// <summary>Precision, recall, false-positive rate and ROC AUC, overall and per family, and session recall.</summary>
internal sealed record EvaluationReport(string Model, float Threshold, int Benign, int FalsePositives, int Malicious, int TruePositives, double RocAuc,
    IReadOnlyList<(string Family, int Transactions, int Caught, int Sessions, int SessionsCaught, double Auc)> Families)
{
    public double Precision => TruePositives + FalsePositives == 0 ? 0 : (double)TruePositives / (TruePositives + FalsePositives);
    public double Recall => Malicious == 0 ? 0 : (double)TruePositives / Malicious;
    public double FalsePositiveRate => Benign == 0 ? 0 : (double)FalsePositives / Benign;

    public static EvaluationReport Compute(List<(string Family, string Session, float Score, bool Alert)> rows, AnomalyModel model)
    {
        var benign = rows.Where(r => r.Family == "benign").ToList();
        var malicious = rows.Where(r => r.Family != "benign").ToList();
        var families = malicious.GroupBy(r => r.Family).OrderBy(g => g.Key).Select(g => (
            g.Key, g.Count(), g.Count(r => r.Alert),
            g.Select(r => r.Session).Distinct().Count(),
            g.GroupBy(r => r.Session).Count(s => s.Any(r => r.Alert)),
            RocAucOf(g.Select(r => r.Score).ToList(), benign.Select(r => r.Score).ToList()))).ToList();
        return new EvaluationReport(model.Name, model.Threshold, benign.Count, benign.Count(r => r.Alert), malicious.Count, malicious.Count(r => r.Alert),
            RocAucOf(malicious.Select(r => r.Score).ToList(), benign.Select(r => r.Score).ToList()), families);
    }

    /// <summary>ROC AUC as the probability that a malicious score exceeds a benign one (ties count half).</summary>
    private static double RocAucOf(List<float> positives, List<float> negatives)
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

    public void Print(IAnsiConsole console)
    {
        console.MarkupLine(Markup.Escape($"model {Model}, threshold {Threshold:0.######}"));
        console.MarkupLine(Markup.Escape($"benign transactions {Benign:N0}, false positives {FalsePositives:N0} (rate {FalsePositiveRate:P3}); malicious {Malicious:N0}, caught {TruePositives:N0}"));
        console.MarkupLine(Markup.Escape($"precision {Precision:P2}  recall {Recall:P2}  ROC AUC {RocAuc:0.0000}"));
        var table = new Table().AddColumn("family").AddColumn(new TableColumn("transactions").RightAligned()).AddColumn(new TableColumn("recall").RightAligned())
            .AddColumn(new TableColumn("sessions caught").RightAligned()).AddColumn(new TableColumn("ROC AUC").RightAligned());
        foreach (var f in Families)
            table.AddRow(Markup.Escape(f.Family), $"{f.Transactions}", $"{(double)f.Caught / f.Transactions:P1}", $"{f.SessionsCaught}/{f.Sessions}", $"{f.Auc:0.0000}");
        console.Write(table);
    }
}
