using TrafficSensor.Evaluation;

namespace TrafficSensor.Tests.Evaluation;

public class EvaluationReportTests
{
    private static ScoredTransaction Row(string family, bool alert, string client = "10.0.0.1") =>
        new(new Label(client, 40000, "10.0.0.9", 80, "GET", "/x", family, "p"), alert ? 2f : 0.5f, alert);

    [Fact]
    public void Overall_figures_are_of_web_shells_and_scanners_keep_their_own_row()
    {
        // 2 benign (1 false positive), 4 web-shell requests (3 caught), 10 scanner requests (all alerted as scans).
        var rows = new List<ScoredTransaction> { Row("benign", true), Row("benign", false) };
        rows.AddRange([Row("godzilla", true), Row("godzilla", true), Row("godzilla", true), Row("godzilla", false)]);
        rows.AddRange(Enumerable.Range(0, 10).Select(_ => Row(Label.ScannerFamily, true, "10.0.0.2")));

        var report = EvaluationReport.Compute(rows);

        Assert.Equal(4, report.Malicious);
        Assert.Equal(3, report.TruePositives);
        Assert.Equal(0.75, report.Recall, 6);
        Assert.Equal(0.75, report.Precision, 6); // the scanner alerts are neither true nor false positives of web-shell detection
        Assert.Equal(1, report.FalsePositives);
        var scanner = Assert.Single(report.Families, f => f.Name == Label.ScannerFamily);
        Assert.Equal((10, 10, 1, 1), (scanner.Transactions, scanner.Caught, scanner.Sessions, scanner.SessionsCaught));
    }
}
