using CommandLine;
using TrafficSensor.Capture;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;

namespace TrafficSensor.Cli;

[Verb("replay", HelpText = "Read pcap/pcapng files (or directories of them) and reconstruct every HTTP transaction.")]
public sealed class ReplayOptions
{
    [Value(0, MetaName = "PATH", Min = 1, Required = true, HelpText = "Capture files or directories, read in the order of their first packet.")]
    public IEnumerable<string> Paths { get; set; } = [];

    [Option("bpf", HelpText = "Berkeley packet filter applied before decoding, e.g. \"tcp port 80\".")]
    public string? Bpf { get; set; }

    [Option('t', "transactions", HelpText = "Write one EVE-style JSON line per HTTP transaction to FILE ('-' for stdout). Default: stdout when no model is used.")]
    public string? Transactions { get; set; }

    [Option('a', "alerts", HelpText = "Write EVE alerts to FILE ('-' for stdout). Default: stdout when a model is used and --transactions is not.")]
    public string? Alerts { get; set; }

    [Option("model", HelpText = "Anomaly model file (default: the bundled models/default.zip).")]
    public string? Model { get; set; }

    [Option("no-model", HelpText = "Do not score transactions: reconstruct and log them only.")]
    public bool NoModel { get; set; }

    [Option("evidence", HelpText = "Write the packets of every alerted flow into DIR/thread-N.pcap, one file per alert thread, named in the alert.")]
    public string? Evidence { get; set; }

    [Option("stats", HelpText = "Write the run statistics as JSON to FILE ('-' for stdout).")]
    public string? Stats { get; set; }

    [Option("workers", HelpText = "Flow worker threads (default: cores - 1, at least 1).")]
    public int? Workers { get; set; }

    [Option("max-flows", HelpText = "Flows tracked per worker before the most idle is evicted (default 262144).")]
    public int? MaxFlows { get; set; }

    [Option("memcap-mb", HelpText = "Out-of-order reassembly memory per worker, MiB (default 256).")]
    public int? MemcapMb { get; set; }

    [Option("depth-mb", HelpText = "Stream bytes per direction handed to the HTTP parser, MiB; 0 = unlimited (default 64).")]
    public int? DepthMb { get; set; }

    [Option("overlap", HelpText = "TCP overlap policy: first (default) or last.")]
    public OverlapPolicy? Overlap { get; set; }

    [Option("no-progress", HelpText = "Do not draw the progress bar (it is drawn only when stderr is a terminal).")]
    public bool NoProgress { get; set; }

    [Option('q', "quiet", HelpText = "Do not print the summary on stderr.")]
    public bool Quiet { get; set; }

    public SensorOptions ToSensorOptions()
    {
        var defaults = new SensorOptions();
        return defaults with
        {
            Capture = defaults.Capture with { Bpf = Bpf },
            Flows = MaxFlows is { } maxFlows ? defaults.Flows with { MaxFlows = maxFlows } : defaults.Flows,
            Reassembly = defaults.Reassembly with
            {
                MemoryCapBytes = MemcapMb is { } m ? (long)m << 20 : defaults.Reassembly.MemoryCapBytes,
                MaxDepthPerDirection = DepthMb is { } d ? (long)d << 20 : defaults.Reassembly.MaxDepthPerDirection,
                Overlap = Overlap ?? defaults.Reassembly.Overlap,
            },
            Pipeline = Workers is { } w ? defaults.Pipeline with { Workers = w } : defaults.Pipeline,
        };
    }
}

internal static class ReplayCommand
{
    public static int Run(ReplayOptions o)
    {
        if (o.Workers is < 1 or > 64) return Usage("--workers must be between 1 and 64");
        if (o.MaxFlows is < 1) return Usage("--max-flows must be at least 1");
        if (o.MemcapMb is < 1) return Usage("--memcap-mb must be at least 1");
        if (o.DepthMb is < 0) return Usage("--depth-mb must be 0 or more");

        IReadOnlyList<string> files;
        try
        {
            files = CaptureFileSet.Resolve(o.Paths);
        }
        catch (CaptureException e)
        {
            return Console.Fail(e.Message, ExitCodes.Environment);
        }
        if (files.Count == 0) return Console.Fail("no capture files found in " + string.Join(", ", o.Paths), ExitCodes.UnusableInput);

        Detection.AnomalyModel? model = null;
        if (!o.NoModel)
        {
            try
            {
                model = DetectionCommands.LoadModel(o.Model);
            }
            catch (Detection.ModelException e) when (o.Model is null && !File.Exists(DetectionCommands.DefaultModelPath))
            {
                Console.Warn($"no bundled model ({e.Message}): transactions are not scored");
            }
            catch (Detection.ModelException e)
            {
                return Console.Fail(e.Message, ExitCodes.UnusableInput);
            }
        }

        // With a model, stdout carries alerts unless asked otherwise; without one, transactions.
        var transactionsPath = o.Transactions ?? (model is null ? "-" : null);
        var alertsPath = o.Alerts ?? (model is not null && o.Transactions is null ? "-" : null);
        if (transactionsPath == "-" && alertsPath == "-") return Usage("--transactions and --alerts cannot both go to stdout");
        using var transactions = transactionsPath is null ? null : OutputFiles.Open(transactionsPath);
        using var alerts = alertsPath is null || model is null ? null : OutputFiles.Open(alertsPath);
        var writer = transactions is null ? null : new EveJsonWriter(transactions.Stream, ownsStream: false);
        var alertWriter = alerts is null ? null : new EveAlertWriter(alerts.Stream, evidenceDirectory: o.Evidence is null ? null : Path.GetFullPath(o.Evidence));
        var outputs = new List<ITransactionOutput>();
        if (writer is not null) outputs.Add(writer);
        if (alertWriter is not null) outputs.Add(alertWriter);
        var pipeline = new SensorPipeline(o.ToSensorOptions(), new TeeOutput(outputs.ToArray()), model);
        using var cancel = new CancellationTokenSource();
        System.Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

        SensorStatistics stats;
        try
        {
            stats = ProgressDisplay.Run(pipeline, !o.NoProgress, () => pipeline.Replay(files, cancel.Token));
        }
        catch (CaptureException e)
        {
            return Console.Fail(e.Message, ExitCodes.Environment);
        }
        writer?.Dispose();
        alertWriter?.Dispose();
        if (alertWriter is not null && o.Evidence is not null)
        {
            var written = new EvidenceWriter(Path.GetFullPath(o.Evidence)).Write(files, alertWriter.ThreadsByFlow, cancel.Token);
            if (!o.Quiet) System.Console.Error.WriteLine($"trafficsensor: wrote {written.Count} evidence capture(s) to {o.Evidence}");
        }

        foreach (var file in stats.Files.Where(f => f.Error is not null))
            Console.Warn(file.Unusable ? $"{file.Path}: {file.Error}" : $"{file.Path}: stopped after {file.Frames} packets: {file.Error}");
        if (o.Stats is not null) StatsJson.Write(o.Stats, stats);
        if (stats.Files.All(f => f.Unusable))
            return Console.Fail("none of the input could be read as a capture", ExitCodes.UnusableInput);
        if (!o.Quiet) Summary.Print(stats, writer?.Records ?? 0, alertWriter?.Alerts, model?.Name);
        return ExitCodes.Ok;
    }

    private static int Usage(string message) => Console.Fail(message, ExitCodes.Usage);
}
