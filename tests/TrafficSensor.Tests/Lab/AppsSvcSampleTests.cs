using System.Text.Json;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Lab;

/// <summary>
/// The non-PHP samples of the apps lab (pcaps/apps/samples/svc-*): labels were written from
/// tshark's reading of the capture; the sensor's replay must find exactly the same requests
/// (binary OCSP and git pack bodies, long polls, chunked and empty-body requests included), with
/// no decode errors and a response for each.
/// </summary>
public class AppsSvcSampleTests
{
    private static readonly string SampleDir = Path.Combine(TestPaths.ProjectPcaps, "apps", "samples");

    public static TheoryData<string> Samples()
    {
        var data = new TheoryData<string>();
        if (Directory.Exists(SampleDir))
            foreach (var f in Directory.EnumerateFiles(SampleDir, "svc-*.labels.jsonl").Order()) data.Add(Path.GetFileName(f));
        return data;
    }

    [Fact]
    public void Seven_applications_each_with_benign_labels_of_its_own()
    {
        var labels = Directory.EnumerateFiles(SampleDir, "svc-*.labels.jsonl").SelectMany(LabelledCaptures.Read).ToList();
        Assert.Equal(["aptrepo", "flask", "githttp", "ocsp", "prometheus", "shopapi", "tomcatmgr"], labels.Select(l => l.App).Distinct().Order());
        Assert.All(labels, l => Assert.Equal("benign", l.Family));
        // Beyond GET and POST: the variety the lab was built for.
        Assert.Superset(new HashSet<string> { "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD" }, labels.Select(l => l.HttpMethod).ToHashSet());
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void The_sensor_finds_every_labelled_request_and_no_other(string sample)
    {
        var labelsPath = Path.Combine(SampleDir, sample);
        var labels = LabelledCaptures.Read(labelsPath);
        var (records, stats) = SensorRun.Files([labelsPath.Replace(".labels.jsonl", ".pcap")]);
        var expected = LabelledCaptures.Requests(labels);
        var actual = LabelledCaptures.Requests(records);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
        Assert.Empty(stats.DecodeErrors);
    }
}
