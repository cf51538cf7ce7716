using System.Globalization;
using TrafficSensor.Evaluation;
using TrafficSensor.Features;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Features;

/// <summary>
/// The record-size and timing features of every TLS connection of a real lab HTTPS capture (pcaps/tls/model:
/// the lab's .NET clients against nginx and Apache mod_ssl, TLS 1.3, benign users and web-shell operators)
/// equal those computed independently from tshark's reading of the records (pcaps/tls/model/expect.py).
/// </summary>
public class TlsShapeFeaturesTests
{
    private static readonly string Folder = Path.Combine(TestPaths.ProjectPcaps, "tls", "model");
    private static readonly string Capture = Path.Combine(Folder, "tls-lab-sample.pcap");

    private static Dictionary<string, Dictionary<string, double>> Expected(IEnumerable<string> lines)
    {
        var rows = lines.Select(l => l.Split('\t')).ToList();
        var header = rows[0];
        return rows.Skip(1).ToDictionary(r => $"{r[1]}>{r[2]}",
            r => Enumerable.Range(3, header.Length - 3).ToDictionary(i => header[i], i => double.Parse(r[i], CultureInfo.InvariantCulture)));
    }

    private static Dictionary<string, TlsFeatureVector> Ours() =>
        TlsLabelledCorpus.ReadConnections(Capture).ToDictionary(c => $"{c.Client}:{c.ClientPort}>{c.Server}:{c.ServerPort}", c =>
        {
            var f = new TlsFeatureVector();
            TlsShapeFeatures.Compute(c, f);
            return f;
        });

    private static void AssertSame(Dictionary<string, Dictionary<string, double>> expected, Dictionary<string, TlsFeatureVector> ours)
    {
        Assert.True(expected.Count >= 100, $"only {expected.Count} connections in the expectation");
        Assert.Equal(expected.Keys.Order(), ours.Keys.Order());
        foreach (var (connection, features) in expected)
        {
            foreach (var (name, value) in features)
            {
                var actual = ours[connection][name];
                // The expectation is written with six significant digits.
                Assert.True(Math.Abs(actual - value) <= 1e-5 + 1e-5 * Math.Abs(value), $"{connection} {name}: tshark {value}, sensor {actual}");
            }
        }
        // The capture is not trivial: connections with several exchanges, TLS 1.3 handshakes left out.
        Assert.Contains(expected.Values, f => f["exchanges"] >= 10 && f["request_interval_regularity"] > 0);
    }

    [Fact]
    public void Shape_features_equal_the_committed_tshark_computation() =>
        AssertSame(Expected(File.ReadLines(Path.Combine(Folder, "tls-lab-sample.shape.tsv"))), Ours());

    [Fact]
    public void Shape_features_equal_tshark_now()
    {
        var (code, output, error) = ExternalTool.Run("python3", [Path.Combine(Folder, "expect.py"), Capture]);
        Assert.True(code == 0, error);
        AssertSame(Expected(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)), Ours());
    }
}
