using CommandLine;
using TrafficSensor.Capture;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;

namespace TrafficSensor.Cli;

[Verb("replay", HelpText = "Read pcap/pcapng files (or directories of them) and reconstruct every HTTP transaction.")]
public sealed class ReplayOptions : SensorVerbOptions
{
    [Value(0, MetaName = "PATH", Min = 1, Required = true, HelpText = "Capture files or directories, read in the order of their first packet.")]
    public IEnumerable<string> Paths { get; set; } = [];

    [Option("evidence", HelpText = "Write the packets of every alerted flow into DIR/thread-N.pcap, one file per alert thread, named in the alert.")]
    public string? Evidence { get; set; }

    [Option("metrics", HelpText = "Serve Prometheus metrics on ADDRESS:PORT while replaying (e.g. 127.0.0.1:9464). Default: none.")]
    public string? Metrics { get; set; }

    [Option("no-progress", HelpText = "Do not draw the progress bar (it is drawn only when stderr is a terminal).")]
    public bool NoProgress { get; set; }

    public override string? MetricsAddress => Metrics;
}

internal static class ReplayCommand
{
    public static int Run(ReplayOptions o)
    {
        if (o.ApplyConfiguration() is { } configurationError) return Console.Fail(configurationError, ExitCodes.Usage);
        if (o.Validate() is { } usage) return Console.Fail(usage, ExitCodes.Usage);

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

        var evidence = o.Evidence is null ? null : Path.GetFullPath(o.Evidence);
        var (outputs, code) = SensorOutputs.Create(o, "replay", evidence);
        if (outputs is null) return code;
        using var _ = outputs;

        var pipeline = new SensorPipeline(o.ToSensorOptions(), outputs.Output, outputs.Model);
        outputs.Attach(pipeline, () => false);
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
        outputs.Transactions?.Dispose();
        outputs.Alerts?.Dispose();
        if (outputs.Alerts is { } alerts && evidence is not null)
        {
            var written = new EvidenceWriter(evidence).Write(files, alerts.ThreadsByFlow, cancel.Token);
            if (!o.Quiet) System.Console.Error.WriteLine($"trafficsensor: wrote {written.Count} evidence capture(s) to {o.Evidence}");
        }

        foreach (var file in stats.Files.Where(f => f.Error is not null))
            Console.Warn(file.Unusable ? $"{file.Path}: {file.Error}" : $"{file.Path}: stopped after {file.Frames} packets: {file.Error}");
        if (o.Stats is not null) StatsJson.Write(o.Stats, stats);
        if (stats.Files.All(f => f.Unusable))
            return Console.Fail("none of the input could be read as a capture", ExitCodes.UnusableInput);
        if (!o.Quiet) Summary.Print("TrafficSensor replay", stats, outputs.Transactions?.Records ?? 0, outputs.Alerts?.Alerts, outputs.Model?.Name);
        return ExitCodes.Ok;
    }
}
