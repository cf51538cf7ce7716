using TrafficSensor.Evaluation;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Evaluation;

/// <summary>Leave-one-group-out on the committed lab samples: what is held out is exactly the group, and nothing else.</summary>
public class HoldOutTests
{
    private static readonly Lazy<List<LabelledTransaction>> Samples = new(() =>
        LabelledCorpus.Load([Path.Combine(TestPaths.ProjectPcaps, "lab", "samples")], out _));

    [Fact]
    public void Every_application_is_held_out_once_and_measured_on_all_its_transactions()
    {
        var data = Samples.Value.Where(d => d.Label is not null).ToList();
        var results = HoldOut.Run(data, HoldOutKind.App, targetFalsePositiveRate: 0.01);
        var apps = data.Where(d => d.Label!.IsBenign).Select(d => d.Label!.App).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(apps, results.Select(r => r.Group));
        foreach (var r in results)
        {
            Assert.Equal(data.Count(d => d.Label!.App == r.Group && d.Label.IsBenign), r.Benign);
            // Web shells and scanners are counted apart: a scanner is not a web shell.
            Assert.Equal(data.Count(d => d.Label!.App == r.Group && !d.Label.IsBenign && !d.Label.IsScanner), r.Malicious);
            Assert.Equal(data.Count(d => d.Label!.App == r.Group && d.Label.IsScanner), r.Scanner.Transactions);
            Assert.Equal(data.Where(d => d.Label!.App == r.Group && d.Label.IsScanner).Select(d => d.Label!.Session).Distinct().Count(), r.Scanner.Sessions);
            Assert.InRange(r.FalsePositives, 0, r.Benign);
        }
    }

    [Fact]
    public void A_held_out_variant_is_tested_on_all_its_transactions_and_a_fixed_share_of_benign_clients()
    {
        var data = Samples.Value.Where(d => d.Label is not null).ToList();
        var results = HoldOut.Run(data, HoldOutKind.Variant, targetFalsePositiveRate: 0.01);
        Assert.Equal(data.Where(d => !d.Label!.IsBenign).Select(d => d.Label!.Variant).Distinct().Count(), results.Count);
        foreach (var r in results)
        {
            Assert.Equal(data.Count(d => d.Label!.Variant == r.Group && !d.Label.IsBenign && !d.Label.IsScanner), r.Malicious);
            Assert.Equal(data.Count(d => d.Label!.Variant == r.Group && d.Label.IsScanner), r.Scanner.Transactions);
        }
        // The samples hold scanners, so both kinds of figure are exercised.
        Assert.Contains(results, r => r.Scanner.Transactions > 0 && r.Malicious == 0);
        Assert.Contains(results, r => r.Malicious > 0 && r.Scanner.Transactions == 0);
        // The benign test clients are chosen by address, the same for every held-out variant, and neither none nor all.
        Assert.Single(results.Select(r => r.Benign).Distinct());
        Assert.InRange(results[0].Benign, 1, data.Count(d => d.Label!.IsBenign) - 1);
    }

    [Fact]
    public void A_server_named_in_some_labels_is_that_application_in_all()
    {
        var dir = Directory.CreateTempSubdirectory("ts-labels-").FullName;
        try
        {
            var path = Path.Combine(dir, "x.labels.jsonl");
            File.WriteAllLines(path,
            [
                """{"src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.80","dest_port":80,"http_method":"GET","url":"/","family":"benign","phase":"browse"}""",
                """{"src_ip":"10.66.0.1","src_port":2,"dest_ip":"10.0.0.80","dest_port":80,"http_method":"POST","url":"/x.php","family":"cmd","phase":"command","app":"wiki","variant":"cmd/get"}""",
            ]);
            var labels = LabelSet.Load([path]);
            Assert.Equal(2, labels.Count);
            Assert.All(labels.Remaining, l => Assert.Equal("wiki", l.App)); // the benign client's label gets the server's application
            Assert.Equal(["benign", "cmd/get"], labels.Remaining.Select(l => l.Variant).Order());
            Assert.Throws<FormatException>(() => LabelSet.Load([Path.Combine(dir, "missing.labels.jsonl")]));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
