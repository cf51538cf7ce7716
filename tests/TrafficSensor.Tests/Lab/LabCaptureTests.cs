using System.Text.Json;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Lab;

/// <summary>
/// The lab's labels are written by the clients that sent the requests; the captures are what
/// tcpdump saw. Every labelled request must be found in the capture by the replay pipeline, and
/// every request in the capture must carry a label. Runs on the committed samples and, when
/// TRAFFICSENSOR_LAB_CAPTURES names a directory (CI runs the lab afresh), on those captures too.
/// </summary>
public class LabCaptureTests
{
    private static IEnumerable<string> LabelFiles()
    {
        var dirs = new List<string> { Path.Combine(TestPaths.ProjectPcaps, "lab", "samples") };
        if (Environment.GetEnvironmentVariable("TRAFFICSENSOR_LAB_CAPTURES") is { Length: > 0 } extra) dirs.Add(extra);
        return dirs.Where(Directory.Exists).SelectMany(d => Directory.EnumerateFiles(d, "*.labels.jsonl")).Order();
    }

    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (var f in LabelFiles()) data.Add(f);
        return data;
    }

    [Fact]
    public void Samples_cover_every_family_and_every_stack()
    {
        var labels = LabelFiles().Where(f => f.Contains("samples")).SelectMany(LabelledCaptures.Read).ToList();
        Assert.Equal(
            ["antsword", "behinder", "benign", "chopper", "cmd", "godzilla", "iis-module", "regeorg", "scanner", "suo5", "weevely", "wso"],
            labels.Select(l => l.Family).Distinct().Order());
        Assert.Equal(7, labels.Where(l => l.Family == "benign").Select(l => l.DestIp).Distinct().Count());
    }

    [Fact]
    public void Samples_cover_every_variant_and_label_it_consistently()
    {
        var labels = LabelFiles().Where(f => f.Contains("samples")).SelectMany(LabelledCaptures.Read).Where(l => l.Variant is not null).ToList();
        string[] added =
        [
            "antsword/aspx", "antsword/aspxcsharp", "antsword/multipart", "behinder/aspx", "behinder/php", "cmd/image-upload", "cmd/stager",
            "godzilla/CSHARP_AES_BASE64", "godzilla/CSHARP_AES_RAW", "godzilla/JAVA_AES_BASE64", "godzilla/JAVA_AES_RAW", "godzilla/PHP_XOR_RAW",
            "scanner/dirb", "scanner/gobuster", "suo5/full", "suo5/half",
        ];
        Assert.Empty(added.Except(labels.Select(l => l.Variant!)));
        // A variant names its family first; an app is the server the request went to, one address each.
        Assert.All(labels.Where(l => l.Family != "benign"), l => Assert.StartsWith(l.Family + "/", l.Variant));
        Assert.All(labels.GroupBy(l => l.App), g => Assert.Single(g.Select(l => l.DestIp).Distinct()));
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
        Assert.Equal(0, stats.ReassemblyGapBytes.Values.Sum());
        // Every request of the lab gets its response: the servers are real and nothing was lost.
        Assert.All(records, r => Assert.NotNull(r.Transaction.Response));
    }
}
