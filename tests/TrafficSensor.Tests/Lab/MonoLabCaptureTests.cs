using System.Text;
using System.Text.RegularExpressions;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Lab;

/// <summary>
/// The mono-aspx samples (pcaps/lab/samples/*-mono.*): real ASP.NET WebForms on Mono
/// (fastcgi-mono-server4 behind nginx) with the lab's ASPX shells running for real. The sensor's
/// transactions must be tshark's (client, server, method, request-target, status, Host), every label
/// must name one of them, and the answers must be Mono's System.Web's and the shells' own framing.
/// </summary>
public class MonoLabCaptureTests
{
    private static readonly string SampleDir = Path.Combine(TestPaths.ProjectPcaps, "lab", "samples");

    private static readonly string[] Names = ["benign-mono", "webshell-godzilla-csharp-mono", "webshell-behinder-mono", "webshell-antsword-mono"];

    public static TheoryData<string> Samples() => new(Names);

    [Theory]
    [MemberData(nameof(Samples))]
    public void The_sensors_transactions_are_tsharks_with_their_hosts(string sample)
    {
        var pcap = Path.Combine(SampleDir, sample + ".pcap");
        var (records, stats) = SensorRun.Files([pcap]);
        var hosts = Tshark.Run(pcap, "http.request", "frame.number", "http.host").ToDictionary(f => f[0], f => f[1]);
        var frames = Tshark.Run(pcap, "http.request", "frame.number", "http.request.method", "http.request.uri").Select(f => f[0]).ToList();
        // Tshark.Transactions lists requests in frame order, as frames does: one request per frame here (no pipelining).
        var tshark = Tshark.Transactions(pcap).Select((t, i) => t + " " + hosts[frames[i]]).Order().ToList();
        var sensor = records.Where(r => r.Transaction.Request is not null)
            .Select(r => SensorRun.Tuple(r) + " " + r.Transaction.Request!.Header("Host")).Order().ToList();

        Assert.Equal(frames.Count, tshark.Count);
        Assert.Equal(tshark, sensor);
        Assert.Empty(stats.DecodeErrors);
        Assert.Equal(0, stats.ReassemblyGapBytes.Values.Sum());
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_label_names_a_transaction_of_the_mono_server(string sample)
    {
        var labels = LabelledCaptures.Read(Path.Combine(SampleDir, sample + ".labels.jsonl"));
        var (records, _) = SensorRun.Files([Path.Combine(SampleDir, sample + ".pcap")]);
        Assert.NotEmpty(labels);
        Assert.Equal(LabelledCaptures.Requests(labels), LabelledCaptures.Requests(records));
        Assert.All(labels, l => Assert.Equal(("127.0.90.1", 80, "mono-aspx"), (l.DestIp, l.DestPort, l.App)));
        Assert.All(records, r => Assert.Equal("intranet.lab.example", r.Transaction.Request!.Header("Host")));
    }

    [Fact]
    public void The_samples_hold_each_real_shell_variant_and_the_portals_users()
    {
        var labels = Names.SelectMany(s => LabelledCaptures.Read(Path.Combine(SampleDir, s + ".labels.jsonl"))).ToList();
        Assert.Equal(
            ["antsword/aspxcsharp", "behinder/aspx", "benign", "godzilla/CSHARP_AES_BASE64", "godzilla/CSHARP_AES_RAW"],
            labels.Select(l => l.Variant!).Distinct().Order());
        // Each session: the upload through the portal's buggy page, then calls of the dropped shell.
        Assert.All(labels.Where(l => l.Family != "benign").GroupBy(l => l.Variant), g =>
        {
            Assert.Equal("/admin/upload.aspx", g.First().Url);
            Assert.Contains(g, l => l.Phase == "command");
        });
        Assert.Superset(new HashSet<string> { "browse", "asset", "api", "form" }, labels.Where(l => l.Family == "benign").Select(l => l.Phase).ToHashSet());
    }

    [Fact]
    public void Mono_answers_as_aspnet_does_and_the_shells_answer_in_their_tools_framing()
    {
        var records = Names.SelectMany(s => SensorRun.Files([Path.Combine(SampleDir, s + ".pcap")]).Records).ToList();
        var pages = records.Where(r => r.Transaction.Request!.Target!.Split('?')[0].EndsWith(".aspx", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(pages);
        // System.Web on Mono behind nginx, not the Kestrel emulator's IIS look.
        Assert.All(pages, r => Assert.Equal("4.0.30319", r.Transaction.Response!.Header("X-AspNet-Version")));
        Assert.All(records, r => Assert.StartsWith("nginx", r.Transaction.Response!.Header("Server")));
        Assert.Contains(records, r => r.Transaction.Response!.Header("Set-Cookie") is { } c && Regex.IsMatch(c, "^ASP\\.NET_SessionId=[0-9A-F]{24}; path=/$", RegexOptions.NonBacktracking));
        // The benign portal's postbacks carry the view state of the page they came from, and are accepted.
        var postbacks = records.Where(r => r.Transaction.Request!.Method == "POST" && r.Transaction.Request.Target == "/contact.aspx").ToList();
        Assert.NotEmpty(postbacks);
        Assert.All(postbacks, r => Assert.Equal(200, r.Transaction.Response!.Status));
        Assert.All(postbacks, r => Assert.Contains(r.Transaction.Parameters, p => p.Name == "__VIEWSTATE" && p.Value.Length > 100));

        // Godzilla CSHARP_AES_BASE64 after the payload: md5(pass+key)[0:16] + base64(AES) + md5[16:], upper-case hex.
        var godzilla = LabelledCaptures.Read(Path.Combine(SampleDir, "webshell-godzilla-csharp-mono.labels.jsonl"));
        var base64Shell = godzilla.First(l => l.Variant == "godzilla/CSHARP_AES_BASE64" && l.Phase == "command").Url;
        var calls = records.Where(r => r.Transaction.Request!.Target == base64Shell).ToList();
        Assert.Equal(0, calls[0].Transaction.Response!.BodyLength); // the payload assembly, kept in the session: no answer
        Assert.All(calls.Skip(1), r => Assert.Matches("^[0-9A-F]{16}[A-Za-z0-9+/]+=*[0-9A-F]{16}$", Encoding.ASCII.GetString(r.Transaction.Response!.Body!)));
        // Behinder's answers are AES blocks.
        var behinder = LabelledCaptures.Read(Path.Combine(SampleDir, "webshell-behinder-mono.labels.jsonl")).First(l => l.Phase == "command").Url;
        Assert.All(records.Where(r => r.Transaction.Request!.Target == behinder), r => Assert.True(r.Transaction.Response!.BodyLength > 0 && r.Transaction.Response.BodyLength % 16 == 0));
    }
}
