using Prometheus;
using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Metrics;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;

namespace TrafficSensor.Cli;

/// <summary>
/// Everything a sensor run writes to, built from the shared options: the model, the transaction
/// log, the alert log, the Prometheus metrics and their endpoint. Every output path is checked
/// before the run starts (writable, not an input, not used twice; at most one use of stdout), so a
/// long run never ends in a stack trace. Disposing flushes and closes all.
/// <para>Where records go: with a model, alerts go to stdout unless <c>-a FILE</c> is given, also when
/// <c>-t FILE</c> is; without a model, transactions go to stdout unless <c>-t FILE</c> is given.</para>
/// </summary>
internal sealed class SensorOutputs : IDisposable
{
    private IMetricServer? _metricServer;

    private SensorOutputs() { }

    public AnomalyModel? Model { get; private set; }
    /// <summary>The TLS metadata model (models/tls-default.zip beside the HTTP one); null with --no-model or when not bundled.</summary>
    public TlsMetadataModel? TlsModel { get; private set; }
    public EveJsonWriter? Transactions { get; private set; }
    public EveAlertWriter? Alerts { get; private set; }
    public AlertThreads? Threads { get; private set; }
    public EvidenceWriter? Evidence { get; private set; }
    public SensorMetrics? Metrics { get; private set; }
    public string? MetricsUrl { get; private set; }
    public ITransactionOutput Output { get; private set; } = new TeeOutput();

    /// <summary>What a run reads and records besides the JSON logs, for the checks before it starts.</summary>
    public sealed record RunInputs(CaptureFileSetResult? Captures, string? EvidenceDirectory, string? Interface,
        Func<long, long, IReadOnlyList<string>>? CaptureFiles = null);

    /// <summary>Builds the outputs, or returns an exit code and message when it cannot.</summary>
    public static (SensorOutputs? Outputs, int ExitCode) Create(SensorVerbOptions o, string mode, RunInputs inputs)
    {
        var outputs = new SensorOutputs();
        try
        {
            var code = outputs.Build(o, mode, inputs);
            if (code == ExitCodes.Ok) return (outputs, code);
            outputs.Dispose();
            return (null, code);
        }
        catch
        {
            outputs.Dispose();
            throw;
        }
    }

    private int Build(SensorVerbOptions o, string mode, RunInputs inputs)
    {
        if (!o.NoModel)
        {
            try
            {
                Model = DetectionCommands.LoadModel(o.Model);
            }
            catch (ModelException e) when (o.Model is null && !File.Exists(DetectionCommands.DefaultModelPath))
            {
                Console.Warn($"no bundled model ({e.Message}): transactions are not scored");
            }
            catch (ModelException e)
            {
                return Console.Fail(e.Message, ExitCodes.UnusableInput);
            }
            try
            {
                TlsModel = File.Exists(TlsModelCommand.DefaultModelPath) ? TlsMetadataModel.Load(TlsModelCommand.DefaultModelPath) : null;
            }
            catch (ModelException e)
            {
                return Console.Fail(e.Message, ExitCodes.UnusableInput);
            }
        }

        var transactionsPath = o.Transactions ?? (Model is null ? "-" : null);
        var alertsPath = Model is null ? null : o.Alerts ?? (transactionsPath == "-" ? null : "-");
        if (Model is null && o.Alerts is not null) Console.Warn("no model is used: --alerts writes nothing");
        if (Model is not null && alertsPath is null)
            Console.Warn("stdout carries the transactions (each with its verdict in ml.alert); give -a FILE for a separate alert stream");
        if (OutputPaths.Check(o, transactionsPath, alertsPath, inputs) is { } problem) return Console.Fail(problem, ExitCodes.Usage);

        var eve = o.ToSensorOptions().Eve;
        var source = new EveSource(inputs.Interface, inputs.Captures is { } captures ? captures.FileOf : null);
        if (inputs.EvidenceDirectory is { } evidence) Evidence = new EvidenceWriter(evidence, EvidenceWriter.RunName(DateTime.UtcNow));
        Threads = new AlertThreads(rememberFlows: Evidence is not null);

        var outputs = new List<ITransactionOutput>();
        try
        {
            if (transactionsPath is not null)
            {
                Transactions = new EveJsonWriter(JsonLinesLog.Open(transactionsPath), eve, source);
                outputs.Add(Transactions);
            }
            if (alertsPath is not null)
            {
                Alerts = new EveAlertWriter(JsonLinesLog.Open(alertsPath), eve, source, Evidence is null ? null : Evidence.FileName) { CaptureFiles = inputs.CaptureFiles };
                outputs.Add(Alerts);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Console.Fail(e.Message, ExitCodes.Usage);
        }

        if (o.MetricsAddress is { } address)
        {
            MetricsEndpoint.TryParse(address, out var host, out var port);
            Metrics = new SensorMetrics(new MetricsContext(mode, Model?.Name, Model is null ? null : FeatureSchema.Version, Model?.Threshold,
                o.ToSensorOptions().Pipeline.QueueBatches, o.Configuration.Suppressions.Names));
            try
            {
                _metricServer = Metrics.Serve(host, port);
            }
            catch (Exception e) when (e is System.Net.HttpListenerException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                return Console.Fail($"cannot serve metrics on {address}: {e.Message}", ExitCodes.Environment);
            }
            MetricsUrl = $"http://{address}/metrics";
            outputs.Add(Metrics);
        }
        Output = new AlertThreadingOutput(Threads, outputs.ToArray());
        // The configuration's allow-list sits between the model and every output (and the alert threads).
        if (o.Configuration.Suppressions.Rules.Count > 0) Output = new SuppressingOutput(o.Configuration.Suppressions, Output);
        return ExitCodes.Ok;
    }

    /// <summary>Lets the metrics read the pipeline's counters at every scrape.</summary>
    public void Attach(SensorPipeline pipeline, Func<bool> captureRunning) => Metrics?.Attach(pipeline.Snapshot, captureRunning);

    /// <summary>logrotate's postrotate (SIGHUP): write what is buffered, then open the log files again by name.</summary>
    public void ReopenLogs()
    {
        Transactions?.Log.Reopen();
        Alerts?.Log.Reopen();
    }

    /// <summary>Writes everything still buffered and closes the logs; reports lines that could not be written.</summary>
    public void CloseLogs()
    {
        Transactions?.Dispose();
        Alerts?.Dispose();
        foreach (var log in new[] { Transactions?.Log, Alerts?.Log })
            if (log?.Error is { } error) Console.Warn($"{log.LinesLost:N0} record(s) could not be written: {error}");
    }

    public void Dispose()
    {
        CloseLogs();
        _metricServer?.Dispose();
    }
}

/// <summary>The checks every output path passes before a run starts.</summary>
internal static class OutputPaths
{
    public static string? Check(SensorVerbOptions o, string? transactionsPath, string? alertsPath, SensorOutputs.RunInputs inputs)
    {
        var named = new List<(string Option, string Path)>();
        if (transactionsPath is not null) named.Add(("--transactions", transactionsPath));
        if (alertsPath is not null) named.Add(("--alerts", alertsPath));
        if (o.Stats is not null) named.Add(("--stats", o.Stats));
        if (o.State == "-") return "--state needs a FILE (it is read back at the next start)";
        if (o.State is not null) named.Add(("--state", o.State));

        var stdout = named.Where(n => n.Path == "-").ToList();
        if (stdout.Count > 1)
            return $"{stdout[1].Option} -: stdout already carries {(stdout[0].Option == "--alerts" ? "the alerts" : stdout[0].Option == "--transactions" ? "the transactions" : "the statistics")}; give one of them a FILE";

        var inputIds = inputs.Captures?.Inputs.Select(i => (i.Path, i.Identity)).ToList() ?? [];
        var seen = new List<(string Option, string Path, FileIdentity Id)>();
        foreach (var (option, path) in named.Where(n => n.Path != "-"))
        {
            var id = FileIdentity.Of(path);
            if (id.Kind == FileKind.Stream) continue; // /dev/null, a FIFO, a terminal: nothing on disk to protect, several outputs may share it
            var full = Path.GetFullPath(path);
            foreach (var input in inputIds)
                if (id.SameFileAs(input.Identity) || Path.GetFullPath(input.Path) == full)
                    return $"{option} {path} is one of the inputs ({input.Path}): refusing to write over a capture";
            foreach (var other in seen)
                if (id.SameFileAs(other.Id) || Path.GetFullPath(other.Path) == full)
                    return $"{option} {path} is also the file of {other.Option}";
            if (id.Kind == FileKind.Directory) return $"{option} {path} is a directory; give a file";
            if (Probe(path, removeIfCreated: true) is { } why) return $"{option} {path}: cannot write there ({why})";
            seen.Add((option, path, id));
        }

        if (inputs.EvidenceDirectory is { } evidence)
        {
            if (inputs.Captures?.Inputs.FirstOrDefault(i => i.IsStream) is { } stream)
                return $"--evidence reads the captures a second time, which a stream ({stream.Path}) cannot do";
            try
            {
                Directory.CreateDirectory(evidence);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"--evidence {evidence}: cannot create the directory ({e.Message})";
            }
            if (Probe(Path.Combine(evidence, $".trafficsensor-probe-{Environment.ProcessId}"), removeIfCreated: true) is { } why)
                return $"--evidence {evidence}: cannot write there ({why})";
        }
        return null;
    }

    /// <summary>Opens the path for writing without truncating it (creating its directory), to learn now whether the run could write it later.</summary>
    private static string? Probe(string path, bool removeIfCreated)
    {
        try
        {
            var existed = File.Exists(path);
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (directory is not null) Directory.CreateDirectory(directory);
            using (new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1)) { }
            if (!existed && removeIfCreated) File.Delete(path);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }
}
