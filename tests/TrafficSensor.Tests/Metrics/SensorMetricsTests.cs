using System.Text;
using System.Text.RegularExpressions;
using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Metrics;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Metrics;

public sealed class SensorMetricsTests
{
    /// <summary>Replays real captures with the metrics attached and returns the exposition text Prometheus would scrape.</summary>
    internal static (string Text, SensorStatistics Stats, IReadOnlyList<TransactionRecord> Records) Scrape(IReadOnlyList<string> files)
    {
        var model = AnomalyModel.Load(Path.Combine(TestPaths.RepositoryRoot, "models", "default.zip"));
        var metrics = new SensorMetrics(new MetricsContext("replay", model.Name, FeatureSchema.Version, model.Threshold, 16));
        var collect = new CollectingOutput();
        var pipeline = new SensorPipeline(new SensorOptions(), new TeeOutput(metrics, collect), model);
        metrics.Attach(pipeline.Snapshot, () => false);
        var stats = pipeline.Replay(files);
        using var stream = new MemoryStream();
        metrics.Registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        return (Encoding.UTF8.GetString(stream.ToArray()), stats, collect.Records);
    }

    internal static double Value(string text, string series)
    {
        var sum = 0.0;
        var found = false;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#')) continue;
            var space = line.LastIndexOf(' ');
            if (space < 0) continue;
            var name = line[..space];
            if (name == series || (!series.Contains('{') && name.StartsWith(series + "{", StringComparison.Ordinal)))
            {
                sum += double.Parse(line[(space + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                found = true;
            }
        }
        Assert.True(found, $"{series} not exported");
        return sum;
    }

    private static string Sample(string name) => Path.Combine(TestPaths.RepositoryRoot, "pcaps", "lab", "samples", name);

    [Fact]
    public void Exported_counters_match_the_run_and_the_records()
    {
        var files = new[] { Sample("benign-wiki.pcap"), Sample("webshell-cmd.pcap"), Sample("webshell-chopper.pcap") };
        var (text, stats, records) = Scrape(files);

        Assert.Equal(stats.Packets, Value(text, "trafficsensor_packets_total"));
        Assert.Equal(stats.Bytes, Value(text, "trafficsensor_bytes_total"));
        Assert.Equal(stats.FlowsCreated, Value(text, "trafficsensor_flows_created_total"));
        Assert.Equal(stats.HttpTransactions, Value(text, "trafficsensor_http_transactions_total"));
        Assert.Equal(records.Count(r => r.Transaction.Request?.Method == "POST" && r.Transaction.Response?.Status is >= 200 and < 300),
            Value(text, "trafficsensor_http_transactions_total{app_proto=\"http\",method=\"POST\",status_class=\"2xx\"}"));
        var alerts = records.Count(r => r.Verdict is { Alert: true });
        Assert.True(alerts > 0);
        Assert.Equal(alerts, Value(text, "trafficsensor_alerts_total"));
        Assert.Equal(records.Count(r => r.Verdict is not null), Value(text, "trafficsensor_anomaly_score_count"));
        Assert.Equal(stats.FlowsEnded.Values.Sum(), Value(text, "trafficsensor_flows_ended_total"));
        Assert.Equal(1, Value(text, $"trafficsensor_model_info{{model=\"default\",schema=\"{FeatureSchema.Version}\",threshold=\"" +
                                     new Regex("threshold=\"([^\"]+)\"").Match(text).Groups[1].Value + "\"}"));
        Assert.Equal(0, Value(text, "trafficsensor_capture_running"));
        // Replay has no libpcap live statistics and no latency (packet times are in the past).
        Assert.Equal(0, Value(text, "trafficsensor_capture_kernel_drops_total"));
        Assert.Equal(0, Value(text, "trafficsensor_processing_latency_seconds_count"));
    }

    /// <summary>The sum of every series of the exposition whose name and labels start with <paramref name="prefix"/>.</summary>
    private static double Sum(string text, string prefix) => text.Split('\n')
        .Where(line => line.StartsWith(prefix, StringComparison.Ordinal))
        .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void Http2_transactions_are_counted_as_http2_not_in_the_http1_totals()
    {
        // nginx with prior knowledge, and Apache mod_http2 reached by an HTTP/1.1 Upgrade: h2c.
        var files = new[] { "h2-nginx-prior.pcap", "h2-apache.pcap" }.Select(f => Path.Combine(TestPaths.ProjectPcaps, "h2", f)).ToArray();
        var (text, stats, records) = Scrape(files);
        long http1 = records.Count(r => r.AppProto == "http"), http2 = records.Count(r => r.AppProto == "http2");
        Assert.True(http2 > 0);

        // The summary's and --stats' HTTP figures are HTTP/1's; HTTP/2's are its own.
        Assert.Equal(http1, stats.HttpTransactions);
        Assert.Equal(http1, stats.AppProtocols["http"]["transactions"]);
        Assert.Equal(http2, stats.AppProtocols["http2"]["transactions"]);
        Assert.Equal(http2, stats.AppRecords["http2"]);

        Assert.Equal(http1, Sum(text, "trafficsensor_http_transactions_total{app_proto=\"http\","));
        Assert.Equal(http2, Sum(text, "trafficsensor_http_transactions_total{app_proto=\"http2\","));
        Assert.Equal(http1, Value(text, "trafficsensor_app_events_total{app_proto=\"http\",event=\"transactions\"}"));
        Assert.Equal(http2, Value(text, "trafficsensor_app_events_total{app_proto=\"http2\",event=\"transactions\"}"));
        Assert.Equal(stats.HttpAnomalies.Values.Sum(), Sum(text, "trafficsensor_http_anomalies_total{app_proto=\"http\","));
        Assert.Equal(records.Where(r => r.AppProto == "http2").Sum(r => r.Transaction.AllAnomalies.Names().Count()),
            Sum(text, "trafficsensor_http_anomalies_total{app_proto=\"http2\","));
    }

    [Fact]
    public void The_exposition_passes_promtool_and_labels_stay_bounded()
    {
        var files = Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "pcaps", "lab", "samples"), "*.pcap");
        var (text, _, records) = Scrape(files);

        // promtool lints naming conventions: counters end in _total, units are base units, help is present.
        var (code, output, err) = ExternalTool.Run("promtool", ["check", "metrics"], stdin: text);
        Assert.True(code == 0, $"promtool check metrics:\n{output}{err}");

        // No label value comes from traffic: no address, port, path or user agent appears in any series.
        var series = text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        // Fixed label sets only: the HTTP counters by app_proto (http, http2) account for 144 + 2 x 37 of them.
        Assert.True(series.Count < 500, $"{series.Count} series");
        foreach (var r in records.Take(200))
        {
            Assert.DoesNotContain(series, s => s.Contains(r.ClientAddress.ToString(), StringComparison.Ordinal));
            if (r.Transaction.Request?.Target is { Length: > 1 } target)
                Assert.DoesNotContain(series, s => s.Contains(target, StringComparison.Ordinal));
        }
        // Ours, plus prometheus-net's standard process and runtime metrics.
        Assert.All(series, s => Assert.Matches("^(trafficsensor_|process_|dotnet_)", s));
    }

    private static string Exposition(SensorMetrics metrics)
    {
        using var stream = new MemoryStream();
        metrics.Registry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public void A_fresh_sensor_exports_every_labelled_counter_at_zero_so_the_first_event_is_a_rise()
    {
        var metrics = new SensorMetrics(new MetricsContext("live", "default", FeatureSchema.Version, 1.0, 16, ["health-checks", "scanner"]));
        var text = Exposition(metrics);

        // Both severities of the alert counter: the first alert is 0 -> 1, which increase() sees.
        Assert.Equal(0, Value(text, "trafficsensor_alerts_total{category=\"T1505.003 Web Shell\",severity=\"1\"}"));
        Assert.Equal(0, Value(text, "trafficsensor_alerts_total{category=\"T1505.003 Web Shell\",severity=\"2\"}"));
        // Every reason of every labelled counter the rules and dashboard use.
        Assert.Equal(0, Value(text, "trafficsensor_reassembly_events_total{event=\"memory_cap_hit\"}"));
        Assert.Equal(0, Value(text, "trafficsensor_flows_ended_total{reason=\"evicted\"}"));
        Assert.Equal(0, Value(text, "trafficsensor_decode_errors_total{reason=\"truncated_ip_header\"}"));
        Assert.Equal(0, Value(text, "trafficsensor_reassembly_dropped_bytes_total{reason=\"memory_cap\"}"));
        Assert.Equal(0, Value(text, "trafficsensor_http_transactions_total{app_proto=\"http\",method=\"POST\",status_class=\"2xx\"}"));
        foreach (var (family, count) in new[] { ("trafficsensor_decode_errors_total{", Enum.GetValues<TrafficSensor.Decoding.DecodeError>().Length),
                     ("trafficsensor_http_anomalies_total{app_proto=\"http\",", Enum.GetValues<TrafficSensor.Http.HttpAnomaly>().Length),
                     ("trafficsensor_http_anomalies_total{app_proto=\"http2\",", Enum.GetValues<TrafficSensor.Http.HttpAnomaly>().Length),
                     ("trafficsensor_flows_ended_total{", Enum.GetValues<TrafficSensor.Flows.FlowEndReason>().Length),
                     ("trafficsensor_reassembly_events_total{", Enum.GetValues<TrafficSensor.Reassembly.ReassemblyEvent>().Length),
                     ("trafficsensor_alerts_suppressed_total{", 2) })
            Assert.Equal(count, text.Split('\n').Count(l => l.StartsWith(family, StringComparison.Ordinal)));
        Assert.Equal(0, Value(text, "trafficsensor_alerts_suppressed_total{rule=\"scanner\"}"));
        Assert.Equal(0, Value(text, "trafficsensor_model_reloads_total{result=\"failed\"}"));
    }

    [Fact]
    public void Tls_metadata_alerts_have_their_own_counter_not_the_paging_one()
    {
        var pcap = Path.Combine(TestPaths.ProjectPcaps, "tls", "lab", "webshells-php-tls13-gcm.pcap");
        var metrics = new SensorMetrics(new MetricsContext("replay"));
        Assert.Equal(0, Value(Exposition(metrics), "trafficsensor_tls_metadata_alerts_total{category=\"T1505.003 Web Shell\"}"));
        var records = new AllRecords();
        new TrafficSensor.Pipeline.SensorPipeline(new SensorOptions(), records)
        {
            TlsModel = TrafficSensor.Detection.TlsMetadataModel.Load(Path.Combine(TestPaths.RepositoryRoot, "models", "tls-default.zip")),
        }.Replay([pcap]);
        var alerts = records.Records.OfType<TrafficSensor.Detection.TlsConnectionAlert>().ToList();
        Assert.NotEmpty(alerts);
        foreach (var r in records.Records) metrics.Write(r);

        var text = Exposition(metrics);
        var counted = text.Split('\n').Where(l => l.StartsWith("trafficsensor_tls_metadata_alerts_total{", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(alerts.Count, counted);
        Assert.Equal(0, Value(text, "trafficsensor_alerts_total{category=\"T1505.003 Web Shell\",severity=\"2\"}"));
        Assert.Equal(records.Records.Count(r => r is TrafficSensor.Tls.TlsRecord), Value(text, "trafficsensor_app_records_total{app_proto=\"tls\"}"));
    }

    [Fact]
    public void Suppressed_alerts_are_counted_by_rule_and_not_as_alerts()
    {
        var model = AnomalyModel.Load(Path.Combine(TestPaths.RepositoryRoot, "models", "default.zip"));
        var rules = new SuppressionRules([new SuppressionRule("shell-page", Path: "/lib/images/upgrade501.php"), new SuppressionRule("never", Port: 1)]);
        var metrics = new SensorMetrics(new MetricsContext("replay", model.Name, FeatureSchema.Version, model.Threshold, 16, rules.Names));
        var collect = new CollectingOutput();
        new SensorPipeline(new SensorOptions(), new SuppressingOutput(rules, new TeeOutput(metrics, collect)), model).Replay([Sample("webshell-cmd.pcap")]);
        var text = Exposition(metrics);

        var suppressed = collect.Records.Count(r => r.SuppressedBy == "shell-page");
        Assert.True(suppressed > 0);
        Assert.All(collect.Records.Where(r => r.SuppressedBy is not null), r => Assert.False(r.Verdict!.Alert));
        Assert.Equal(suppressed, Value(text, "trafficsensor_alerts_suppressed_total{rule=\"shell-page\"}"));
        Assert.Equal(0, Value(text, "trafficsensor_alerts_suppressed_total{rule=\"never\"}"));
        Assert.Equal(collect.Records.Count(r => r.Verdict is { Alert: true }), Value(text, "trafficsensor_alerts_total"));
    }

    [Fact]
    public void Process_cpu_time_is_exported_and_grows_with_work()
    {
        var metrics = new SensorMetrics(new MetricsContext("live"));
        var before = Value(Exposition(metrics), "process_cpu_seconds_total");
        var spin = System.Diagnostics.Stopwatch.StartNew();
        var x = 0.0;
        while (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds < before + 0.2) x += Math.Sqrt(x + 1);
        var after = Value(Exposition(metrics), "process_cpu_seconds_total");
        Assert.True(after >= before + 0.2, $"process_cpu_seconds_total {before} -> {after} ({x})");
        Assert.True(Value(Exposition(metrics), "process_num_threads") >= 1);
    }

    [Fact]
    public void A_reloaded_model_replaces_model_info_and_a_failed_reload_keeps_it()
    {
        var metrics = new SensorMetrics(new MetricsContext("live", "default", FeatureSchema.Version, 1.5));
        metrics.ModelReloaded(null, null, null, loaded: false);
        var text = Exposition(metrics);
        Assert.Equal(1, Value(text, $"trafficsensor_model_info{{model=\"default\",schema=\"{FeatureSchema.Version}\",threshold=\"1.5\"}}"));
        Assert.Equal(1, Value(text, "trafficsensor_model_reloads_total{result=\"failed\"}"));

        metrics.ModelReloaded("site-b", FeatureSchema.Version, 2.25, loaded: true);
        text = Exposition(metrics);
        Assert.Equal(1, Value(text, "trafficsensor_model_info"));
        Assert.Equal(1, Value(text, $"trafficsensor_model_info{{model=\"site-b\",schema=\"{FeatureSchema.Version}\",threshold=\"2.25\"}}"));
        Assert.Equal(1, Value(text, "trafficsensor_model_reloads_total{result=\"loaded\"}"));
    }
}
