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

    [Option("labels", HelpText = "Lab label files: only transactions labelled benign are used.")]
    public IEnumerable<string> Labels { get; set; } = [];

    [Option('o', "out", Required = true, HelpText = "Model file to write, e.g. models/mysite.zip.")]
    public string Out { get; set; } = "";

    [Option("target-fpr", Default = 1e-3, HelpText = "False-positive rate per benign transaction the threshold is calibrated to.")]
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

    public static int Train(TrainOptions o)
    {
        var files = CaptureFileSet.Resolve(o.Benign);
        var collector = new Collector();
        var stats = new SensorPipeline(new SensorOptions(), collector, collectFeatures: true).Replay(files);
        if (stats.Files.All(f => f.Unusable)) return Console.Fail("none of the benign input could be read as a capture", ExitCodes.UnusableInput);
        LabelSet? labels;
        try
        {
            labels = o.Labels.Any() ? LabelSet.Load(o.Labels) : null;
        }
        catch (FormatException e)
        {
            return Console.Fail(e.Message, ExitCodes.UnusableInput);
        }
        var benign = new List<FeatureVector>();
        var excluded = 0;
        foreach (var r in collector.Records.OrderBy(r => r.Transaction.TimestampMicros))
        {
            if (r.Features is null || r.Transaction.Request is null) continue;
            if (labels is not null && labels.Take(r) is not { Family: "benign" }) { excluded++; continue; }
            benign.Add(r.Features);
        }
        AnomalyModel model;
        try
        {
            model = AnomalyModel.Train(benign, o.Name ?? Path.GetFileNameWithoutExtension(o.Out), o.TargetFpr);
        }
        catch (ModelException e)
        {
            return Console.Fail(e.Message, ExitCodes.UnusableInput);
        }
        model.Save(o.Out);
        System.Console.Error.WriteLine($"trafficsensor: trained '{model.Name}' on {model.Metadata.TrainingRows} benign transactions " +
            $"(threshold {model.Threshold:0.######} for a false-positive rate of {o.TargetFpr:0.####} on {model.Metadata.CalibrationRows} held-back ones; {excluded} labelled non-benign or unlabelled left out) -> {o.Out}");
        return ExitCodes.Ok;
    }

    public static int Evaluate(EvaluateOptions o)
    {
        AnomalyModel model;
        try
        {
            model = LoadModel(o.Model);
        }
        catch (ModelException e)
        {
            return Console.Fail(e.Message, ExitCodes.UnusableInput);
        }
        LabelSet labels;
        try
        {
            labels = LabelSet.Load(o.Labels);
        }
        catch (FormatException e)
        {
            return Console.Fail(e.Message, ExitCodes.UnusableInput);
        }
        var collector = new Collector();
        new SensorPipeline(new SensorOptions(), collector, model).Replay(CaptureFileSet.Resolve(o.Pcaps));
        var scored = new List<(string Family, string Session, float Score, bool Alert)>();
        var unlabelled = 0;
        foreach (var r in collector.Records.OrderBy(r => r.Transaction.TimestampMicros))
        {
            if (r.Verdict is null || r.Transaction.Request is null) continue;
            if (labels.Take(r) is not { } label) { unlabelled++; continue; }
            scored.Add((label.Family, $"{label.Family} {label.SrcIp}", r.Verdict.Score, r.Verdict.Alert));
        }
        var report = EvaluationReport.Compute(scored, model);
        report.Print(AnsiConsole.Console);
        if (unlabelled > 0) Console.Warn($"{unlabelled} transactions had no label");
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
