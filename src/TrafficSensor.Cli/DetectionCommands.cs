using CommandLine;
using Spectre.Console;
using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Evaluation;

namespace TrafficSensor.Cli;

[Verb("train", HelpText = "Train an anomaly model on benign captures (optionally filtered by lab labels).")]
public sealed class TrainOptions
{
    [Option("benign", HelpText = "Captures (or directories) of normal traffic.")]
    public IEnumerable<string> Benign { get; set; } = [];

    [Option("labels", HelpText = "Lab label files: transactions labelled benign train the anomaly model, those labelled with a family (from --attacks captures) the classifier.")]
    public IEnumerable<string> Labels { get; set; } = [];

    [Option("attacks", HelpText = "Labelled captures with web-shell families: trains a FastTree classifier beside the anomaly model.")]
    public IEnumerable<string> Attacks { get; set; } = [];

    [Option("data", HelpText = "Directories (or captures) of labelled captures: every NAME.pcap with NAME.labels.jsonl beside it, each replayed on its own; benign transactions train the anomaly model, the rest the classifier.")]
    public IEnumerable<string> Data { get; set; } = [];

    [Option('o', "out", Required = true, HelpText = "Model file to write, e.g. models/mysite.zip.")]
    public string Out { get; set; } = "";

    [Option("target-fpr", Default = 1e-3, HelpText = "False-positive rate per benign transaction each detector's threshold is calibrated to on held-back benign traffic.")]
    public double TargetFpr { get; set; }

    [Option("name", HelpText = "Model name shown in alerts (default: the file name).")]
    public string? Name { get; set; }
}

[Verb("evaluate", HelpText = "Score labelled captures and print precision, recall and false positives per benign transaction, per family and variant; or hold whole applications, variants or families out of training.")]
public sealed class EvaluateOptions
{
    [Option("pcap", HelpText = "Labelled captures to test on (with --labels).")] public IEnumerable<string> Pcaps { get; set; } = [];
    [Option("labels", HelpText = "Label files of --pcap (and of --train-* captures).")] public IEnumerable<string> Labels { get; set; } = [];
    [Option("data", HelpText = "Directories (or captures) of labelled captures: every NAME.pcap with NAME.labels.jsonl beside it, each replayed on its own.")]
    public IEnumerable<string> Data { get; set; } = [];
    [Option("model", HelpText = "Model file (default: the bundled models/default.zip).")] public string? Model { get; set; }

    [Option("leave-one-out", HelpText = "app, variant or family: for each, train both detectors on the rest of the data without it and test on it.")]
    public HoldOutKind? LeaveOneOut { get; set; }

    [Option("leave-one-family-out", HelpText = "Same as --leave-one-out family, training on --train-* and testing on --pcap.")]
    public bool LeaveOneFamilyOut { get; set; }

    [Option("train-benign", HelpText = "With --leave-one-family-out: benign training captures.")] public IEnumerable<string> TrainBenign { get; set; } = [];
    [Option("train-attacks", HelpText = "With --leave-one-family-out: labelled web-shell training captures.")] public IEnumerable<string> TrainAttacks { get; set; } = [];
    [Option("train-labels", HelpText = "With --leave-one-family-out: labels of the training captures.")] public IEnumerable<string> TrainLabels { get; set; } = [];
    [Option("target-fpr", Default = 1e-3, HelpText = "With a hold-out: the calibration target, as in train.")] public double TargetFpr { get; set; }
    [Option("json", HelpText = "Also write the figures as JSON to this file.")] public string? Json { get; set; }
}

internal static class DetectionCommands
{
    public static string DefaultModelPath => Path.Combine(AppContext.BaseDirectory, "models", "default.zip");

    public static AnomalyModel LoadModel(string? path) => AnomalyModel.Load(path ?? DefaultModelPath);

    /// <summary>Replays captures, computing features only, and labels each request (null when unlabelled).</summary>
    private static List<LabelledTransaction> Featurise(IEnumerable<string> paths, LabelSet? labels) => LabelledCorpus.Featurise(paths, labels);

    /// <summary>A usage error naming the first path of an option that does not exist.</summary>
    private static string? MissingPath(string option, IEnumerable<string> paths) =>
        paths.FirstOrDefault(p => p != "-" && !File.Exists(p) && !Directory.Exists(p)) is { } missing ? $"{option}: no such file or directory: {missing}" : null;

    public static int Train(TrainOptions o)
    {
        if ((MissingPath("--benign", o.Benign) ?? MissingPath("--attacks", o.Attacks) ?? MissingPath("--labels", o.Labels) ?? MissingPath("--data", o.Data)) is { } missing)
            return Console.Fail(missing, ExitCodes.Usage);
        if (o.Benign.Any() && CaptureFileSet.Resolve(o.Benign).Count == 0)
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
        if (!o.Benign.Any() && !o.Data.Any()) return Console.Fail("train needs captures: --benign CAPTURES... and/or --data DIRS...", ExitCodes.Usage);
        var rows = o.Benign.Any() || o.Attacks.Any() ? Featurise(o.Benign.Concat(o.Attacks), labels) : [];
        // Without labels every transaction is benign; with labels, unlabelled ones are left out.
        // A copy either way: --data below adds to both lists, and the same list twice trained on every --data transaction twice.
        var used = labels is null ? rows.ToList() : rows.Where(r => r.Label is not null).ToList();
        if (o.Data.Any())
        {
            try
            {
                var data = LabelledCorpus.Load(o.Data, out var skipped);
                foreach (var s in skipped) Console.Warn($"{s}: no labels beside it (NAME.labels.jsonl), skipped");
                rows.AddRange(data);
                used.AddRange(data.Where(r => r.Label is not null));
            }
            catch (FormatException e)
            {
                return Console.Fail(e.Message, ExitCodes.UnusableInput);
            }
        }
        if (!used.Any(r => r.Label is null || r.Label.IsBenign))
            return Console.Fail($"no benign HTTP transactions found in {string.Join(", ", o.Benign.Concat(o.Data))}", ExitCodes.UnusableInput);
        AnomalyModel model;
        try
        {
            model = HoldOut.Train(used, o.Name ?? Path.GetFileNameWithoutExtension(o.Out), o.TargetFpr);
        }
        catch (ModelException e)
        {
            return Console.Fail(e.Message, ExitCodes.UnusableInput);
        }
        model.Save(o.Out);
        var m = model.Metadata;
        System.Console.Error.WriteLine($"trafficsensor: trained '{model.Name}' on {m.TrainingRows} benign transactions " +
            $"(threshold {model.Threshold:0.######} for a false-positive rate of {o.TargetFpr:0.####} on {m.CalibrationRows} held-back ones; {rows.Count - used.Count} unlabelled left out)" +
            (m.ClassifierThreshold is { } ct ? $"; classifier on {m.ClassifierPositives} web-shell transactions of {string.Join(", ", m.ClassifierFamilies ?? [])} (threshold {ct:0.######})" : "") +
            $" -> {o.Out}");
        return ExitCodes.Ok;
    }

    public static int Evaluate(EvaluateOptions o)
    {
        if ((MissingPath("--pcap", o.Pcaps) ?? MissingPath("--labels", o.Labels) ?? MissingPath("--data", o.Data) ?? MissingPath("--train-benign", o.TrainBenign)
            ?? MissingPath("--train-attacks", o.TrainAttacks) ?? MissingPath("--train-labels", o.TrainLabels)) is { } missing)
            return Console.Fail(missing, ExitCodes.Usage);
        List<LabelledTransaction> test;
        try
        {
            if (!o.Data.Any() && !o.Pcaps.Any()) return Console.Fail("evaluate needs labelled captures: --data DIR... or --pcap FILE... --labels FILE...", ExitCodes.Usage);
            if (o.Pcaps.Any() && !o.Labels.Any()) return Console.Fail("--pcap needs --labels", ExitCodes.Usage);
            test = o.Pcaps.Any() ? Featurise(o.Pcaps, LabelSet.Load(o.Labels)) : [];
            if (o.Data.Any())
            {
                test.AddRange(LabelledCorpus.Load(o.Data, out var skipped));
                foreach (var s in skipped) Console.Warn($"{s}: no labels beside it (NAME.labels.jsonl), skipped");
            }
        }
        catch (FormatException e)
        {
            return Console.Fail(e.Message, ExitCodes.UnusableInput);
        }
        var unlabelled = test.Count(r => r.Label is null);
        if (unlabelled > 0) Console.Warn($"{unlabelled} transactions had no label");

        if (o.LeaveOneFamilyOut || o.LeaveOneOut is not null)
        {
            var kind = o.LeaveOneOut ?? HoldOutKind.Family;
            List<HoldOutResult> results;
            try
            {
                if (o.LeaveOneFamilyOut)
                {
                    if (!o.TrainLabels.Any()) return Console.Fail("--leave-one-family-out needs --train-benign, --train-attacks and --train-labels", ExitCodes.Usage);
                    var training = Featurise(o.TrainBenign.Concat(o.TrainAttacks), LabelSet.Load(o.TrainLabels)).Where(r => r.Label is not null).ToList();
                    results = HoldOut.RunAgainst(training, test, kind, o.TargetFpr);
                }
                else
                {
                    results = HoldOut.Run(test, kind, o.TargetFpr, progress: g => Console.Info($"holding out {kind.ToString().ToLowerInvariant()} {g}"));
                }
            }
            catch (ModelException e)
            {
                return Console.Fail(e.Message, ExitCodes.UnusableInput);
            }
            EvaluationPrinter.Print(kind, results, AnsiConsole.Console);
            if (o.Json is not null) EvaluationPrinter.WriteJson(o.Json, kind, results);
            return ExitCodes.Ok;
        }

        AnomalyModel model;
        try
        {
            model = LoadModel(o.Model);
        }
        catch (ModelException e)
        {
            return Console.Fail(e.Message, ExitCodes.UnusableInput);
        }
        var report = EvaluationReport.Compute(HoldOut.JudgeInOrder(model, test.Where(r => r.Label is not null)).Select(j => j.Scored).ToList());
        EvaluationPrinter.Print(model, report, AnsiConsole.Console);
        if (o.Json is not null) EvaluationPrinter.WriteJson(o.Json, report);
        return ExitCodes.Ok;
    }
}
