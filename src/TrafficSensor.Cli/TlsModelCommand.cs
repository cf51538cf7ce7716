using System.Globalization;
using System.Text.Json;
using CommandLine;
using TrafficSensor.Detection;
using TrafficSensor.Evaluation;

namespace TrafficSensor.Cli;

[Verb("tls-model", HelpText = "Train the TLS metadata model (connections judged without keys) on labelled HTTPS captures, or evaluate it leaving each web-shell family out.")]
public sealed class TlsModelOptions
{
    [Option("data", Required = true, HelpText = "Directories (or captures) of labelled HTTPS captures: every NAME.pcap with NAME.labels.jsonl beside it. Keys are never read.")]
    public IEnumerable<string> Data { get; set; } = [];

    [Option('o', "out", HelpText = "Model file to write, e.g. models/tls-default.zip.")]
    public string? Out { get; set; }

    [Option("leave-one-family-out", HelpText = "For each web-shell family, train without it and test on it and on held-out benign clients; print recall and false positives.")]
    public bool LeaveOneFamilyOut { get; set; }

    [Option("target-fpr", Default = 5e-3, HelpText = "False-positive rate per benign TLS connection each detector's threshold is calibrated to.")]
    public double TargetFpr { get; set; }

    [Option("name", HelpText = "Model name shown in alerts (default: the file name).")]
    public string? Name { get; set; }

    [Option("json", HelpText = "With --leave-one-family-out: also write the figures as JSON to this file.")]
    public string? Json { get; set; }
}

internal static class TlsModelCommand
{
    public static string DefaultModelPath => Path.Combine(AppContext.BaseDirectory, "models", "tls-default.zip");

    public static int Run(TlsModelOptions o)
    {
        if (o.Data.FirstOrDefault(p => !File.Exists(p) && !Directory.Exists(p)) is { } missing)
            return Console.Fail($"--data: no such file or directory: {missing}", ExitCodes.Usage);
        if (o.Out is null && !o.LeaveOneFamilyOut) return Console.Fail("tls-model needs --out FILE and/or --leave-one-family-out", ExitCodes.Usage);
        List<LabelledTlsConnection> data;
        try
        {
            data = TlsLabelledCorpus.Load(o.Data, out var skipped);
            foreach (var s in skipped) Console.Warn($"{s}: no labels beside it (NAME.labels.jsonl), skipped");
        }
        catch (Exception e) when (e is FormatException or IOException)
        {
            return Console.Fail(e.Message, ExitCodes.UnusableInput);
        }
        var labelled = data.Count(d => d.Label is not null);
        System.Console.Error.WriteLine($"trafficsensor: {data.Count} TLS connections, {labelled} labelled ({data.Count(d => d.Label is { IsBenign: true })} benign)");
        try
        {
            if (o.LeaveOneFamilyOut)
            {
                var results = TlsHoldOut.LeaveOneFamilyOut(data, o.TargetFpr);
                Print(results);
                if (o.Json is not null) File.WriteAllText(o.Json, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
            }
            if (o.Out is not null)
            {
                var model = TlsHoldOut.Train(data, o.Name ?? Path.GetFileNameWithoutExtension(o.Out), o.TargetFpr);
                model.Save(o.Out);
                var m = model.Info;
                System.Console.Error.WriteLine($"trafficsensor: trained '{m.Name}' on {m.TrainingRows} benign TLS connections (threshold {m.Threshold:0.####} on {m.CalibrationRows} held back)" +
                    (m.ClassifierThreshold is { } ct ? $"; classifier on {m.ClassifierPositives} web-shell connections of {string.Join(", ", m.ClassifierFamilies)} (threshold {ct:0.####})" : "") + $" -> {o.Out}");
            }
        }
        catch (ModelException e)
        {
            return Console.Fail(e.Message, ExitCodes.UnusableInput);
        }
        return ExitCodes.Ok;
    }

    private static void Print(IReadOnlyList<TlsHoldOutResult> results)
    {
        string P(double x) => double.IsNaN(x) ? "-" : x.ToString("0.0%", CultureInfo.InvariantCulture);
        System.Console.Out.WriteLine("held-out family       connections  caught  recall   sessions caught  anomaly classifier  benign  false+  fp/conn  (anomaly/classifier)");
        foreach (var r in results)
            System.Console.Out.WriteLine($"{r.Family,-20} {r.Connections,12} {r.Caught,7} {P(r.Recall),7} {r.Sessions,9} {r.SessionsCaught,6} {r.CaughtByAnomaly,8} {r.CaughtByClassifier,10} {r.Benign,7} {r.FalsePositives,7}  {P(r.FalsePositiveRate),7}  ({r.FalsePositivesByAnomaly}/{r.FalsePositivesByClassifier})");
        var connections = results.Sum(r => r.Connections);
        var caught = results.Sum(r => r.Caught);
        System.Console.Out.WriteLine($"{"all (held out)",-20} {connections,12} {caught,7} {P(connections == 0 ? double.NaN : (double)caught / connections),7} {results.Sum(r => r.Sessions),9} {results.Sum(r => r.SessionsCaught),6}" +
            $"  false positives per benign connection: mean {P(results.Count == 0 ? double.NaN : results.Average(r => r.FalsePositiveRate))}, worst {P(results.Count == 0 ? double.NaN : results.Max(r => r.FalsePositiveRate))}");
    }
}
