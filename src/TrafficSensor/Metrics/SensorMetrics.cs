using System.Diagnostics;
using System.Reflection;
using Prometheus;
using TrafficSensor.Decoding;
using TrafficSensor.Flows;
using TrafficSensor.Http;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;
using TrafficSensor.Protocols;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Metrics;

/// <summary>What the metrics describe besides the pipeline's own counters.</summary>
/// <param name="SuppressionRules">Names of the configured suppression rules: the only values of alerts_suppressed_total's rule label.</param>
/// <param name="AppProtocols">Names of the registered application protocols: the values of the app_proto label (default: the default registry's).</param>
public sealed record MetricsContext(string Mode, string? ModelName = null, string? ModelSchema = null, double? ModelThreshold = null, int QueueCapacityBatches = 0,
    IReadOnlyList<string>? SuppressionRules = null, IReadOnlyList<string>? AppProtocols = null);

/// <summary>
/// The sensor's Prometheus metrics (trafficsensor_*). Counters the pipeline already keeps per worker
/// are copied in when Prometheus scrapes (no extra work per packet); what only the output stage sees
/// (transactions by method and status class, alerts, score and latency histograms) is counted as
/// records arrive. Every label has a small, fixed set of values: never an address, URI or agent.
/// Every labelled counter is exported at 0 for each of its known label values from the start: a
/// series that first appears at its first event is invisible to increase() and rate(), so a fresh
/// sensor's first web-shell alert, first memory-cap hit or first eviction would not page.
/// prometheus-net's process metrics (process_cpu_seconds_total, ...) are registered too; they are
/// not on by default because the sensor uses its own registry.
/// Thread-safe: records arrive from every worker.
/// </summary>
public sealed class SensorMetrics : ITransactionOutput
{
    private static readonly string[] Methods = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE", "PROPFIND", "other", "none"];
    private static readonly string[] StatusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx", "none"];
    // The protocols whose records are HTTP transactions: the app_proto label of the HTTP counters, each exported from the start.
    private static readonly string[] TransactionProtocols = [HttpProtocol.ProtocolName, Http2.Http2Protocol.ProtocolName];

    private readonly Counter _transactionsByClass;
    private readonly Counter.Child[,,] _transactions; // [protocol, method, status class]
    private readonly Counter.Child[,] _alerts; // [kind, severity - 1], every combination exported from the start
    private readonly Counter.Child[] _tlsMetadataAlerts; // [kind], every kind exported from the start
    private readonly Counter _suppressed;
    private readonly Gauge _modelInfo;
    private readonly Counter _modelReloads;
    private readonly object _modelLock = new();
    private string[] _modelLabels;
    private readonly Histogram _score;
    private readonly Histogram _latency;
    private readonly bool _live;

    private readonly Counter _packets, _bytes, _tcpSegments, _captureReceived, _kernelDrops, _interfaceDrops;
    private readonly Counter _decodeErrors, _ignoredPackets, _flowsCreated, _flowsEnded;
    private readonly Counter _reassembledBytes, _reassemblyDropped, _reassemblyGaps, _reassemblyEvents;
    private readonly Counter _httpAnomalies, _nonHttpStreams, _fragmentsReassembled;
    private readonly Counter _appRecords, _appSessions, _appUnknownBytes, _appUnknownStreams, _appEvents;
    private readonly Gauge _flowsActive, _queueDepth, _queueCapacity, _reassemblyMemory, _reassemblyLimit;
    private readonly Gauge _managedMemory, _residentMemory, _behaviourMemory, _captureRunning;
    private Func<SensorStatistics>? _snapshot;
    private Func<bool>? _running;

    public SensorMetrics(MetricsContext context, CollectorRegistry? registry = null)
    {
        Registry = registry ?? Prometheus.Metrics.NewCustomRegistry();
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        _live = context.Mode == "live";

        _packets = f.CreateCounter("trafficsensor_packets_total", "Frames the sensor received from the capture source (after the BPF filter).");
        _bytes = f.CreateCounter("trafficsensor_bytes_total", "Bytes of the frames received from the capture source.");
        _tcpSegments = f.CreateCounter("trafficsensor_tcp_segments_total", "TCP segments decoded and handed to a flow worker.");
        _captureReceived = f.CreateCounter("trafficsensor_capture_received_packets_total", "Packets libpcap reports as received (pcap_stats ps_recv), live capture only.");
        _kernelDrops = f.CreateCounter("trafficsensor_capture_kernel_drops_total", "Packets the kernel dropped because the capture buffer was full (pcap_stats ps_drop).");
        _interfaceDrops = f.CreateCounter("trafficsensor_capture_interface_drops_total", "Packets the network interface or driver dropped (pcap_stats ps_ifdrop).");
        _decodeErrors = f.CreateCounter("trafficsensor_decode_errors_total", "Frames that could not be decoded, by reason.", "reason");
        _ignoredPackets = f.CreateCounter("trafficsensor_ignored_packets_total", "Frames decoded but not analysed (not TCP, IPv6 fragment, ...), by reason.", "reason");
        _fragmentsReassembled = f.CreateCounter("trafficsensor_ip_fragments_reassembled_total", "IPv4 datagrams reassembled from fragments.");
        _flowsCreated = f.CreateCounter("trafficsensor_flows_created_total", "TCP flows created.");
        _flowsEnded = f.CreateCounter("trafficsensor_flows_ended_total", "TCP flows ended, by reason (evicted = flow table full).", "reason");
        _reassembledBytes = f.CreateCounter("trafficsensor_reassembled_bytes_total", "Stream bytes delivered in order to the HTTP parser.");
        _reassemblyDropped = f.CreateCounter("trafficsensor_reassembly_dropped_bytes_total", "Segment bytes discarded by reassembly, by reason.", "reason");
        _reassemblyGaps = f.CreateCounter("trafficsensor_reassembly_gap_bytes_total", "Stream bytes never seen (holes the stream was moved past), by reason.", "reason");
        _reassemblyEvents = f.CreateCounter("trafficsensor_reassembly_events_total", "Reassembly events (memory_cap_hit, overlap_different_data, ...).", "event");
        _httpAnomalies = f.CreateCounter("trafficsensor_http_anomalies_total", "HTTP protocol anomalies flagged by the parser, by application protocol (http: HTTP/1.x, http2) and kind.", "app_proto", "kind");
        _nonHttpStreams = f.CreateCounter("trafficsensor_non_http_streams_total", "TCP connections whose payload was not HTTP/1.x.");

        _appRecords = f.CreateCounter("trafficsensor_app_records_total", "Records written, by application protocol (app_proto).", "app_proto");
        _appSessions = f.CreateCounter("trafficsensor_app_sessions_total", "Connections (or inner streams) whose application protocol was recognised by content, by app_proto.", "app_proto");
        _appUnknownStreams = f.CreateCounter("trafficsensor_app_proto_unknown_streams_total", "TCP connections whose first bytes no registered application protocol matched.");
        _appUnknownBytes = f.CreateCounter("trafficsensor_app_proto_unknown_bytes_total", "Stream bytes of connections no registered application protocol matched (not parsed).");
        _appEvents = f.CreateCounter("trafficsensor_app_events_total", "Each application protocol's own counters, by app_proto and counter name.", "app_proto", "event");
        foreach (var name in context.AppProtocols ?? DefaultProtocolNames.Value)
        {
            _appRecords.WithLabels(name);
            _appSessions.WithLabels(name);
        }

        _transactionsByClass = f.CreateCounter("trafficsensor_http_transactions_total",
            "HTTP transactions reconstructed, by application protocol (http: HTTP/1.x, http2), method and response status class.", "app_proto", "method", "status_class");
        _transactions = new Counter.Child[TransactionProtocols.Length, Methods.Length, StatusClasses.Length];
        for (var p = 0; p < TransactionProtocols.Length; p++)
            for (var m = 0; m < Methods.Length; m++)
                for (var c = 0; c < StatusClasses.Length; c++)
                    _transactions[p, m, c] = _transactionsByClass.WithLabels(TransactionProtocols[p], Methods[m], StatusClasses[c]);
        Preinitialise<DecodeError>(_decodeErrors);
        Preinitialise<IgnoredProtocol>(_ignoredPackets);
        Preinitialise<FlowEndReason>(_flowsEnded);
        Preinitialise<ReassemblyDrop>(_reassemblyDropped);
        Preinitialise<ReassemblyGap>(_reassemblyGaps);
        Preinitialise<ReassemblyEvent>(_reassemblyEvents);
        foreach (var protocol in TransactionProtocols)
            foreach (var kind in Enum.GetValues<HttpAnomaly>()) _httpAnomalies.WithLabels(protocol, ReasonCounters<HttpAnomaly>.NameOf(kind));

        var alerts = f.CreateCounter("trafficsensor_alerts_total", "Transactions the model alerted on, by category and severity (1 confident, 2 medium, 3 doubtful).", "category", "severity");
        var kinds = Enum.GetValues<Detection.AlertKind>();
        _alerts = new Counter.Child[kinds.Length, AlertClassification.Severities.Count];
        foreach (var kind in kinds)
            foreach (var severity in AlertClassification.Severities)
                _alerts[(int)kind, severity - 1] = alerts.WithLabels(AlertClassification.Category(kind), severity.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Alerts of the TLS metadata model (encrypted connections judged without keys) are weaker evidence
        // than content: their own counter, so that rules can warn on them without paging.
        var tlsAlerts = f.CreateCounter("trafficsensor_tls_metadata_alerts_total", "TLS connections the metadata model alerted on without keys, by category.", "category");
        _tlsMetadataAlerts = kinds.Select(kind => tlsAlerts.WithLabels(AlertClassification.Category(kind))).ToArray();
        // Scores are distances whose scale depends on the model: buckets are set around its threshold.
        var threshold = context.ModelThreshold is > 0 ? context.ModelThreshold.Value : 1.0;
        _score = f.CreateHistogram("trafficsensor_anomaly_score", "Anomaly scores of scored transactions (the model's alert threshold is in trafficsensor_model_info).",
            new HistogramConfiguration { Buckets = new[] { 0.125, 0.25, 0.5, 0.75, 1, 1.5, 2, 4, 8, 16 }.Select(x => Math.Round(x * threshold, 4)).ToArray() });
        _latency = f.CreateHistogram("trafficsensor_processing_latency_seconds", "Live capture: time from the packet that completed a transaction to its verdict.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });

        _flowsActive = f.CreateGauge("trafficsensor_flows_active", "TCP flows tracked now.");
        _queueDepth = f.CreateGauge("trafficsensor_queue_depth_batches", "Packet batches waiting in each flow worker's queue.", "worker");
        _queueCapacity = f.CreateGauge("trafficsensor_queue_capacity_batches", "Capacity of each flow worker's queue, in batches.");
        _reassemblyMemory = f.CreateGauge("trafficsensor_reassembly_memory_bytes", "Out-of-order bytes buffered by reassembly now, all workers.");
        _reassemblyLimit = f.CreateGauge("trafficsensor_reassembly_memory_limit_bytes", "Reassembly memory cap, all workers together.");
        _managedMemory = f.CreateGauge("trafficsensor_managed_memory_bytes", "Bytes of managed (GC) heap in use.");
        _residentMemory = f.CreateGauge("trafficsensor_resident_memory_bytes", "Resident set size of the sensor process.");
        _behaviourMemory = f.CreateGauge("trafficsensor_behaviour_state_bytes", "Approximate size of the per-path and per-session behaviour state.");
        _captureRunning = f.CreateGauge("trafficsensor_capture_running", "1 while the capture loop is reading packets.");

        var version = typeof(SensorMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        f.CreateGauge("trafficsensor_build_info", "Build of the running sensor (always 1).", "version", "runtime", "mode")
            .WithLabels(version.Split('+')[0], Environment.Version.ToString(), context.Mode).Set(1);
        _modelInfo = f.CreateGauge("trafficsensor_model_info", "Model in use (always 1; model=\"none\" when transactions are not scored).", "model", "schema", "threshold");
        _modelLabels = ModelLabels(context.ModelName, context.ModelSchema, context.ModelThreshold);
        _modelInfo.WithLabels(_modelLabels).Set(1);
        _modelReloads = f.CreateCounter("trafficsensor_model_reloads_total", "Model reloads asked for with SIGHUP, by result (loaded, failed: the old model stays).", "result");
        _modelReloads.WithLabels("loaded");
        _modelReloads.WithLabels("failed");
        _suppressed = f.CreateCounter("trafficsensor_alerts_suppressed_total", "Alerts not written because a suppression rule of the configuration matched, by rule name.", "rule");
        foreach (var rule in context.SuppressionRules ?? []) _suppressed.WithLabels(rule);
        f.CreateGauge("trafficsensor_start_time_seconds", "Start time of the sensor, seconds since the Unix epoch.")
            .Set(Process.GetCurrentProcess().StartTime.ToUniversalTime().Subtract(DateTime.UnixEpoch).TotalSeconds);
        _queueCapacity.Set(context.QueueCapacityBatches);

        DotNetStats.Register(Registry);
        Registry.AddBeforeCollectCallback(Refresh);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Where the pipeline's counters come from at each scrape, and whether capture is running.</summary>
    public void Attach(Func<SensorStatistics> snapshot, Func<bool> captureRunning)
    {
        _snapshot = snapshot;
        _running = captureRunning;
    }

    private static readonly Lazy<string[]> DefaultProtocolNames = new(() => ProtocolRegistry.CreateDefault().Protocols.Select(p => p.Name).ToArray());

    /// <summary>A record of any protocol: counted by app_proto (HTTP transactions also by method and status, and their verdicts).</summary>
    public void Write(AppRecord record)
    {
        if (record is TransactionRecord transaction) Write(transaction);
        else if (record is Detection.TlsConnectionAlert tls) _tlsMetadataAlerts[(int)(tls.Verdict.Kind ?? Detection.AlertKind.WebShell)].Inc();
        else _appRecords.WithLabels(record.AppProto).Inc();
    }

    public void Write(TransactionRecord record)
    {
        _appRecords.WithLabels(record.AppProto).Inc();
        var tx = record.Transaction;
        int m = MethodIndex(tx.Request?.Method), c = StatusIndex(tx.Response?.Status);
        var p = Array.IndexOf(TransactionProtocols, record.AppProto);
        if (p >= 0) _transactions[p, m, c].Inc();
        else _transactionsByClass.WithLabels(record.AppProto, Methods[m], StatusClasses[c]).Inc(); // a registered protocol's own (app_proto from the registry)
        if (record.SuppressedBy is { } rule) _suppressed.WithLabels(rule).Inc();
        if (record.Verdict is not { } verdict) return;
        _score.Observe(verdict.Score);
        if (verdict.Alert) _alerts[(int)(verdict.Kind ?? Detection.AlertKind.WebShell), AlertClassification.Severity(verdict, record.Features) - 1].Inc();
        if (_live && tx.CompletedMicros > 0)
        {
            var seconds = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 - tx.CompletedMicros) / 1e6;
            _latency.Observe(Math.Max(0, seconds));
        }
    }

    public void Flush() => Refresh();

    /// <summary>A model reload asked for by SIGHUP: model_info names the new model, or the failure is counted.</summary>
    public void ModelReloaded(string? name, string? schema, double? threshold, bool loaded)
    {
        _modelReloads.WithLabels(loaded ? "loaded" : "failed").Inc();
        if (!loaded) return;
        lock (_modelLock)
        {
            var labels = ModelLabels(name, schema, threshold);
            if (labels.SequenceEqual(_modelLabels)) return;
            _modelInfo.WithLabels(labels).Set(1);
            _modelInfo.RemoveLabelled(_modelLabels);
            _modelLabels = labels;
        }
    }

    private static string[] ModelLabels(string? name, string? schema, double? threshold) =>
        [name ?? "none", schema ?? "", threshold?.ToString("G6", System.Globalization.CultureInfo.InvariantCulture) ?? ""];

    private static void Preinitialise<TReason>(Counter counter) where TReason : struct, Enum
    {
        foreach (var reason in Enum.GetValues<TReason>()) counter.WithLabels(ReasonCounters<TReason>.NameOf(reason));
    }

    /// <summary>Starts the HTTP endpoint (GET /metrics). Throws when the address cannot be bound.</summary>
    public IMetricServer Serve(string host, int port) => new MetricServer(host, port, "metrics/", Registry).Start();

    /// <summary>Copies the pipeline's counters into the exported ones (called before every scrape).</summary>
    public void Refresh()
    {
        if (_running is { } running) _captureRunning.Set(running() ? 1 : 0);
        _managedMemory.Set(GC.GetTotalMemory(forceFullCollection: false));
        _residentMemory.Set(Environment.WorkingSet);
        if (_snapshot?.Invoke() is not { } s) return;

        _packets.IncTo(s.Packets);
        _bytes.IncTo(s.Bytes);
        _tcpSegments.IncTo(s.TcpSegments);
        if (s.CaptureReceived is { } received) _captureReceived.IncTo(received);
        if (s.KernelDrops is { } kernel) _kernelDrops.IncTo(kernel);
        if (s.InterfaceDrops is { } iface) _interfaceDrops.IncTo(iface);
        IncTo(_decodeErrors, s.DecodeErrors);
        IncTo(_ignoredPackets, s.IgnoredPackets);
        _fragmentsReassembled.IncTo(s.FragmentedDatagramsReassembled);
        _flowsCreated.IncTo(s.FlowsCreated);
        IncTo(_flowsEnded, s.FlowsEnded);
        _reassembledBytes.IncTo(s.ReassembledBytes);
        IncTo(_reassemblyDropped, s.ReassemblyDroppedBytes);
        IncTo(_reassemblyGaps, s.ReassemblyGapBytes);
        IncTo(_reassemblyEvents, s.ReassemblyEvents);
        foreach (var (kind, value) in s.HttpAnomalies) _httpAnomalies.WithLabels(HttpProtocol.ProtocolName, kind).IncTo(value);
        _nonHttpStreams.IncTo(s.NonHttpStreams);
        IncTo(_appSessions, s.AppSessions);
        _appUnknownStreams.IncTo(s.AppProtoUnknownStreams);
        _appUnknownBytes.IncTo(s.AppProtoUnknownBytes);
        foreach (var (protocol, figures) in s.AppProtocols)
            foreach (var (name, value) in figures)
            {
                _appEvents.WithLabels(protocol, name).IncTo(value);
                // HTTP anomalies on another protocol's transactions (HTTP/2's): beside HTTP/1's, by app_proto.
                if (name.StartsWith(Http2.Http2Counters.HttpAnomalyFigurePrefix, StringComparison.Ordinal))
                    _httpAnomalies.WithLabels(protocol, name[Http2.Http2Counters.HttpAnomalyFigurePrefix.Length..]).IncTo(value);
            }

        _flowsActive.Set(s.FlowsActive);
        for (var i = 0; i < s.QueueDepths.Count; i++) _queueDepth.WithLabels(i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Set(s.QueueDepths[i]);
        _reassemblyMemory.Set(s.ReassemblyMemoryBytes);
        _reassemblyLimit.Set(s.ReassemblyMemoryCapBytes * Math.Max(1, s.QueueDepths.Count));
        _behaviourMemory.Set(s.BehaviourMemoryBytes);
    }

    // Reason names come from the sensor's own enums (a fixed set), never from traffic.
    private static void IncTo(Counter counter, IReadOnlyDictionary<string, long> values)
    {
        foreach (var (reason, value) in values) counter.WithLabels(reason).IncTo(value);
    }

    private static int MethodIndex(string? method)
    {
        if (method is null) return Methods.Length - 1;
        for (var i = 0; i < Methods.Length - 2; i++)
            if (string.Equals(Methods[i], method, StringComparison.Ordinal)) return i;
        return Methods.Length - 2;
    }

    private static int StatusIndex(int? status) => status switch
    {
        >= 100 and < 600 => status.Value / 100 - 1,
        _ => StatusClasses.Length - 1,
    };
}
