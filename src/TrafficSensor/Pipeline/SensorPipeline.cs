using System.Diagnostics;
using System.Collections.Concurrent;
using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Flows;
using TrafficSensor.Http;
using TrafficSensor.Output;
using TrafficSensor.Protocols;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Pipeline;

/// <summary>
/// Runs the stages on dedicated threads: a reader (capture + decode + shard) feeding N flow workers
/// (flows, reassembly, application protocols) through bounded queues, the way Suricata's "workers" run mode shards
/// flows; the flow workers hand their records to one analysis thread, which puts them back in
/// capture order and owns the state learned across flows (behaviour, baselines, scorer), and an
/// output thread writes every record in that order. So a replay's records do not depend on the
/// number of workers or on scheduling.
/// </summary>
public sealed class SensorPipeline
{
    private readonly SensorOptions _options;
    private readonly ITransactionOutput _output;
    private volatile FrameDispatcher? _dispatcher;
    private FlowWorker[] _workers = [];
    private OutputStage? _outputStage;
    private static readonly DateTime ProcessStart = Process.GetCurrentProcess().StartTime.ToUniversalTime();
    private volatile string? _currentFile;
    private volatile int _fileIndex;
    private int _fileCount;
    private long _currentFileSize;
    private PcapFileReader? _reader;
    private readonly List<CaptureFileResult> _files = new();
    private readonly Stopwatch _stopwatch = new();
    private LiveCapture? _live;
    private volatile string? _liveError;

    private readonly ModelSlot _models;
    private readonly bool _collectFeatures;

    /// <param name="model">Scores every transaction when given.</param>
    /// <param name="collectFeatures">Computes features even without a model (training).</param>
    public SensorPipeline(SensorOptions options, ITransactionOutput output, AnomalyModel? model = null, bool collectFeatures = false)
        : this(options, output, new ModelSlot(model), collectFeatures)
    {
    }

    /// <param name="models">The model to score with, which may be replaced while the pipeline runs (live reload).</param>
    public SensorPipeline(SensorOptions options, ITransactionOutput output, ModelSlot models, bool collectFeatures = false)
    {
        _options = options;
        _output = output;
        _models = models;
        _collectFeatures = collectFeatures;
    }

    /// <summary>Judges TLS connections without keys when given (the TLS metadata model); it then follows them to their end.</summary>
    public TlsMetadataModel? TlsModel { get; init; }

    /// <summary>The application protocols of each run (a fresh registry per run: protocols learn across flows); the default registers every protocol.</summary>
    public Func<ProtocolRegistry> ProtocolsFactory { get; init; } = ProtocolRegistry.CreateDefault;

    // The current run's registry: set by the thread that starts the run, read by Snapshot from any thread (read-only once set).
    private volatile ProtocolRegistry _protocols = new();

    /// <summary>Per-path and per-session state of the last run (for reports).</summary>
    public BehaviourState? Behaviour { get; private set; }

    /// <summary>What an earlier run learned about the network (loaded from --state), to go on from.</summary>
    public LearnedState? Resume { get; init; }

    /// <summary>Per-server feature means that explain alerts (when a model scores).</summary>
    public ServerBaselines? Baselines { get; private set; }

    public PipelineProgress Progress
    {
        get
        {
            var d = _dispatcher;
            long transactions = 0;
            foreach (var w in _workers) transactions += w.AppLayer.Records;
            return new PipelineProgress(_currentFile, _fileIndex, _fileCount, _reader?.Position ?? 0,
                Interlocked.Read(ref _currentFileSize), d?.Frames ?? 0, d?.Bytes ?? 0, transactions);
        }
    }

    /// <summary>Reads the files in order through the whole pipeline. Throws <see cref="CaptureException"/> only when capture cannot work at all.</summary>
    public SensorStatistics Replay(IReadOnlyList<string> files, CancellationToken cancel = default) => Run(dispatcher =>
    {
        _reader = new PcapFileReader(_options.Capture.Bpf);
        _fileCount = files.Count;
        for (var i = 0; i < files.Count && !cancel.IsCancellationRequested; i++)
        {
            _fileIndex = i;
            _currentFile = files[i];
            Interlocked.Exchange(ref _currentFileSize, File.Exists(files[i]) ? new FileInfo(files[i]).Length : 0);
            var result = _reader.Read(files[i], dispatcher, cancel);
            lock (_files) _files.Add(result);
        }
    });

    /// <summary>
    /// Captures from an opened interface until <paramref name="cancel"/> is signalled (SIGINT/SIGTERM) or
    /// the device fails, then drains the queues and ends every flow, so every transaction is written.
    /// When a recorder is given, every frame is also written to it before decoding.
    /// </summary>
    public SensorStatistics Live(LiveCapture capture, RotatingPcapWriter? recorder = null, CancellationToken cancel = default)
    {
        _live = capture;
        return Run(dispatcher =>
        {
            IFrameHandler handler = recorder is null ? dispatcher : new RecordingFrameHandler(recorder, dispatcher);
            _liveError = capture.Run(handler, cancel);
            recorder?.Flush();
        });
    }

    /// <summary>The run's figures so far; callable from any thread while it runs (values are approximate, never torn).</summary>
    public SensorStatistics Snapshot() => Collect(_dispatcher);

    private SensorStatistics Run(Action<FrameDispatcher> read)
    {
        _stopwatch.Restart();
        lock (_files) _files.Clear();
        var free = new ConcurrentQueue<PacketBatch>();
        var protocols = _protocols = ProtocolsFactory();
        // Owned by the analysis thread (the reports read only their sizes).
        var scoring = _models.Current is not null;
        // A sensor resumed from a learned-state file (--state) goes on from what it knew.
        Behaviour = scoring || _collectFeatures ? Resume?.Behaviour ?? new BehaviourState() : null;
        Behaviour?.ScanWindowMicros = (long)_options.Scan.Window.TotalMicroseconds;
        Baselines = scoring ? Resume?.Baselines ?? new ServerBaselines() : null;
        var analyzer = Behaviour is null ? null : new TransactionAnalyzer(new FeatureExtractor(Behaviour), scoring ? _models : null, Baselines, _options.Scan);
        var workerCount = Math.Max(1, _options.Pipeline.Workers);
        var tls = TlsModel is null ? null : new TlsConnectionAnalyzer(TlsModel);
        var output = _outputStage = new OutputStage(_output);
        var analysis = new AnalysisWorker(workerCount, analyzer, output, _options.Pipeline.MaxPendingTransactions, tls);
        var options = tls is null ? _options : _options with { TlsMetadata = _options.TlsMetadata with { KeepRecordShapes = true } };
        // Response bodies are read by feature extraction and alert excerpts: without an analyzer, only an output that says so.
        if (analyzer is null && !_output.ReadsResponseBodies) options = options with { Http = options.Http with { KeepResponseBodies = false } };
        // Whole bodies are read on the flow workers (parameters, the features of a transaction's own bytes); after
        // that only alert excerpts, unless an output says it reads them. So they are decoded into pooled buffers,
        // returned when the flow worker hands each transaction on, instead of an array per message.
        if (!_output.ReadsResponseBodies)
            options = options with { Http = options.Http with { RetainedBodyBytes = scoring ? Math.Max(0, _options.Eve.BodyExcerptBytes) : 0 } };
        var workers = Enumerable.Range(0, workerCount).Select(i => new FlowWorker(i, options, protocols, free, analysis)).ToArray();
        var dispatcher = new FrameDispatcher(_options, workers, free, analysis);
        _workers = workers;
        _dispatcher = dispatcher;
        var threads = _workers.Select((w, i) => new Thread(w.Run) { IsBackground = true, Name = $"flow-worker-{i}" })
            .Append(new Thread(analysis.Run) { IsBackground = true, Name = "analysis" })
            .Append(new Thread(output.Run) { IsBackground = true, Name = "output" })
            .ToArray();
        foreach (var t in threads) t.Start();

        try
        {
            read(dispatcher);
        }
        finally
        {
            dispatcher.FlushAll();
            foreach (var w in _workers) w.Queue.Complete();
            foreach (var t in threads) t.Join();
            _output.Flush();
            _stopwatch.Stop();
        }

        return Collect(dispatcher);
    }

    private List<CaptureFileResult> FilesSoFar()
    {
        lock (_files) return _files.ToList();
    }

    private SensorStatistics Collect(FrameDispatcher? d)
    {
        var workers = _workers;
        var flowsEnded = new ReasonCounters<FlowEndReason>();
        var reassembly = new ReassemblyCounters();
        var app = _protocols.CreateCounters();
        long flowsCreated = 0, reassemblyPeak = 0, inspectPeak = 0;
        long flowsActive = 0, reassemblyUsed = 0;
        var queueDepths = new int[workers.Length];
        for (var i = 0; i < workers.Length; i++)
        {
            var w = workers[i];
            flowsActive += w.Flows.Active;
            reassemblyUsed += w.ReassemblyMemory.UsedBytes;
            queueDepths[i] = w.QueueDepth;
            flowsEnded.Add(w.Flows.Ended);
            flowsCreated += w.Flows.Created;
            reassembly.Add(w.Reassembly);
            app.Add(w.AppLayer);
            reassemblyPeak = Math.Max(reassemblyPeak, w.ReassemblyMemory.PeakBytes);
            inspectPeak = Math.Max(inspectPeak, w.InspectMemory.PeakBytes);
        }
        // HTTP's figures keep their names of old (dashboards and the summary read them); every
        // protocol's own figures are also under AppProtocols.
        var http = app.Of<HttpCounters>() ?? new HttpCounters();
        var live = _live?.Counters;
        long frames = d?.Frames ?? 0;
        return new SensorStatistics
        {
            Files = FilesSoFar(),
            Interface = _live?.Interface,
            CaptureReceived = live?.Received,
            KernelDrops = live?.KernelDropped,
            InterfaceDrops = live?.InterfaceDropped,
            DrainedAtStop = _live?.DrainedAtStop,
            CaptureError = _liveError,
            Packets = frames,
            Bytes = d?.Bytes ?? 0,
            TcpSegments = d?.TcpSegments ?? 0,
            SnaplenTruncatedPackets = d?.TruncatedFrames ?? 0,
            FirstPacketTime = frames > 0 ? EveJsonWriter.FormatTimestamp(d!.FirstTimestampMicros) : null,
            LastPacketTime = frames > 0 ? EveJsonWriter.FormatTimestamp(d!.LastTimestampMicros) : null,
            DecodeErrors = d?.Decoder.Errors.NonZero() ?? new Dictionary<string, long>(),
            Checksums = d?.Decoder.Checksums.NonZero() ?? new Dictionary<string, long>(),
            IgnoredPackets = d?.Decoder.Ignored.NonZero() ?? new Dictionary<string, long>(),
            FragmentedDatagramsReassembled = d?.Decoder.FragmentsReassembled ?? 0,
            FlowsActive = flowsActive,
            QueueDepths = queueDepths,
            ReassemblyMemoryBytes = reassemblyUsed,
            FlowsCreated = flowsCreated,
            FlowsEnded = flowsEnded.NonZero(),
            ReassembledBytes = reassembly.DeliveredBytes,
            ReassemblyDroppedBytes = reassembly.DroppedBytes.NonZero(),
            ReassemblyGapBytes = reassembly.GapBytes.NonZero(),
            ReassemblyEvents = reassembly.Events.NonZero(),
            ReassemblyMemoryPeakBytes = reassemblyPeak,
            ReassemblyMemoryCapBytes = _options.Reassembly.MemoryCapBytes,
            HttpTransactions = http.Transactions,
            HttpAnomalies = http.Anomalies.NonZero(),
            HttpResyncSkippedBytes = http.ResyncSkippedBytes,
            HttpNotParsedBytes = http.NotParsedBytes + app.SkippedBytes(HttpProtocol.ProtocolName) + app.UnknownBytes,
            NonHttpStreams = http.NonHttpStreams,
            AppRecords = app.RecordsByProtocol(),
            AppSessions = app.SessionsByProtocol(),
            AppProtoUnknownStreams = app.UnknownStreams,
            AppProtoUnknownBytes = app.UnknownBytes,
            AppProtocols = app.ProtocolFigures(),
            HttpInspectMemoryPeakBytes = inspectPeak,
            BehaviourPaths = Behaviour?.Paths ?? 0,
            BehaviourSessions = Behaviour?.Sessions ?? 0,
            BehaviourMemoryBytes = (Behaviour?.ApproximateBytes ?? 0) + (Baselines?.ApproximateBytes ?? 0),
            BaselineServers = Baselines?.Servers ?? 0,
            BehaviourEvictions = Behaviour?.Evictions ?? 0,
            ElapsedSeconds = _stopwatch.Elapsed.TotalSeconds,
            FirstRecordSeconds = _outputStage?.FirstWritten is { } first ? (first - ProcessStart).TotalSeconds : null,
            AllocatedBytes = GC.GetTotalAllocatedBytes(),
        };
    }
}

/// <summary>Records each frame to the rolling pcap window, then passes it on.</summary>
internal sealed class RecordingFrameHandler(RotatingPcapWriter recorder, IFrameHandler next) : IFrameHandler
{
    public void OnFrame(in CaptureFrame frame)
    {
        recorder.Write(frame);
        next.OnFrame(frame);
    }

    public void OnTick(long nowMicros)
    {
        recorder.Flush();
        next.OnTick(nowMicros);
    }
}
