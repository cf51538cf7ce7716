using System.Runtime.InteropServices;
using CommandLine;
using TrafficSensor.Capture;
using TrafficSensor.Configuration;
using TrafficSensor.Detection;
using TrafficSensor.Pipeline;

namespace TrafficSensor.Cli;

[Verb("live", HelpText = "Capture from a network interface (a SPAN/mirror port) until SIGINT/SIGTERM, scoring every HTTP transaction.")]
public sealed class LiveOptions : SensorVerbOptions
{
    // Options without a Default attribute are null when not given, so --config can supply them;
    // their defaults are the built-in SensorOptions and OutputSettings (deploy/trafficsensor.yaml).
    [Option('i', "interface", HelpText = "Interface to capture on (see 'trafficsensor interfaces'). Required, here or as capture.interface in --config.")]
    public string? Interface { get; set; }

    [Option("snaplen", HelpText = "Bytes kept of each frame (default 65535).")]
    public int? Snaplen { get; set; }

    [Option("buffer-mb", HelpText = "libpcap kernel ring buffer, MiB: absorbs bursts; when full the kernel drops (and counts) packets (default 64).")]
    public int? BufferMb { get; set; }

    [Option("handoff-mb", HelpText = "Frames copied out of the kernel ring and waiting for decoding, MiB: lets decoding fall behind during a burst; 0 decodes on the capture thread (default 64).")]
    public int? HandoffMb { get; set; }

    [Option("buffer-timeout-ms", HelpText = "libpcap's packet buffer timeout: a partly filled ring block is handed over after this long (default 100).")]
    public int? BufferTimeoutMs { get; set; }

    [Option("immediate", HelpText = "libpcap's immediate mode: each packet handed over at once, but in fixed snaplen-sized slots (TPACKET_V2), so the ring holds fewer packets.")]
    public bool Immediate { get; set; }

    [Option("promisc", HelpText = "Put the interface in promiscuous mode (needs CAP_NET_ADMIN).")]
    public bool Promiscuous { get; set; }

    [Option("metrics", HelpText = "Serve Prometheus metrics on ADDRESS:PORT (default 127.0.0.1:9464). Use 0.0.0.0:9464 to let other hosts scrape.")]
    public string? Metrics { get; set; }

    [Option("no-metrics", HelpText = "Do not serve Prometheus metrics.")]
    public bool NoMetrics { get; set; }

    [Option("write-pcap", HelpText = "Also record every captured frame into rotating pcap files in DIR; alerts name the file(s) holding their packets.")]
    public string? WritePcap { get; set; }

    [Option("rotate-mb", HelpText = "With --write-pcap: start a new file after this many MiB (default 100).")]
    public int? RotateMb { get; set; }

    [Option("keep", HelpText = "With --write-pcap: files kept; the oldest is deleted beyond this (default 10).")]
    public int? Keep { get; set; }

    [Option("status-interval", HelpText = "Seconds between status lines on stderr (packets, drops, transactions, alerts); 0 = none (default 60).")]
    public int? StatusInterval { get; set; }

    public override string? MetricsAddress => NoMetrics || Metrics == "off" ? null : Metrics ?? OutputSettings.DefaultMetrics;

    protected override void ApplyConfiguration(SensorConfiguration c)
    {
        Interface ??= c.Sensor.Capture.Interface;
        Promiscuous |= c.Sensor.Capture.Promiscuous;
        WritePcap ??= c.Sensor.Capture.WritePcapDirectory;
        Metrics ??= c.Outputs.Metrics;
        StatusInterval ??= c.Outputs.StatusInterval;
    }

    protected override bool FollowsKeyLog => true;

    public override string? Validate()
    {
        if (string.IsNullOrEmpty(Interface)) return "missing required option --interface (-i NAME, or capture.interface in the --config file)";
        if (Snaplen is < 64 or > 262144) return "--snaplen must be between 64 and 262144";
        if (BufferMb is < 1 or > 2047) return "--buffer-mb must be between 1 and 2047";
        if (HandoffMb is < 0 or > 2047) return "--handoff-mb must be between 0 and 2047";
        if (BufferTimeoutMs is < 1 or > 10_000) return "--buffer-timeout-ms must be between 1 and 10000";
        if (RotateMb < 1) return "--rotate-mb must be at least 1";
        if (Keep < 1) return "--keep must be at least 1";
        if (StatusInterval < 0) return "--status-interval must be 0 or more";
        if (Configuration.Sensor.Capture.Snaplen is < 64 or > 262144) return "capture.snaplen must be between 64 and 262144";
        if (Configuration.Sensor.Capture.BufferMegabytes is < 1 or > 2047) return "capture.buffer_megabytes must be between 1 and 2047";
        if (Configuration.Sensor.Capture.HandoffMegabytes is < 0 or > 2047) return "capture.handoff_megabytes must be between 0 and 2047";
        if (Configuration.Sensor.Capture.BufferTimeout is var t && (t < TimeSpan.FromMilliseconds(1) || t > TimeSpan.FromSeconds(10))) return "capture.buffer_timeout must be between 1ms and 10s";
        return base.Validate();
    }

    public override SensorOptions ToSensorOptions()
    {
        var options = base.ToSensorOptions();
        return options with
        {
            Capture = options.Capture with
            {
                Interface = Interface,
                Snaplen = Snaplen ?? options.Capture.Snaplen,
                BufferMegabytes = BufferMb ?? options.Capture.BufferMegabytes,
                HandoffMegabytes = HandoffMb ?? options.Capture.HandoffMegabytes,
                BufferTimeout = BufferTimeoutMs is { } timeout ? TimeSpan.FromMilliseconds(timeout) : options.Capture.BufferTimeout,
                ImmediateMode = Immediate || options.Capture.ImmediateMode,
                Promiscuous = Promiscuous,
                WritePcapDirectory = WritePcap,
                RotateMegabytes = RotateMb ?? options.Capture.RotateMegabytes,
                KeepFiles = Keep ?? options.Capture.KeepFiles,
            },
        };
    }
}

internal static class LiveCommand
{
    public static int Run(LiveOptions o)
    {
        if (o.ApplyConfiguration() is { } configurationError) return Console.Fail(configurationError, ExitCodes.Usage);
        if (o.Validate() is { } usage) return Console.Fail(usage, ExitCodes.Usage);
        var options = o.ToSensorOptions();

        LiveCapture capture;
        try
        {
            capture = LiveCapture.Open(options.Capture);
        }
        catch (CaptureException e)
        {
            return Console.Fail(e.Message, ExitCodes.Environment);
        }
        using var _ = capture;

        RotatingPcapWriter? recorder = null;
        if (options.Capture.WritePcapDirectory is { } directory)
        {
            try
            {
                recorder = new RotatingPcapWriter(directory, "trafficsensor-" + capture.Interface, (long)options.Capture.RotateMegabytes << 20,
                    options.Capture.KeepFiles, options.Capture.Snaplen);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Console.Fail($"cannot write captures to {directory}: {e.Message}", ExitCodes.Environment);
            }
        }
        using var recording = recorder;

        var (outputs, code) = SensorOutputs.Create(o, "live", new SensorOutputs.RunInputs(null, null, capture.Interface, recorder is null ? null : recorder.FilesFor));
        if (outputs is null) return code;
        using var __ = outputs;
        using var reopen = new LogReopenHook(outputs, o.Quiet);

        var models = new ModelSlot(outputs.Model);
        var pipeline = new SensorPipeline(options, outputs.Output, models)
        {
            Resume = LearnedStateFile.Load(o.State, o.Quiet),
            TlsModel = outputs.TlsModel,
        };
        using var reload = ModelReloadOnHangup.Register(models, o.Model, outputs.Metrics);
        outputs.Attach(pipeline, () => capture.IsRunning);

        // SIGINT (Ctrl-C) and SIGTERM (systemd, docker stop) both mean: stop reading, drain, flush, exit 0.
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        if (!o.Quiet)
        {
            System.Console.Error.WriteLine($"trafficsensor: capturing on {capture.Interface} ({capture.LinkType}){(o.Bpf is null ? "" : $" filter \"{o.Bpf}\"")}, " +
                $"model {models.Current?.Name ?? "none"}, metrics {outputs.MetricsUrl ?? "off"}{(recorder is null ? "" : $", recording to {o.WritePcap}")}; stop with Ctrl-C or SIGTERM");
        }
        var statusInterval = o.StatusInterval ?? o.Configuration.Outputs.StatusInterval;
        using var status = statusInterval > 0 && !o.Quiet
            ? new Timer(_ => PrintStatus(pipeline, outputs), null, TimeSpan.FromSeconds(statusInterval), TimeSpan.FromSeconds(statusInterval))
            : null;

        var stats = pipeline.Live(capture, recorder, stop.Token);
        status?.Dispose();
        outputs.CloseLogs();
        recorder?.Dispose();
        LearnedStateFile.Save(o.State, pipeline);

        if (recorder?.Error is { } recordError) Console.Warn(recordError);
        if (o.Stats is not null) StatsJson.Write(o.Stats, stats);
        if (!o.Quiet) Summary.Print($"TrafficSensor live on {capture.Interface}", stats, outputs.Transactions?.Records ?? 0, outputs.Model is null ? null : outputs.Threads?.Alerts, models.Current?.Name);
        if (stats.CaptureError is { } error)
            return Console.Fail($"capture on {capture.Interface} stopped: {error}", ExitCodes.Environment);
        return ExitCodes.Ok;
    }

    private static void PrintStatus(SensorPipeline pipeline, SensorOutputs outputs)
    {
        var s = pipeline.Snapshot();
        System.Console.Error.WriteLine(
            $"trafficsensor: {s.Packets:N0} packets, {s.KernelDrops ?? 0:N0} kernel drops, {s.InterfaceDrops ?? 0:N0} interface drops, " +
            $"{s.FlowsActive:N0} active flows, {s.HttpTransactions:N0} HTTP/1 and {s.AppRecords.GetValueOrDefault("http2"):N0} HTTP/2 transactions, {outputs.Threads?.Alerts ?? 0:N0} alerts");
    }
}

[Verb("interfaces", HelpText = "List the interfaces live capture can use.")]
public sealed class InterfacesOptions
{
}

internal static class InterfacesCommand
{
    public static int Run(InterfacesOptions _)
    {
        IReadOnlyList<CaptureInterface> interfaces;
        try
        {
            interfaces = LiveCapture.ListInterfaces();
        }
        catch (CaptureException e)
        {
            return Console.Fail(e.Message, ExitCodes.Environment);
        }
        foreach (var i in interfaces)
        {
            var flags = string.Join(",", new[] { i.IsUp ? "up" : "down", i.IsLoopback ? "loopback" : null }.OfType<string>());
            System.Console.WriteLine($"{i.Name}\t{flags}\t{string.Join(" ", i.Addresses)}\t{i.Description}");
        }
        return ExitCodes.Ok;
    }
}

[Verb("health", HelpText = "Exit 0 when a live sensor's metrics endpoint answers and its capture is running (for container health checks).")]
public sealed class HealthOptions
{
    [Option("metrics", Default = MetricsEndpoint.Default, HelpText = "The sensor's metrics ADDRESS:PORT.")]
    public string Metrics { get; set; } = MetricsEndpoint.Default;
}

internal static class HealthCommand
{
    public static int Run(HealthOptions o)
    {
        if (!MetricsEndpoint.TryParse(o.Metrics, out var host, out var port)) return Console.Fail($"--metrics must be ADDRESS:PORT, not '{o.Metrics}'", ExitCodes.Usage);
        if (host == "+") host = "127.0.0.1";
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            var text = client.GetStringAsync($"http://{host}:{port}/metrics").GetAwaiter().GetResult();
            var running = text.Split('\n').Any(line => line.StartsWith("trafficsensor_capture_running 1", StringComparison.Ordinal));
            if (!running) return Console.Fail("the sensor answers but is not capturing", ExitCodes.Environment);
            System.Console.WriteLine("healthy");
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return Console.Fail($"no sensor metrics at {o.Metrics}: {e.Message}", ExitCodes.Environment);
        }
    }
}
