using CsCheck;
using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Detection;

/// <summary>
/// Attack tools that name themselves in their User-Agent alert as scanners (detector <c>tool_agent</c>): the lab's
/// sqlmap-style stager from its first, untouched request; benign traffic and generic clients (curl, python-requests)
/// never do; the option turns the rule off and a suppression rule silences it.
/// </summary>
public class ToolAgentDetectionTests
{
    private static List<TransactionRecord> Records(SensorOptions options, params string[] inputs) => SensorRun.Scored(options, inputs);

    private static string Sample(string name) => Path.Combine(TestPaths.ProjectPcaps, "lab", "samples", name);

    [Theory]
    [InlineData("sqlmap/1.7.2#stable (https://sqlmap.org)", "sqlmap")]
    [InlineData("Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:Port Check)", "Nikto")]
    [InlineData("gobuster/3.6", "gobuster")]
    [InlineData("Wfuzz/3.1.0", "wfuzz")]
    [InlineData("Fuzz Faster U Fool v2.1.0-dev", "ffuf")]
    [InlineData("feroxbuster/2.10.1", "feroxbuster")]
    [InlineData("Nuclei - Open-source project (github.com/projectdiscovery/nuclei)", "nuclei")]
    [InlineData("WPScan v3.8.22 (https://wpscan.com/wordpress-security-scanner)", "WPScan")]
    [InlineData("DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)", "DirBuster")]
    [InlineData("Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)", "Nmap Scripting Engine")]
    [InlineData("masscan/1.3 (https://github.com/robertdavidgraham/masscan)", "masscan")]
    [InlineData("Mozilla/5.0 zgrab/0.x", "zgrab")]
    [InlineData("Mozilla/5.0 (compatible; Acunetix Web Vulnerability Scanner)", "Acunetix")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Netsparker", "Netsparker")]
    [InlineData("SQLMAP/1.8#dev", "sqlmap")]
    public void Each_tools_default_user_agent_names_it(string userAgent, string tool) =>
        Assert.Equal(tool, AttackToolAgents.Named(userAgent));

    [Theory]
    [InlineData("curl/8.5.0")]
    [InlineData("python-requests/2.31.0")]
    [InlineData("Go-http-client/1.1")]
    [InlineData("Java/17.0.9")]
    [InlineData("Wget/1.21.4")]
    [InlineData("Prometheus/2.45.3")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36")]
    [InlineData("Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)")] // dirb's default: a browser's, so the count catches dirb
    [InlineData("")]
    public void Generic_clients_and_browsers_name_no_tool(string userAgent) => Assert.Null(AttackToolAgents.Named(userAgent));

    [Fact]
    public void A_tool_token_is_found_anywhere_in_any_header_value_and_random_values_name_none_spuriously()
    {
        Gen.Select(Gen.String[Gen.Char['a', 'z'], 0, 40], Gen.String[Gen.Char['a', 'z'], 0, 40], Gen.Int[0, 1])
            .Sample((before, after, which) =>
            {
                var token = which == 0 ? "Nmap Scripting Engine" : "feroxbuster/";
                var named = AttackToolAgents.Named($"{before} {token.ToUpperInvariant()}{after}");
                return named == (which == 0 ? "Nmap Scripting Engine" : "feroxbuster");
            });
        // Digits, spaces and punctuation only: none of the tokens can occur.
        Gen.String[Gen.Char["0123456789 ./;()-_"], 0, 200].Sample(s => AttackToolAgents.Named(s) is null);
    }

    [Fact]
    public void The_sqlmap_stagers_first_untouched_request_alerts_as_a_scanner_naming_sqlmap()
    {
        var labels = LabelledCaptures.Read(Sample("webshell-cmd-stager.labels.jsonl"));
        var records = Records(new SensorOptions(), Sample("webshell-cmd-stager.pcap"));
        var sqlmap = records.Where(r => r.Features!.AttackTool == "sqlmap").ToList();
        Assert.NotEmpty(sqlmap);
        Assert.All(sqlmap, r => Assert.True(r.Verdict!.Alert));

        var first = sqlmap[0];
        Assert.Equal(labels[0].Url, first.Transaction.Request!.Target);
        Assert.DoesNotContain("%20", first.Transaction.Request.Target); // untouched: no injection yet
        Assert.Equal(ToolAgentDetection.Detector, first.Verdict!.Detector);
        Assert.Equal(AlertKind.Scanner, first.Verdict.Kind);
        Assert.Equal(3, AlertClassification.Severity(first.Verdict, first.Features));
        Assert.Equal("User-Agent names the attack tool sqlmap", ReasonText.Describe(first.Verdict.Reasons[0]));
        // The injections and the shell's commands stay the model's web-shell alerts: the model's kind wins.
        Assert.Contains(sqlmap, r => r.Verdict!.Kind == AlertKind.WebShell && r.Verdict.Detector != ToolAgentDetection.Detector);

        // Off: the first request is missed again, the rest are the model's as before.
        var off = Records(new SensorOptions { Scan = new ScanOptions { ToolUserAgents = false } }, Sample("webshell-cmd-stager.pcap"));
        Assert.DoesNotContain(off, r => r.Verdict!.Detector == ToolAgentDetection.Detector);
        Assert.False(off.Single(r => r.Transaction.TimestampMicros == first.Transaction.TimestampMicros).Verdict!.Alert);
    }

    [Fact]
    public void Gobuster_alerts_from_its_first_request_in_one_thread_and_the_count_takes_over_at_its_threshold()
    {
        var records = Records(new SensorOptions(), Sample("scanner-gobuster.pcap"));
        Assert.All(records, r => Assert.Equal("gobuster", r.Features!.AttackTool));
        Assert.All(records, r => Assert.True(r.Verdict!.Alert));
        var threads = new AlertThreads();
        Assert.Single(records.Select(r => threads.Assign(r).Id).Distinct());
        var byTool = records.TakeWhile(r => r.Verdict!.Detector == ToolAgentDetection.Detector).Count();
        // Until the count's threshold: the scan's first 29 refusals and the paths that exist, which the count never files.
        Assert.Equal(new SensorOptions().Scan.MinRefusedPaths - 1, records.Take(byTool)
            .Where(r => r.Transaction.Response!.Status is >= 400 and < 500).Select(r => FeatureExtractor.RequestPath(r.Transaction)).Distinct().Count());
        // Beyond the threshold the count's detector stays, with the tool's name as the first reason.
        Assert.All(records.Skip(byTool), r =>
        {
            Assert.Equal(ScanDetection.Detector, r.Verdict!.Detector);
            Assert.Equal(ToolAgentDetection.ReasonFeature, r.Verdict.Reasons[0].Feature);
            Assert.Equal(ScanDetection.ReasonFeature, r.Verdict.Reasons[1].Feature);
        });
    }

    [Fact]
    public void No_benign_capture_names_a_tool_nor_raises_a_tool_alert()
    {
        var benign = Directory.GetFiles(Path.Combine(TestPaths.ProjectPcaps, "lab", "samples"), "benign-*.pcap")
            .Append(Path.Combine(TestPaths.ProjectPcaps, "apps", "samples"))
            .Append(Path.Combine(TestPaths.SharedRealPcaps, "benign-http-cs-espn.pcapng"))
            .Append(Path.Combine(TestPaths.SharedRealPcaps, "benign-http-zeek-broorg.pcap"))
            .Append(Path.Combine(TestPaths.SharedRealPcaps, "benign-http-zeek-wikipedia.pcap")).ToArray();
        var records = Records(new SensorOptions(), benign);
        Assert.True(records.Count > 1000, $"only {records.Count} benign transactions");
        Assert.Contains(records, r => r.Transaction.Request?.Header("User-Agent") is { Length: > 0 });
        Assert.DoesNotContain(records, r => r.Features!.AttackTool is not null);
        Assert.DoesNotContain(records, r => r.Verdict!.Detector == ToolAgentDetection.Detector);
    }

    [Fact]
    public void The_rule_keeps_the_models_other_kinds_and_is_suppressed_by_its_detector_or_reason()
    {
        var options = new ScanOptions();
        var quiet = new Verdict(1, 2, false, [], "m");
        var curl = new FeatureVector();
        var nikto = new FeatureVector { AttackTool = "Nikto" };
        Assert.Same(quiet, ToolAgentDetection.Apply(quiet, curl, options));
        Assert.Same(quiet, ToolAgentDetection.Apply(quiet, nikto, options with { ToolUserAgents = false }));
        var shell = quiet with { Alert = true, Kind = AlertKind.WebShell, Detector = "anomaly" };
        Assert.Same(shell, ToolAgentDetection.Apply(shell, nikto, options));
        var alert = ToolAgentDetection.Apply(quiet, nikto, options);
        Assert.Equal((true, AlertKind.Scanner, ToolAgentDetection.Detector), (alert.Alert, alert.Kind, alert.Detector));

        var file = Path.Combine(Path.GetTempPath(), $"ts-tool-{Guid.NewGuid():N}.yaml");
        try
        {
            File.WriteAllText(file, "scan:\n  tool_user_agents: false\nsuppressions:\n  - name: pentest\n    client: 10.9.0.1\n    detector: tool_agent\n    reasons: [tool_user_agent]\n");
            var configuration = TrafficSensor.Configuration.ConfigurationLoader.Load(file);
            Assert.False(configuration.Sensor.Scan.ToolUserAgents);
            var rules = configuration.Suppressions;
            var record = Records(new SensorOptions(), Sample("webshell-cmd-stager.pcap")).First(r => r.Verdict!.Detector == ToolAgentDetection.Detector);
            var output = new CollectingOutput();
            var pentester = System.Net.IPAddress.Parse(record.ClientAddress.ToString());
            new SuppressingOutput(new SuppressionRules([rules.Rules[0] with { Client = new System.Net.IPNetwork(pentester, 32) }]), output).Write(record);
            Assert.Equal("pentest", Assert.Single(output.Records).SuppressedBy);
            Assert.False(output.Records[0].Verdict!.Alert);
            // Another client's sqlmap is not the pentester's.
            output = new CollectingOutput();
            new SuppressingOutput(rules, output).Write(record);
            Assert.True(Assert.Single(output.Records).Verdict!.Alert);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
