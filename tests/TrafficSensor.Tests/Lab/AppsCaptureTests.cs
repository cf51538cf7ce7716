using System.Text.Json;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Lab;

/// <summary>
/// The application lab (pcaps/apps) labels every HTTP request tshark finds in its capture with the
/// application (server address:port) and the client role (source address). The replay pipeline
/// must find exactly those requests, each with its response. Runs on the committed samples and,
/// when TRAFFICSENSOR_APPS_CAPTURES names a directory (a fresh corpus run), on those captures too.
/// </summary>
public class AppsCaptureTests
{
    private static IEnumerable<string> LabelFiles()
    {
        var dirs = new List<string> { Path.Combine(TestPaths.ProjectPcaps, "apps", "samples") };
        if (Environment.GetEnvironmentVariable("TRAFFICSENSOR_APPS_CAPTURES") is { Length: > 0 } extra) dirs.Add(extra);
        return dirs.Where(Directory.Exists).SelectMany(d => Directory.EnumerateFiles(d, "*.labels.jsonl")).Order();
    }

    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (var f in LabelFiles()) data.Add(f);
        return data;
    }

    [Fact]
    public void Samples_cover_the_php_sites_browsers_and_machine_clients()
    {
        var labels = LabelFiles().Where(f => f.Contains("samples")).SelectMany(LabelledCaptures.Read).ToList();
        Assert.All(labels, l => Assert.Equal("benign", l.Family));
        Assert.DoesNotContain(labels, l => l.App == "unknown" || l.Phase == "unknown");
        var apps = labels.Select(l => l.App!).Distinct().ToList();
        Assert.Superset(new HashSet<string> { "dokuwiki", "mediawiki", "phpmyadmin", "wordpress", "webdav" }, apps.ToHashSet());
        // Each application is served from its own address; browsers share theirs across applications.
        Assert.All(labels.GroupBy(l => l.App), g => Assert.Single(g.Select(l => l.DestIp).Distinct()));
        Assert.Contains(labels, l => l.Phase == "browser");
        Assert.True(labels.Select(l => l.Phase).Distinct().Count() >= 5, "browsers and several kinds of machine client");
        // What the default lab lacks: methods beyond GET/POST.
        Assert.Superset(new HashSet<string> { "GET", "POST", "PUT", "DELETE", "OPTIONS", "PROPFIND" }, labels.Select(l => l.HttpMethod).ToHashSet());
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Every_labelled_request_is_in_the_capture_and_vice_versa(string labelsPath)
    {
        var pcap = labelsPath.Replace(".labels.jsonl", ".pcap");
        var labels = LabelledCaptures.Read(labelsPath);
        var (records, stats) = SensorRun.Files([pcap]);
        var expected = LabelledCaptures.Requests(labels);
        var actual = LabelledCaptures.Requests(records);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
        Assert.Empty(stats.DecodeErrors);
        // Samples are whole answered connections without gaps. A full run may hold requests whose
        // answers never came (browsers cancel requests when they navigate; clients are stopped at
        // the end) and, on a loaded machine, packets the kernel dropped: allowed there, but few.
        var unanswered = records.Count(r => r.Transaction.Response is null);
        // (The svc-* samples are cut per client address, a long poll may be cut before its answer:
        // AppsSvcSampleTests checks them against tshark instead.)
        if (labelsPath.Contains(Path.Combine("apps", "samples")) && !Path.GetFileName(labelsPath).StartsWith("svc-", StringComparison.Ordinal))
        {
            Assert.Equal(0, stats.ReassemblyGapBytes.Values.Sum());
            Assert.Equal(0, unanswered);
        }
        else Assert.True(unanswered * 100 <= records.Count * 2, $"{unanswered} of {records.Count} requests unanswered");
    }
}
