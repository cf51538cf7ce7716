using System.Text.Json;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Corpus;

/// <summary>
/// The hostile TCP corpus (<c>Corpus/tcp/CASE/</c>, in the style of suricata-verify): each case is a
/// capture of a real server (PHP's built-in server on Linux) receiving decoys and a web-shell request,
/// made by <c>make-corpus.py</c>, and an <c>expected.json</c> whose <c>server_ran</c> is what the
/// server's own log says it ran. The sensor must see exactly those requests — not the decoys — and
/// flag the choices it made on the transaction.
/// </summary>
public class TcpCorpusTests
{
    public static string CorpusDirectory => Path.Combine(TestPaths.RepositoryRoot, "tests", "TrafficSensor.Tests", "Corpus", "tcp");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.EnumerateDirectories(CorpusDirectory).Order())
            data.Add(Path.GetFileName(dir));
        return data;
    }

    private sealed record Expectation(string Case, string Description, string[] ServerRan, string[] Anomalies);

    private static Expectation Load(string name)
    {
        var json = File.ReadAllText(Path.Combine(CorpusDirectory, name, "expected.json"));
        return JsonSerializer.Deserialize<Expectation>(json, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!;
    }

    [Fact]
    public void The_corpus_has_every_case_with_a_small_capture()
    {
        var cases = Directory.EnumerateDirectories(CorpusDirectory).Select(Path.GetFileName).OfType<string>().ToList();
        Assert.True(cases.Count >= 14, "cases: " + string.Join(", ", cases));
        foreach (var name in cases)
        {
            var pcap = new FileInfo(Path.Combine(CorpusDirectory, name, "capture.pcap"));
            Assert.True(pcap.Exists, name);
            Assert.InRange(pcap.Length, 200, 16 * 1024);
            Assert.NotEmpty(Load(name).ServerRan);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sensor_sees_what_the_server_ran_and_flags_its_choices(string name)
    {
        var expected = Load(name);
        var (records, stats) = SensorRun.Files([Path.Combine(CorpusDirectory, name, "capture.pcap")]);
        var seen = records.Where(r => r.Transaction.Request is not null)
            .OrderBy(r => r.Transaction.TimestampMicros)
            .Select(r => $"{r.Transaction.Request!.Method} {r.Transaction.Request.Target}")
            .ToList();
        Assert.Equal(expected.ServerRan, seen);

        var last = records.Single(r => r.Transaction.Request is not null && $"{r.Transaction.Request.Method} {r.Transaction.Request.Target}" == expected.ServerRan[^1]);
        var flagged = last.Transaction.AllAnomalies.Names().ToList();
        foreach (var anomaly in expected.Anomalies) Assert.Contains(anomaly, flagged);
        if (expected.Anomalies.Length == 0) Assert.DoesNotContain(flagged, a => a.StartsWith("tcp_"));
        Assert.Equal(200, last.Transaction.Response?.Status);
        Assert.False(stats.Checksums.ContainsKey("validation_disabled"));
    }
}
