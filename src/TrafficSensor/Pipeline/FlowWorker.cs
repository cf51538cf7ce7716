using System.Collections.Concurrent;
using TrafficSensor.Decoding;
using TrafficSensor.Features;
using TrafficSensor.Flows;
using TrafficSensor.Output;
using TrafficSensor.Protocols;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Pipeline;

/// <summary>
/// One flow-processing thread: owns a shard of the flows (chosen by the symmetric 5-tuple hash), with
/// their reassembly and application-protocol state, and its own memory budgets and counters. It hands the records
/// it completes, tagged with their <see cref="CaptureOrder"/>, to the analysis thread; nothing learned
/// across flows lives here, so the hot path takes no locks and results do not depend on the sharding.
/// Flows end on packet time only: at the reader's clock ticks (timeouts) and at the end of input.
/// </summary>
internal sealed class FlowWorker
{
    private readonly int _index;
    private readonly BlockingBatchQueue<PacketBatch> _queue;
    private readonly ConcurrentQueue<PacketBatch> _recycle;
    private readonly AnalysisWorker _analysis;
    private readonly FlowTable<FlowSession> _flows;

    // The capture order of what is being processed now (owned by this worker's thread).
    private List<OrderedRecord> _completed = new();
    private long _packetIndex;
    private bool _endingFlows;
    private long _endingLastSeen;
    private long _endingFlowId;
    private long _sequence;
    private static readonly List<OrderedRecord> NoRecords = new(0); // never added to

    public FlowWorker(int index, SensorOptions options, ProtocolRegistry protocols, ConcurrentQueue<PacketBatch> recycle, AnalysisWorker analysis)
    {
        _index = index;
        Options = options;
        Protocols = protocols;
        AppLayer = protocols.CreateCounters();
        _recycle = recycle;
        _analysis = analysis;
        _queue = new BlockingBatchQueue<PacketBatch>(Math.Max(1, options.Pipeline.QueueBatches));
        // The cap is for all workers together: each gets its share, so it holds for any worker count.
        ReassemblyMemory = new MemoryBudget(options.Reassembly.MemoryCapBytes / Math.Max(1, options.Pipeline.Workers));
        InspectMemory = new MemoryBudget(options.Http.MaxInspectMemoryBytes);
        // MaxFlows bounds the flows of all workers together, so memory does not grow with --workers.
        var workers = Math.Max(1, options.Pipeline.Workers);
        _flows = new FlowTable<FlowSession>(options.Flows with { MaxFlows = Math.Max(1, options.Flows.MaxFlows / workers) }, OnFlowEnd);
    }

    public SensorOptions Options { get; }
    public MemoryBudget ReassemblyMemory { get; }
    public MemoryBudget InspectMemory { get; }
    public ReassemblyCounters Reassembly { get; } = new();
    /// <summary>The run's protocols (shared, read-only while workers run).</summary>
    public ProtocolRegistry Protocols { get; }
    /// <summary>This worker's application-layer counters, of every protocol (owned by this worker's thread).</summary>
    public AppLayerCounters AppLayer { get; }
    public FlowTable<FlowSession> Flows => _flows;
    public BlockingBatchQueue<PacketBatch> Queue => _queue;
    public int QueueDepth => _queue.Count;

    /// <summary>The worker thread's loop: runs until the queue is completed and drained, then ends all flows.</summary>
    public void Run()
    {
        while (_queue.Take(out var batch))
        {
            Process(batch);
            if (batch.Tick) EndFlows(batch.Watermark, () => _flows.Expire(batch.ClockMicros));
            Hand(batch.Watermark);
            batch.Clear();
            _recycle.Enqueue(batch);
        }
        EndFlows(long.MaxValue, _flows.Flush);
        Hand(long.MaxValue);
    }

    /// <summary>
    /// A session completed a record: it leaves with its place in capture order and, for an HTTP
    /// transaction when the run computes features, those of its own bytes, measured here so that the
    /// flow workers share that work and the analysis thread (the one owner of behaviour state) keeps
    /// only what needs the state. When nothing after this point reads whole bodies
    /// (<see cref="Http.HttpOptions.RetainedBodyBytes"/> is set), the transaction's pooled bodies go back
    /// here, once measured: only the alert excerpt travels on.
    /// </summary>
    public void Complete(AppRecord record)
    {
        FeatureExtractor.TransactionContent? content = null;
        if (record is TransactionRecord transaction)
        {
            if (_analysis.ComputesFeatures) content = FeatureExtractor.Measure(transaction.Transaction);
            if (Options.Http.RetainedBodyBytes is { } excerpt) transaction.Transaction.ReleasePooledBodies(excerpt);
        }
        _completed.Add(new OrderedRecord(_endingFlows
            ? new CaptureOrder(_packetIndex, true, _endingLastSeen, _endingFlowId, _sequence++)
            : new CaptureOrder(_packetIndex, false, 0, 0, _sequence++), record, content));
    }

    private void Hand(long watermark)
    {
        if (_completed.Count == 0)
        {
            _analysis.Post(_index, new RecordBatch(NoRecords, watermark));
            return;
        }
        _analysis.Post(_index, new RecordBatch(_completed, watermark));
        _completed = new List<OrderedRecord>();
    }

    /// <summary>Ends flows at a tick (or the end of input) and orders their transactions by flow, as every worker count would.</summary>
    private void EndFlows(long tickIndex, Action end)
    {
        var first = _completed.Count;
        _packetIndex = tickIndex;
        _endingFlows = true;
        end();
        _endingFlows = false;
        if (_completed.Count - first > 1)
            _completed.Sort(first, _completed.Count - first, Comparer<OrderedRecord>.Create((a, b) => a.Order.CompareTo(b.Order)));
    }

    private void Process(PacketBatch batch)
    {
        var items = batch.Items;
        for (var i = 0; i < batch.Count; i++)
            Process(ref items[i], batch.PayloadOf(items[i]));
    }

    private void Process(ref PacketWork p, ReadOnlySpan<byte> payload)
    {
        _packetIndex = p.Index;
        // FIN and RST change the flow's state only once the connection accepted them (a forged one must not end it).
        var flow = _flows.Track(p.Key, p.FromLow, p.Flags & ~(TcpFlags.Fin | TcpFlags.Rst), p.PayloadLength, p.TimestampMicros);
        var session = flow.Session ??= new FlowSession(flow, this);
        if (session.App.Finished)
        {
            session.App.CountSkipped(p.PayloadLength);
            return;
        }

        var segment = new TcpSegmentInfo(p.Sequence, p.Acknowledgment, p.Flags, p.Window, p.WindowScale, p.Ttl, p.UrgentPointer, p.Checksum, p.WireLength);
        var outcome = session.Tcp.OnSegment(p.FromLow, segment, payload, p.TimestampMicros);
        if (outcome == TcpSegmentOutcome.Fin) _flows.Finished(flow, p.FromLow);
        else if (outcome == TcpSegmentOutcome.Reset) _flows.Reset(flow);
    }

    private void OnFlowEnd(Flow<FlowSession> flow, FlowEndReason reason)
    {
        if (flow.Session is not { } session) return;
        _endingLastSeen = flow.LastSeenMicros;
        _endingFlowId = flow.FlowId;
        session.Close(flow.LastSeenMicros);
        flow.Session = null;
    }
}
