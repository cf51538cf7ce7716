using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Cli;

/// <summary>
/// Scale-out and paging end to end: two fresh live sensors (one per web server, as two SPAN ports
/// would be), one Debian Prometheus scraping both with the shipped rules, one Debian Alertmanager
/// with the shipped deploy/alertmanager/alertmanager.yml (its webhook URLs pointed at a listener in
/// this test), and a central Prometheus federating the first with the shipped federation.yml.
/// A single web-shell request is each sensor's first alert: it must page, for its own instance only.
/// Needs root (or CAP_NET_RAW), php-cli, prometheus, prometheus-alertmanager and curl.
/// </summary>
[Collection("live capture")]
public sealed class AlertRoutingTests : IDisposable
{
    // Loopback addresses of this test's two web servers (127.0.90.x is the operations tests' range).
    private static readonly string[] Servers = ["127.0.90.1", "127.0.90.2"];
    private static readonly string Deploy = Path.Combine(TestPaths.RepositoryRoot, "deploy");

    private readonly LiveStack _stack = new();
    private readonly HttpListener _webhook = new();
    private readonly ConcurrentQueue<(string Path, JsonElement Body)> _notifications = new();

    public void Dispose()
    {
        if (_webhook.IsListening) _webhook.Stop();
        _webhook.Close();
        _stack.Dispose();
    }

    /// <summary>The paging integration: records every notification Alertmanager posts.</summary>
    private int StartWebhook()
    {
        var port = LiveStack.FreePort();
        _webhook.Prefixes.Add($"http://127.0.0.1:{port}/");
        _webhook.Start();
        _ = Task.Run(async () =>
        {
            while (_webhook.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _webhook.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                using (var reader = new StreamReader(context.Request.InputStream))
                {
                    using var doc = JsonDocument.Parse(await reader.ReadToEndAsync());
                    _notifications.Enqueue((context.Request.Url!.AbsolutePath, doc.RootElement.Clone()));
                }
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });
        return port;
    }

    /// <summary>Firing web-shell pages received so far, by the instance they name.</summary>
    private List<(string Path, string Receiver, string Instance)> Pages() =>
        _notifications.Where(n => n.Body.GetProperty("status").GetString() == "firing")
            .SelectMany(n => n.Body.GetProperty("alerts").EnumerateArray()
                .Where(a => a.GetProperty("status").GetString() == "firing"
                            && a.GetProperty("labels").GetProperty("alertname").GetString() == "TrafficSensorWebShellAlert")
                .Select(a => (n.Path, n.Body.GetProperty("receiver").GetString()!, a.GetProperty("labels").GetProperty("instance").GetString()!)))
            .ToList();

    /// <summary>Uses the shell until the sensor's alert counter leaves 0 (one request with the default model).</summary>
    private void FirstAlert(int prometheusPort, string site, string instance)
    {
        var alerts = $"sum(trafficsensor_alerts_total{{instance=\"{instance}\"}})";
        foreach (var command in new[] { "id", "whoami", "uname -a", "ls -la", "cat lab-notes.txt" })
        {
            LiveStack.Curl("-G", "--data-urlencode", $"cmd={command}", $"{site}/uploads/cmd.php");
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                if (_stack.Query(prometheusPort, alerts) >= 1) return;
                Thread.Sleep(250);
            }
        }
        Assert.Fail($"the sensor at {instance} raised no alert on five web-shell requests");
    }

    [Fact]
    public void Two_fresh_sensors_page_through_Prometheus_and_Alertmanager_on_their_first_alert_and_federate()
    {
        var webhookPort = StartWebhook();
        var alertmanagerConfig = File.ReadAllText(Path.Combine(Deploy, "alertmanager", "alertmanager.yml"));
        Assert.Contains("http://127.0.0.1:9095/", alertmanagerConfig);
        var alertmanagerPort = _stack.StartAlertmanager(alertmanagerConfig.Replace("http://127.0.0.1:9095/", $"http://127.0.0.1:{webhookPort}/"));

        // --- two web servers, each watched by its own fresh sensor (one flow worker each: 2 cores)
        var sites = new List<string>();
        var instances = new List<string>();
        for (var i = 0; i < Servers.Length; i++)
        {
            var webPort = _stack.StartShellSite(Servers[i], $"php-{i}");
            var metricsPort = LiveStack.FreePort();
            _stack.StartSensor($"sensor-{i}.log", metricsPort, "-i", "lo", "--bpf", $"host {Servers[i]} and tcp port {webPort}",
                "--workers", "1", "--alerts", Path.Combine(_stack.Directory, $"alerts-{i}.json"), "--status-interval", "0");
            sites.Add($"http://{Servers[i]}:{webPort}");
            instances.Add($"127.0.0.1:{metricsPort}");
        }

        // --- one Prometheus for both, evaluating the shipped rules every second, sending to the Alertmanager
        var rules = Path.Combine(Deploy, "prometheus", "trafficsensor.rules.yml");
        var prometheusPort = _stack.StartPrometheus("prometheus", $$"""
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            rule_files: ["{{rules}}"]
            alerting:
              alertmanagers: [{static_configs: [{targets: ["127.0.0.1:{{alertmanagerPort}}"]}]}]
            scrape_configs:
              - job_name: trafficsensor
                static_configs:
                  - {targets: ["{{instances[0]}}"], labels: {sensor: span-0} }
                  - {targets: ["{{instances[1]}}"], labels: {sensor: span-1} }
            """);
        _stack.WaitForTargets(prometheusPort, 2);

        // Fresh sensors export their alert counters at 0 before any alert: every category and severity, on both sensors.
        var series = 2 * TrafficSensor.Output.AlertClassification.Categories.Count * TrafficSensor.Output.AlertClassification.Severities.Count;
        _stack.WaitFor("the alert counters of both sensors at 0", () => _stack.Query(prometheusPort, "count(trafficsensor_alerts_total == 0)") == series);
        foreach (var site in sites) LiveStack.BrowseSite(site);

        // --- the first alert of sensor 0: one request to the shell (more only if the model lets one pass)
        FirstAlert(prometheusPort, sites[0], instances[0]);
        // Alertmanager waits group_wait (30 s) before the first notification of a group.
        _stack.WaitFor("the page for sensor 0 at the webhook", () => Pages().Any(p => p.Instance == instances[0]), 120);
        var page = Pages().First(p => p.Instance == instances[0]);
        Assert.Equal("trafficsensor-page", page.Receiver);
        Assert.Equal("/trafficsensor/page", page.Path);
        Assert.DoesNotContain(Pages(), p => p.Instance == instances[1]);

        // --- then sensor 1's first alert pages separately (Alertmanager groups by alert name and instance)
        FirstAlert(prometheusPort, sites[1], instances[1]);
        _stack.WaitFor("the page for sensor 1 at the webhook", () => Pages().Any(p => p.Instance == instances[1]), 120);
        Assert.All(Pages(), p => Assert.Equal("trafficsensor-page", p.Receiver));
        foreach (var (_, body) in _notifications)
        {
            var group = body.GetProperty("groupLabels");
            Assert.Equal("TrafficSensorWebShellAlert", group.GetProperty("alertname").GetString());
            Assert.Contains(group.GetProperty("instance").GetString(), instances);
        }

        // --- the dashboard by instance: every panel drawn per instance shows both sensors
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Deploy, "grafana", "dashboards", "trafficsensor.json")));
        var perInstance = 0;
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray().Where(p => p.TryGetProperty("targets", out _)))
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray().Where(t => t.GetProperty("legendFormat").GetString()!.Contains("{{instance}}")))
            {
                var expr = target.GetProperty("expr").GetString()!.Replace("$job", "trafficsensor").Replace("$instance", ".*").Replace("$__rate_interval", "1m");
                var shown = _stack.QueryAll(prometheusPort, expr).Select(r => r.Labels.GetValueOrDefault("instance")).ToHashSet();
                Assert.True(instances.All(shown.Contains), $"{panel.GetProperty("title").GetString()}: {expr} shows [{string.Join(", ", shown)}]");
                perInstance++;
            }
        }
        Assert.True(perInstance >= 10, $"{perInstance} per-instance panel queries");

        // --- a central Prometheus federating this one with the shipped federation.yml keeps job and instance
        var federation = File.ReadAllText(Path.Combine(Deploy, "prometheus", "federation.yml"))
            .Replace("scrape_interval: 30s", "scrape_interval: 1s")
            .Replace("""targets: ["site-a-prometheus:9090", "site-b-prometheus:9090"]""", $"""targets: ["127.0.0.1:{prometheusPort}"]""");
        var centralPort = _stack.StartPrometheus("central", federation);
        _stack.WaitFor("the central Prometheus to hold both sensors' alerts", () =>
            _stack.QueryAll(centralPort, "sum by (job, instance) (trafficsensor_alerts_total) >= 1").Count == 2
            && _stack.QueryAll(centralPort, "ALERTS{alertname=\"TrafficSensorWebShellAlert\",alertstate=\"firing\"}").Count == 2);
        Assert.Equal(instances.Order(), _stack.QueryAll(centralPort, "up{job=\"trafficsensor\"} == 1").Select(r => r.Labels["instance"]).Order());
    }
}
