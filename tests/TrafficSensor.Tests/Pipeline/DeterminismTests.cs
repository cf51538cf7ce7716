using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Pipeline;

/// <summary>
/// The same input gives the same records, byte for byte and in the same order, whatever the number
/// of flow workers: behaviour state, baselines and alert threads learn in capture order, not in the
/// order the workers' threads happened to run.
/// </summary>
public class DeterminismTests
{

    private static (byte[] Transactions, byte[] Alerts) Replay(IReadOnlyList<string> files, int workers)
    {
        var dir = Directory.CreateTempSubdirectory("ts-determinism-").FullName;
        try
        {
            var transactions = Path.Combine(dir, "tx.json");
            var alerts = Path.Combine(dir, "alerts.json");
            using (var eve = new EveJsonWriter(JsonLinesLog.Open(transactions), new EveOptions { SensorName = "test" }))
            using (var alertWriter = new EveAlertWriter(JsonLinesLog.Open(alerts), new EveOptions { SensorName = "test" }))
            {
                // Small batches and a small backlog bound so that hand-offs and watermark waits happen often.
                var options = new SensorOptions { Pipeline = new PipelineOptions { Workers = workers, BatchSize = 7, MaxPendingTransactions = 16 } };
                var output = new AlertThreadingOutput(new AlertThreads(), eve, alertWriter);
                new SensorPipeline(options, output, TestModels.Default).Replay(files);
                output.Flush();
            }
            return (File.ReadAllBytes(transactions), File.ReadAllBytes(alerts));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static TheoryData<string> Inputs => new() { "lab-samples", "real" };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Records_and_alerts_are_identical_for_1_2_and_4_workers(string input)
    {
        var dir = input == "real" ? TestPaths.SharedRealPcaps : Path.Combine(TestPaths.ProjectPcaps, "lab", "samples");
        var files = CaptureFileSet.Resolve([dir]);
        var (transactions, alerts) = Replay(files, 1);
        Assert.True(transactions.Count(b => b == '\n') > 50, "the captures yield transactions");
        if (input == "lab-samples") Assert.True(alerts.Length > 0, "the lab's web shells alert");

        foreach (var workers in new[] { 2, 4 })
        {
            var (t, a) = Replay(files, workers);
            Assert.True(transactions.AsSpan().SequenceEqual(t), $"transaction records differ between 1 and {workers} workers");
            Assert.True(alerts.AsSpan().SequenceEqual(a), $"alerts differ between 1 and {workers} workers");
        }
    }
}
