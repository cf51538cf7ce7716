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

    private sealed record Label(string SrcIp, int SrcPort, string DestIp, int DestPort, string HttpMethod, string Url, string Family, string Phase, string App);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static List<Label> Read(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<Label>(l, Json)!).ToList();

    [Fact]
    public void Seven_applications_each_with_benign_labels_of_its_own()
    {
        var labels = Directory.EnumerateFiles(SampleDir, "svc-*.labels.jsonl").SelectMany(Read).ToList();
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
        var labels = Read(labelsPath);
        var (records, stats) = SensorRun.Files([labelsPath.Replace(".labels.jsonl", ".pcap")]);
        static string Key(string ip, int port, string dip, int dport, string? method, string? url) => $"{ip}:{port} {dip}:{dport} {method} {url}";
        var expected = labels.Select(l => Key(l.SrcIp, l.SrcPort, l.DestIp, l.DestPort, l.HttpMethod, l.Url)).Order().ToList();
        var actual = records.Where(r => r.Transaction.Request is not null)
            .Select(r => Key(r.ClientAddress.ToString(), r.ClientPort, r.ServerAddress.ToString(), r.ServerPort, r.Transaction.Request!.Method, r.Transaction.Request.Target))
            .Order().ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
        Assert.Empty(stats.DecodeErrors);
    }
}
