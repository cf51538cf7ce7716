using TrafficSensor.Capture;
using TrafficSensor.Decoding;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Detection;

/// <summary>
/// Scans read as scans: a client refused on many distinct paths of a server alerts as <see cref="AlertKind.Scanner"/>,
/// one thread per client and server, severity 3, counted rather than scored; benign clients with a few 404s do not.
/// </summary>
public class ScanDetectionTests
{
    private static List<TransactionRecord> Alerts(params string[] inputs) => Alerts(new SensorOptions(), inputs);

    private static List<TransactionRecord> Alerts(SensorOptions options, params string[] inputs) =>
        SensorRun.Scored(options, inputs).Where(r => r.Verdict is { Alert: true }).ToList();

    private static string Sample(string name) => Path.Combine(TestPaths.ProjectPcaps, "lab", "samples", name);

    [Theory]
    [InlineData("scanner-dirb")]
    [InlineData("scanner-gobuster")]
    public void A_directory_brute_force_alerts_as_a_scanner_in_one_thread_of_severity_3(string capture)
    {
        var labels = LabelledCaptures.Read(Sample(capture + ".labels.jsonl"));
        var scanner = Assert.Single(labels.Where(l => l.Family == "scanner").Select(l => l.SrcIp).Distinct());
        // The count alone (gobuster also names itself: ToolAgentDetectionTests).
        var alerts = Alerts(new SensorOptions { Scan = new ScanOptions { ToolUserAgents = false } }, Sample(capture + ".pcap"));

        Assert.NotEmpty(alerts);
        Assert.All(alerts, a =>
        {
            Assert.Equal(scanner, a.ClientAddress.ToString());
            Assert.Equal(AlertKind.Scanner, a.Verdict!.Kind);
            Assert.Equal(3, AlertClassification.Severity(a.Verdict, a.Features));
            Assert.InRange(a.Transaction.Response!.Status, 400, 499);
            Assert.Equal(ScanDetection.ReasonFeature, a.Verdict.Reasons[0].Feature);
            Assert.StartsWith("refused on ", ReasonText.Describe(a.Verdict.Reasons[0]));
        });
        // From the threshold on, every refused request of the scan alerts.
        var refused = labels.Count(l => l.Family == "scanner") - new SensorOptions().Scan.MinRefusedPaths + 1;
        Assert.InRange(alerts.Count, refused / 2, refused);
        var threads = new AlertThreads();
        Assert.Single(alerts.Select(a => threads.Assign(a).Id).Distinct());
    }

    [Fact]
    public void The_lab_samples_alert_on_the_operators_and_the_scanners_only()
    {
        var samples = Path.Combine(TestPaths.ProjectPcaps, "lab", "samples");
        var labels = Directory.GetFiles(samples, "*.labels.jsonl").SelectMany(LabelledCaptures.Read).ToList();
        var scanRequests = labels.Where(l => l.Family == "scanner").Select(l => (l.SrcIp, l.SrcPort, l.Url)).ToHashSet();
        var attackRequests = labels.Where(l => l.Family != "benign").Select(l => (l.SrcIp, l.SrcPort, l.Url)).ToHashSet();
        var alerts = Alerts(samples);

        var scans = alerts.Where(a => a.Verdict!.Kind == AlertKind.Scanner).ToList();
        Assert.NotEmpty(scans);
        // Counted scans are the scanners'; a tool's User-Agent may also name a web-shell operator's tool (the stager's sqlmap).
        Assert.All(scans.Where(a => a.Verdict!.Detector != ToolAgentDetection.Detector),
            a => Assert.Contains((a.ClientAddress.ToString(), (int)a.ClientPort, a.Transaction.Request!.Target!), scanRequests));
        Assert.All(scans, a => Assert.Contains((a.ClientAddress.ToString(), (int)a.ClientPort, a.Transaction.Request!.Target!), attackRequests));
        // Nothing but scans on the scanners' requests, and the web shells' alerts where they were.
        Assert.All(alerts.Where(a => a.Verdict!.Kind != AlertKind.Scanner), a =>
            Assert.DoesNotContain((a.ClientAddress.ToString(), (int)a.ClientPort, a.Transaction.Request!.Target!), scanRequests));
        Assert.All(alerts, a => Assert.StartsWith("127.0.66.", a.ClientAddress.ToString()));
    }

    [Fact]
    public void Benign_browsing_with_a_few_refusals_raises_no_scanner_alert()
    {
        var apps = Path.Combine(TestPaths.ProjectPcaps, "apps", "samples");
        var records = SensorRun.Scored(new SensorOptions(), apps);
        Assert.Contains(records, r => r.Transaction.Response?.Status is >= 400 and < 500);
        Assert.DoesNotContain(records, r => r.Verdict is { Alert: true, Kind: AlertKind.Scanner });
    }

    private static readonly IpAddress Client = IpAddress.Parse("10.9.0.1");
    private static readonly IpAddress Server = IpAddress.Parse("10.9.0.2");

    private static PathSnapshot Refused(BehaviourState state, string path, long seconds, int status = 404) =>
        state.Observe(Client, Server, 80, path, seconds * 1_000_000, false, false, 100, status: status).Path;

    [Fact]
    public void Refused_paths_count_within_the_window_only_and_the_latest_are_kept()
    {
        var state = new BehaviourState(scanWindowMicros: 60_000_000);
        for (var i = 0; i < 10; i++) Refused(state, $"/old{i}", i);
        Assert.Equal(10, Refused(state, "/old0", 10).RecentClientErrorPaths); // the same path again is not a new one
        var later = Refused(state, "/new", 200);
        Assert.Equal(1, later.RecentClientErrorPaths); // the first ten fell out of the window
        Assert.Equal(11, later.ClientErrorPaths);       // the model's count has no window
        Assert.Equal(0, Refused(state, "/page", 201, status: 200).RecentClientErrorPaths); // an answered request is no refusal

        // Beyond the cap the oldest paths give way: a long sweep keeps counting at the cap.
        for (var i = 0; i < 200; i++) Refused(state, $"/sweep{i}", 300 + i / 10);
        var sweep = Refused(state, "/sweep-last", 330);
        Assert.Equal(BehaviourState.MaxErrorPathsTracked, sweep.ClientErrorPaths);
        Assert.Equal(BehaviourState.MaxErrorPathsTracked, sweep.RecentClientErrorPaths);
    }

    [Fact]
    public void A_resumed_state_keeps_when_each_path_was_refused()
    {
        var state = new BehaviourState(scanWindowMicros: 60_000_000);
        for (var i = 0; i < 5; i++) Refused(state, $"/early{i}", i);
        for (var i = 0; i < 5; i++) Refused(state, $"/late{i}", 100 + i);
        var file = Path.Combine(Path.GetTempPath(), $"ts-scan-{Guid.NewGuid():N}.state");
        try
        {
            new LearnedState(state, new ServerBaselines()).Save(file);
            var resumed = LearnedState.Load(file).Behaviour;
            resumed.ScanWindowMicros = 60_000_000;
            // The five early paths are out of the window, the five late ones and this one in.
            Assert.Equal(6, Refused(resumed, "/after", 110).RecentClientErrorPaths);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void An_authorised_scanner_is_suppressed_by_the_scan_detector_or_reason_and_the_options_are_read()
    {
        var file = Path.Combine(Path.GetTempPath(), $"ts-scan-{Guid.NewGuid():N}.yaml");
        try
        {
            File.WriteAllText(file, "scan:\n  min_refused_paths: 40\n  window: 2m\nsuppressions:\n  - name: pentest\n    client: 10.9.0.1\n    detector: scan\n    reasons: [scan_refused_paths]\n");
            var configuration = TrafficSensor.Configuration.ConfigurationLoader.Load(file);
            Assert.Equal(new ScanOptions { MinRefusedPaths = 40, Window = TimeSpan.FromMinutes(2) }, configuration.Sensor.Scan);
            var rule = Assert.Single(configuration.Suppressions.Rules);
            var scan = new SuppressionRule.Alert(System.Net.IPAddress.Parse("10.9.0.2"), 80, "/admin", System.Net.IPAddress.Parse("10.9.0.1"),
                ScanDetection.ReasonFeature, ScanDetection.Detector);
            Assert.True(rule.Matches(scan));
            Assert.False(rule.Matches(scan with { Detector = "anomaly", StrongestReason = "command_tokens" }));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void The_count_files_a_scan_unless_the_model_sees_something_else()
    {
        var options = new ScanOptions { MinRefusedPaths = 30 };
        var quiet = new Verdict(1, 2, false, [], "m");
        FeatureVector Refusals(int n, params string[] evidence)
        {
            var v = new FeatureVector { RecentRefusedPaths = n };
            foreach (var e in evidence) v[e] = 1;
            return v;
        }

        Assert.Same(quiet, ScanDetection.Apply(quiet, Refusals(29), options));
        var scan = ScanDetection.Apply(quiet, Refusals(30), options);
        Assert.True(scan.Alert);
        Assert.Equal(AlertKind.Scanner, scan.Kind);
        Assert.Equal(ScanDetection.Detector, scan.Detector);
        Assert.Equal("refused on 30 distinct paths of this server in 5 minutes (at least 30 make a scan: guessing paths)", ReasonText.Describe(scan.Reasons[0]));
        // Web-shell evidence wins: a probe that carries a command is the shell's, not a scan.
        Assert.False(ScanDetection.Apply(quiet, Refusals(40, "command_tokens"), options).Alert);
        var shell = quiet with { Alert = true, Kind = AlertKind.WebShell, Detector = "anomaly" };
        Assert.Same(shell, ScanDetection.Apply(shell, Refusals(40), options));
        Assert.False(ScanDetection.Apply(quiet, Refusals(64), options with { MinRefusedPaths = 0 }).Alert);
    }
}
