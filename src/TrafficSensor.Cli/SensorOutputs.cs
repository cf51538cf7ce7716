using Prometheus;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Metrics;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;

namespace TrafficSensor.Cli;

/// <summary>
/// Everything a sensor run writes to, built from the shared options: the model, the transaction
/// log, the alert log, the Prometheus metrics and their endpoint. Disposing flushes and closes all.
/// </summary>
internal sealed class SensorOutputs : IDisposable
{
    private OutputFiles? _transactionsFile;
    private OutputFiles? _alertsFile;
    private IMetricServer? _metricServer;

    private SensorOutputs() { }

    public AnomalyModel? Model { get; private set; }
    public EveJsonWriter? Transactions { get; private set; }
    public EveAlertWriter? Alerts { get; private set; }
    public SensorMetrics? Metrics { get; private set; }
    public string? MetricsUrl { get; private set; }
    public ITransactionOutput Output { get; private set; } = new TeeOutput();

    /// <summary>Builds the outputs, or returns an exit code and message when it cannot.</summary>
    public static (SensorOutputs? Outputs, int ExitCode) Create(SensorVerbOptions o, string mode, string? evidenceDirectory = null,
        Func<long, long, IReadOnlyList<string>>? captureFiles = null)
    {
        var outputs = new SensorOutputs();
        try
        {
            var code = outputs.Build(o, mode, evidenceDirectory, captureFiles);
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

    private int Build(SensorVerbOptions o, string mode, string? evidenceDirectory, Func<long, long, IReadOnlyList<string>>? captureFiles)
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
        }

        // With a model, stdout carries alerts unless asked otherwise; without one, transactions.
        var transactionsPath = o.Transactions ?? (Model is null ? "-" : null);
        var alertsPath = o.Alerts ?? (Model is not null && o.Transactions is null ? "-" : null);
        if (transactionsPath == "-" && alertsPath == "-") return Console.Fail("--transactions and --alerts cannot both go to stdout", ExitCodes.Usage);

        var outputs = new List<ITransactionOutput>();
        if (transactionsPath is not null)
        {
            _transactionsFile = OutputFiles.Open(transactionsPath);
            Transactions = new EveJsonWriter(_transactionsFile.Stream, ownsStream: false);
            outputs.Add(Transactions);
        }
        if (alertsPath is not null && Model is not null)
        {
            _alertsFile = OutputFiles.Open(alertsPath);
            Alerts = new EveAlertWriter(_alertsFile.Stream, evidenceDirectory: evidenceDirectory) { CaptureFiles = captureFiles };
            outputs.Add(Alerts);
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
        Output = new TeeOutput(outputs.ToArray());
        // The configuration's allow-list sits between the model and every output.
        if (o.Configuration.Suppressions.Rules.Count > 0) Output = new SuppressingOutput(o.Configuration.Suppressions, Output);
        return ExitCodes.Ok;
    }

    /// <summary>Lets the metrics read the pipeline's counters at every scrape.</summary>
    public void Attach(SensorPipeline pipeline, Func<bool> captureRunning) => Metrics?.Attach(pipeline.Snapshot, captureRunning);

    public void Dispose()
    {
        Transactions?.Dispose();
        Alerts?.Dispose();
        _transactionsFile?.Dispose();
        _alertsFile?.Dispose();
        _metricServer?.Dispose();
    }
}
