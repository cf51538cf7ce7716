using System.Text.Json;
using Spectre.Console;
using TrafficSensor.Pipeline;

namespace TrafficSensor.Cli;

internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Usage = 1;
    /// <summary>No usable input: every file was unreadable or not a capture.</summary>
    public const int UnusableInput = 2;
    /// <summary>The machine lacks something the sensor needs (libpcap, permissions).</summary>
    public const int Environment = 3;
}

/// <summary>Messages for people go to stderr, so stdout can carry JSON.</summary>
internal static class Console
{
    public static readonly IAnsiConsole Err = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(System.Console.Error),
    });

    public static int Fail(string message, int exitCode)
    {
        System.Console.Error.WriteLine($"trafficsensor: error: {message}");
        return exitCode;
    }

    public static void Warn(string message) => System.Console.Error.WriteLine($"trafficsensor: warning: {message}");

    public static void Info(string message) => System.Console.Error.WriteLine($"trafficsensor: {message}");
}

internal static class StatsJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // Our own figures and the user's paths, never attacker bytes: keep "+" and non-ASCII paths readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };

    /// <summary>The run's statistics: indented in a file (a snapshot, replaced each run), one line on stdout (so stdout stays JSON lines).</summary>
    public static void Write(string path, SensorStatistics stats)
    {
        try
        {
            if (path == "-")
            {
                System.Console.Out.Write(JsonSerializer.Serialize(stats, Options) + "\n");
                System.Console.Out.Flush();
                return;
            }
            File.WriteAllText(path, JsonSerializer.Serialize(stats, Indented) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Warn($"cannot write --stats {path}: {e.Message}");
        }
    }
}

internal static class ProgressDisplay
{
    /// <summary>Runs <paramref name="work"/> with a live progress bar on stderr when stderr is a terminal.</summary>
    public static T Run<T>(SensorPipeline pipeline, bool enabled, Func<T> work)
    {
        if (!enabled || System.Console.IsErrorRedirected) return work();

        T result = default!;
        Console.Err.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("reading", maxValue: 1);
                var runner = Task.Run(work);
                var started = DateTime.UtcNow;
                while (!runner.Wait(200))
                {
                    var p = pipeline.Progress;
                    var seconds = Math.Max(0.001, (DateTime.UtcNow - started).TotalSeconds);
                    var fraction = p.FileCount == 0 ? 0 : (p.FileIndex + (p.FileSize > 0 ? Math.Min(1.0, (double)p.FilePosition / p.FileSize) : 0)) / p.FileCount;
                    task.Value = fraction;
                    task.Description = Markup.Escape(
                        $"{Path.GetFileName(p.File ?? "")} [{p.FileIndex + 1}/{p.FileCount}] {p.Packets / seconds:N0} pkt/s {p.Bytes / 1e6 / seconds:N1} MB/s {p.Transactions:N0} tx");
                }
                result = runner.GetAwaiter().GetResult();
                task.Value = 1;
            });
        return result;
    }
}

internal static class Summary
{
    public static void Print(string title, SensorStatistics s, long records, long? alerts = null, string? model = null)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(title)}[/]")
            .AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));

        if (s.Interface is not null)
        {
            Row("interface", s.Interface);
            Row("libpcap received", $"{s.CaptureReceived:N0}");
            Row("kernel drops", $"{s.KernelDrops:N0}");
            Row("interface drops", $"{s.InterfaceDrops:N0}");
        }
        else
        {
            Row("files", $"{s.Files.Count} ({s.Files.Count(f => f.Error is not null)} with errors)");
        }
        Row("packets", $"{s.Packets:N0} ({s.Bytes / 1e6:N1} MB)");
        Row("tcp segments", $"{s.TcpSegments:N0}");
        Row("flows", $"{s.FlowsCreated:N0}");
        Row("http transactions", $"{s.HttpTransactions:N0} ({records:N0} written)");
        foreach (var (protocol, count) in s.AppRecords)
            if (protocol != "http" && count > 0) Row($"{protocol} records", $"{count:N0}");
        if (s.AppProtoUnknownStreams > 0) Row("unknown-protocol connections", $"{s.AppProtoUnknownStreams:N0} ({s.AppProtoUnknownBytes:N0} bytes not parsed)");
        if (model is not null) Row("model", model);
        if (alerts is not null) Row("alerting transactions", $"{alerts:N0}");
        if (s.BehaviourPaths > 0) Row("behaviour state", $"{s.BehaviourPaths:N0} paths, {s.BehaviourSessions:N0} sessions, ~{s.BehaviourMemoryBytes / 1e6:N1} MB");
        Row("reassembled", $"{s.ReassembledBytes / 1e6:N1} MB");
        Row("elapsed", $"{s.ElapsedSeconds:N2} s");
        Row("throughput", $"{s.PacketsPerSecond:N0} pkt/s, {s.MegabytesPerSecond:N1} MB/s");
        AddGroup(table, "decode errors", s.DecodeErrors);
        AddGroup(table, "ignored packets", s.IgnoredPackets);
        AddGroup(table, "flows ended", s.FlowsEnded);
        AddGroup(table, "reassembly dropped bytes", s.ReassemblyDroppedBytes);
        AddGroup(table, "reassembly gap bytes", s.ReassemblyGapBytes);
        AddGroup(table, "reassembly events", s.ReassemblyEvents);
        AddGroup(table, "http anomalies", s.HttpAnomalies);
        if (s.SnaplenTruncatedPackets > 0) Row("snaplen-truncated packets", $"{s.SnaplenTruncatedPackets:N0}");
        if (s.HttpResyncSkippedBytes > 0) Row("http resync skipped bytes", $"{s.HttpResyncSkippedBytes:N0}");
        if (s.NonHttpStreams > 0) Row("non-http connections", $"{s.NonHttpStreams:N0}");
        Console.Err.Write(table);
    }

    private static void AddGroup(Table table, string title, IReadOnlyDictionary<string, long> values)
    {
        foreach (var (name, value) in values)
            table.AddRow(Markup.Escape($"{title}: {name}"), $"{value:N0}");
    }
}
