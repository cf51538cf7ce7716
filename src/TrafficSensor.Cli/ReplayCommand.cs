using CommandLine;
using TrafficSensor.Capture;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;

namespace TrafficSensor.Cli;

[Verb("replay", HelpText = "Read pcap/pcapng files (or directories of them) and reconstruct every HTTP transaction.")]
public sealed class ReplayOptions : SensorVerbOptions
{
    [Value(0, MetaName = "PATH", Min = 1, Required = true, HelpText = "Capture files or directories (searched recursively, each file read once), read in the order of their first packet; '-', a FIFO or /dev/stdin is read as a stream, after the files.")]
    public IEnumerable<string> Paths { get; set; } = [];

    [Option("evidence", HelpText = "Write the packets of every alerted flow into DIR/trafficsensor-START-PID-thread-N.pcap, one new file per alert thread (never overwriting an earlier run's), named in the alert.")]
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

        CaptureFileSetResult captures;
        try
        {
            captures = CaptureFileSet.Find(o.Paths);
        }
        catch (CaptureException e)
        {
            return Console.Fail(e.Message, ExitCodes.Environment);
        }
        foreach (var skipped in captures.Skipped) Console.Warn($"skipped {skipped}");
        var files = captures.Files;
        if (files.Count == 0) return Console.Fail("no capture files found in " + string.Join(", ", o.Paths), ExitCodes.UnusableInput);

        var evidence = o.Evidence is null ? null : Path.GetFullPath(o.Evidence);
        var (outputs, code) = SensorOutputs.Create(o, "replay", new SensorOutputs.RunInputs(captures, evidence, null));
        if (outputs is null) return code;
        using var _ = outputs;
        using var reopen = new LogReopenHook(outputs, o.Quiet);

        var pipeline = new SensorPipeline(o.ToSensorOptions(), outputs.Output, outputs.Model)
        {
            Resume = LearnedStateFile.Load(o.State, o.Quiet),
            TlsModel = outputs.TlsModel,
        };
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
        outputs.CloseLogs();
        LearnedStateFile.Save(o.State, pipeline);
        if (outputs.Evidence is { } evidenceWriter && outputs.Threads is { } threads)
        {
            try
            {
                var written = evidenceWriter.Write(files, threads.ThreadsByFlow, cancel.Token);
                if (!o.Quiet) System.Console.Error.WriteLine($"trafficsensor: wrote {written.Count} evidence capture(s) to {o.Evidence}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Warn($"--evidence {o.Evidence}: {e.Message}");
            }
        }

        foreach (var file in stats.Files.Where(f => f.Error is not null))
            Console.Warn(file.Unusable ? $"{file.Path}: {file.Error}" : $"{file.Path}: stopped after {file.Frames} packets: {file.Error}");
        if (o.Stats is not null) StatsJson.Write(o.Stats, stats);
        if (stats.Files.All(f => f.Unusable))
            return Console.Fail("none of the input could be read as a capture", ExitCodes.UnusableInput);
        if (!o.Quiet) Summary.Print("TrafficSensor replay", stats, outputs.Transactions?.Records ?? 0, outputs.Model is null ? null : outputs.Threads?.Alerts, outputs.Model?.Name);
        return ExitCodes.Ok;
    }
}
