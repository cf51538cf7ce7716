using System.Text.Json;
using Spectre.Console;
using TrafficSensor.Detection;
using TrafficSensor.Evaluation;

namespace TrafficSensor.Cli;

/// <summary>Evaluation figures as tables on the terminal and as JSON for model cards.</summary>
internal static class EvaluationPrinter
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static void Print(AnomalyModel model, EvaluationReport r, IAnsiConsole console)
    {
        console.MarkupLine(Markup.Escape($"model {model.Name}, anomaly threshold {model.Threshold:0.######}" + (model.Metadata.ClassifierThreshold is { } c ? $", classifier threshold {c:0.###}" : "")));
        console.MarkupLine(Markup.Escape($"benign transactions {r.Benign:N0}, false positives {r.FalsePositives:N0} (rate {r.FalsePositiveRate:P3}); web-shell {r.Malicious:N0}, caught {r.TruePositives:N0} (scanners in their own row)"));
        console.MarkupLine(Markup.Escape($"precision {r.Precision:P2}  recall {r.Recall:P2}  ROC AUC {r.RocAuc:0.0000}"));
        foreach (var (title, groups) in new[] { ("family", r.Families), ("variant", r.Variants) })
        {
            if (title == "variant" && r.Variants.Count == r.Families.Count && r.Variants.Select(v => v.Name).SequenceEqual(r.Families.Select(f => f.Name))) continue;
            var table = new Table().AddColumn(title).AddColumn(new TableColumn("transactions").RightAligned()).AddColumn(new TableColumn("recall").RightAligned())
                .AddColumn(new TableColumn("sessions caught").RightAligned()).AddColumn(new TableColumn("ROC AUC").RightAligned());
            foreach (var g in groups)
                table.AddRow(Markup.Escape(g.Name), $"{g.Transactions}", $"{g.Recall:P1}", $"{g.SessionsCaught}/{g.Sessions}", $"{g.RocAuc:0.0000}");
            console.Write(table);
        }
    }

    public static void Print(HoldOutKind kind, IReadOnlyList<HoldOutResult> results, IAnsiConsole console)
    {
        var table = new Table().AddColumn($"held-out {kind.ToString().ToLowerInvariant()}")
            .AddColumn(new TableColumn("benign").RightAligned()).AddColumn(new TableColumn("false positives").RightAligned()).AddColumn(new TableColumn("FP rate").RightAligned())
            .AddColumn(new TableColumn("web-shell").RightAligned()).AddColumn(new TableColumn("recall").RightAligned()).AddColumn(new TableColumn("sessions caught").RightAligned())
            .AddColumn(new TableColumn("scanner alerted").RightAligned());
        // Scanners are not web shells: their requests and clients are shown apart, never in the recall.
        static string Scanner(ScannerFigures s) => s.Transactions == 0 ? "-" : $"{s.Alerted:N0}/{s.Transactions:N0}";
        foreach (var g in results)
            table.AddRow(Markup.Escape(g.Group), $"{g.Benign:N0}", $"{g.FalsePositives:N0}", g.Benign == 0 ? "-" : $"{g.FalsePositiveRate:P3}",
                $"{g.Malicious:N0}", g.Malicious == 0 ? "-" : $"{g.Recall:P1}", g.Sessions == 0 ? "-" : $"{g.SessionsCaught}/{g.Sessions}", Scanner(g.Scanner));
        int benign = results.Sum(g => g.Benign), fp = results.Sum(g => g.FalsePositives), malicious = results.Sum(g => g.Malicious), caught = results.Sum(g => g.Caught);
        var scanners = new ScannerFigures(results.Sum(g => g.Scanner.Transactions), results.Sum(g => g.Scanner.Alerted), results.Sum(g => g.Scanner.Sessions),
            results.Sum(g => g.Scanner.SessionsAlerted));
        table.AddRow("[bold]all[/]", $"{benign:N0}", $"{fp:N0}", benign == 0 ? "-" : $"{(double)fp / benign:P3}", $"{malicious:N0}", malicious == 0 ? "-" : $"{(double)caught / malicious:P1}",
            $"{results.Sum(g => g.SessionsCaught)}/{results.Sum(g => g.Sessions)}", Scanner(scanners));
        console.Write(table);
        foreach (var g in results.Where(g => g.FalsePositives > 0))
            console.MarkupLine(Markup.Escape($"{g.Group}: false positives by detector {string.Join(", ", g.FalsePositivesByDetector.Select(kv => $"{kv.Key} {kv.Value}"))}; " +
                $"reasons {string.Join(", ", g.FalsePositiveReasons.Select(r => $"{r.Feature} {r.Count}"))}"));
    }

    public static void WriteJson(string path, EvaluationReport report) =>
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            report.Benign, report.FalsePositives, report.FalsePositiveRate, report.Malicious, report.TruePositives, report.Precision, report.Recall, report.RocAuc,
            report.Families, report.Variants,
        }, Json));

    public static void WriteJson(string path, HoldOutKind kind, IReadOnlyList<HoldOutResult> results) =>
        File.WriteAllText(path, JsonSerializer.Serialize(new { HeldOut = kind.ToString().ToLowerInvariant(), Groups = results }, Json));
}
