using System.Text.Json;
using System.Text.RegularExpressions;
using TrafficSensor.Tests.Metrics;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Deploy;

/// <summary>The operations files in deploy/ are checked against real tools and against what the sensor really exports.</summary>
public sealed partial class DeployFilesTests
{
    private static readonly string Deploy = Path.Combine(TestPaths.RepositoryRoot, "deploy");
    private static readonly string Prometheus = Path.Combine(Deploy, "prometheus");

    private static readonly Lazy<HashSet<string>> Exported = new(() =>
    {
        var files = Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "pcaps", "lab", "samples"), "*.pcap");
        var (text, _, _) = SensorMetricsTests.Scrape(files);
        return text.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[2]).ToHashSet();
    });

    [GeneratedRegex(@"\btrafficsensor_[a-z_]+")]
    private static partial Regex MetricName();

    /// <summary>Every trafficsensor_* name used is one the sensor exports (histogram series map to their family).</summary>
    private static void AssertExported(string where, string expression)
    {
        foreach (Match m in MetricName().Matches(expression))
        {
            var family = Regex.Replace(m.Value, "_(bucket|count|sum)$", "");
            Assert.True(Exported.Value.Contains(m.Value) || Exported.Value.Contains(family), $"{where}: {m.Value} is not a metric the sensor exports");
        }
    }

    [Fact]
    public void Prometheus_configuration_and_rules_pass_promtool()
    {
        var config = ExternalTool.Run("promtool", ["check", "config", "prometheus.yml"], Prometheus);
        Assert.True(config.Code == 0, config.Out + config.Err);
        var rules = ExternalTool.Run("promtool", ["check", "rules", "trafficsensor.rules.yml"], Prometheus);
        Assert.True(rules.Code == 0, rules.Out + rules.Err);
        Assert.Contains("11 rules found", rules.Out);
    }

    [Fact]
    public void Federation_example_passes_promtool_and_keeps_the_sensors_labels()
    {
        var (code, output, err) = ExternalTool.Run("promtool", ["check", "config", "federation.yml"], Prometheus);
        Assert.True(code == 0, output + err);
        var text = File.ReadAllText(Path.Combine(Prometheus, "federation.yml"));
        Assert.Contains("metrics_path: /federate", text);
        Assert.Contains("honor_labels: true", text);
    }

    [Fact]
    public void Alertmanager_configuration_passes_amtool_and_routes_every_rule_severity_to_its_receiver()
    {
        var alertmanager = Path.Combine(Deploy, "alertmanager");
        var (code, output, err) = ExternalTool.Run("amtool", ["check-config", "alertmanager.yml"], alertmanager);
        Assert.True(code == 0, output + err);

        string Route(params string[] labels)
        {
            var r = ExternalTool.Run("amtool", ["config", "routes", "test", "--config.file=alertmanager.yml", .. labels], alertmanager);
            Assert.True(r.Code == 0, r.Out + r.Err);
            return r.Out.Trim();
        }
        // Every severity the rules set has its receiver; web-shell alerts page.
        var rules = File.ReadAllText(Path.Combine(Prometheus, "trafficsensor.rules.yml"));
        var severities = Regex.Matches(rules, @"^\s+severity: (\w+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Equal(["page", "warning"], severities.Order());
        Assert.Equal("trafficsensor-page", Route("alertname=TrafficSensorWebShellAlert", "severity=page", "instance=s1:9464"));
        Assert.Equal("trafficsensor-page", Route("alertname=TrafficSensorDropping", "severity=page"));
        Assert.Equal("trafficsensor-tickets", Route("alertname=TrafficSensorMemoryCapReached", "severity=warning"));
    }

    [Fact]
    public void Alerting_rules_fire_as_their_unit_tests_say()
    {
        var (code, output, err) = ExternalTool.Run("promtool", ["test", "rules", "trafficsensor.rules.test.yml"], Prometheus);
        Assert.True(code == 0, output + err);
        Assert.Contains("SUCCESS", output);
    }

    [Fact]
    public void Rules_use_only_exported_metrics()
    {
        var text = File.ReadAllText(Path.Combine(Prometheus, "trafficsensor.rules.yml"));
        foreach (var line in text.Split('\n').Where(l => !l.TrimStart().StartsWith('#'))) AssertExported("rules", line);
        Assert.Contains("trafficsensor_alerts_total", text);
        Assert.Contains("trafficsensor_capture_kernel_drops_total", text);
    }

    [Fact]
    public void Grafana_dashboard_is_valid_provisionable_and_uses_exported_metrics()
    {
        var path = Path.Combine(Deploy, "grafana", "dashboards", "trafficsensor.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        Assert.Equal("trafficsensor", root.GetProperty("uid").GetString());
        var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray().Select(v => v.GetProperty("name").GetString()).ToList();
        Assert.Equal(["datasource", "job", "instance"], variables);

        var panels = root.GetProperty("panels").EnumerateArray().ToList();
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        var titles = new List<string>();
        foreach (var panel in panels)
        {
            var grid = panel.GetProperty("gridPos");
            Assert.InRange(grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32(), 1, 24);
            titles.Add(panel.GetProperty("title").GetString()!);
            if (panel.GetProperty("type").GetString() == "row") continue;
            Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                var expr = target.GetProperty("expr").GetString()!;
                Assert.Contains("job=~\"$job\"", expr);
                AssertExported(panel.GetProperty("title").GetString()!, expr);
            }
        }
        // What the issue asks the dashboard to show.
        foreach (var wanted in new[] { "Throughput", "Drops", "Flows", "HTTP transactions", "Alerts", "Anomaly score", "latency", "Memory" })
            Assert.Contains(titles, t => t.Contains(wanted, StringComparison.Ordinal));
    }

    [Fact]
    public void Grafana_dashboard_is_the_output_of_its_generator()
    {
        var regenerated = Path.Combine(Path.GetTempPath(), $"ts-dashboard-{Guid.NewGuid():N}.json");
        try
        {
            var (code, _, err) = ExternalTool.Run("python3", [Path.Combine(Deploy, "grafana", "make-dashboard.py"), regenerated]);
            Assert.True(code == 0, err);
            Assert.Equal(File.ReadAllText(Path.Combine(Deploy, "grafana", "dashboards", "trafficsensor.json")), File.ReadAllText(regenerated));
        }
        finally
        {
            File.Delete(regenerated);
        }
    }

    [Fact]
    public void Systemd_unit_and_Dockerfile_use_options_the_cli_has()
    {
        var help = CliHelp("live");
        var unit = File.ReadAllText(Path.Combine(Deploy, "systemd", "trafficsensor.service"));
        var dockerfile = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "Dockerfile"));
        // The sensor's command lines: the unit's ExecStart, the image's CMD and HEALTHCHECK, and the documented docker run.
        var commandLines = unit.Split('\n').Where(l => !l.StartsWith('#'))
            .Concat(dockerfile.Split('\n').Where(l => l.StartsWith("CMD") || l.StartsWith("  CMD") || l.StartsWith("#     trafficsensor:") || l.StartsWith("#       --")))
            .Select(l => l.Replace("trafficsensor:0.5.0", ""));
        var checkedOptions = 0;
        foreach (Match m in Regex.Matches(string.Join('\n', commandLines), @"(?<=[\s""])--[a-z][a-z-]+(?=[\s""=])"))
        {
            if (m.Value is "--interval" or "--timeout" or "--start-period" or "--retries") continue; // HEALTHCHECK's own
            Assert.True(help.Contains(m.Value + " ", StringComparison.Ordinal) || CliHelp("health").Contains(m.Value, StringComparison.Ordinal),
                $"{m.Value} is not an option of trafficsensor live/health");
            checkedOptions++;
        }
        Assert.True(checkedOptions >= 10, $"only {checkedOptions} options found");
        Assert.Contains("AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN", unit);
        Assert.Contains("USER trafficsensor", dockerfile);
        Assert.Contains("HEALTHCHECK", dockerfile);
        Assert.Matches(@"FROM mcr\.microsoft\.com/dotnet/sdk:\d+\.\d+\.\d+-", dockerfile);
        Assert.Matches(@"FROM mcr\.microsoft\.com/dotnet/runtime:\d+\.\d+\.\d+-", dockerfile);
        Assert.Contains("RUN deploy/build.sh", dockerfile);
    }

    private static string CliHelp(string verb)
    {
        var (_, output, err) = ExternalTool.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "trafficsensor.dll"), verb, "--help"]);
        return output + err;
    }
}
