using System.Threading.Channels;
using TrafficSensor.Decoding;
using TrafficSensor.Flows;
using TrafficSensor.Http;
using TrafficSensor.Output;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Pipeline;

/// <summary>
/// One flow-processing thread: owns a shard of the flows (chosen by the symmetric 5-tuple hash), with
/// their reassembly and HTTP state, and its own memory budgets and counters. Nothing here is shared
/// with other workers except the output and the server registry, so the hot path takes no locks.
/// </summary>
internal sealed class FlowWorker
{
    private readonly Channel<PacketBatch> _queue;
    private readonly ChannelWriter<PacketBatch> _recycle;
    private readonly HttpServerRegistry _servers;
    private readonly FlowTable<FlowSession> _flows;

    public FlowWorker(SensorOptions options, ITransactionOutput output, HttpServerRegistry servers, ChannelWriter<PacketBatch> recycle, TransactionAnalyzer? analyzer)
    {
        Analyzer = analyzer;
        Options = options;
        Output = output;
        _servers = servers;
        _recycle = recycle;
        _queue = Channel.CreateBounded<PacketBatch>(new BoundedChannelOptions(Math.Max(1, options.Pipeline.QueueBatches))
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        // The cap is for all workers together: each gets its share, so it holds for any worker count.
        ReassemblyMemory = new MemoryBudget(options.Reassembly.MemoryCapBytes / Math.Max(1, options.Pipeline.Workers));
        InspectMemory = new MemoryBudget(options.Http.MaxInspectMemoryBytes);
        _flows = new FlowTable<FlowSession>(options.Flows, OnFlowEnd);
    }

    public SensorOptions Options { get; }
    public TransactionAnalyzer? Analyzer { get; }
    public ITransactionOutput Output { get; }
    public MemoryBudget ReassemblyMemory { get; }
    public MemoryBudget InspectMemory { get; }
    public ReassemblyCounters Reassembly { get; } = new();
    public HttpCounters Http { get; } = new();
    public FlowTable<FlowSession> Flows => _flows;
    public ChannelWriter<PacketBatch> Queue => _queue.Writer;
    public int QueueDepth => _queue.Reader.Count;

    /// <summary>The worker thread's loop: runs until the queue is completed and drained, then ends all flows.</summary>
    public void Run()
    {
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var batch))
            {
                Process(batch);
                batch.Clear();
                _recycle.TryWrite(batch);
            }
        }
        _flows.Flush();
    }

    private void Process(PacketBatch batch)
    {
        var items = batch.Items;
        for (var i = 0; i < batch.Count; i++)
            Process(ref items[i]);
        _flows.Expire(batch.ClockMicros);
    }

    private void Process(ref PacketWork p)
    {
        // FIN and RST change the flow's state only once the connection accepted them (a forged one must not end it).
        var flow = _flows.Track(p.Key, p.FromLow, p.Flags & ~(TcpFlags.Fin | TcpFlags.Rst), p.PayloadLength, p.TimestampMicros);
        var session = flow.Session ??= new FlowSession(flow, this, _servers);
        if (session.Http.Finished)
        {
            Http.NotParsedBytes += p.PayloadLength;
            return;
        }

        var segment = new TcpSegmentInfo(p.Sequence, p.Acknowledgment, p.Flags, p.Window, p.WindowScale, p.Ttl, p.UrgentPointer, p.Checksum, p.WireLength);
        var outcome = session.Tcp.OnSegment(p.FromLow, segment, p.Payload.AsSpan(0, p.PayloadLength), p.TimestampMicros);
        if (outcome == TcpSegmentOutcome.Fin) _flows.Finished(flow, p.FromLow);
        else if (outcome == TcpSegmentOutcome.Reset) _flows.Reset(flow);
    }

    private void OnFlowEnd(Flow<FlowSession> flow, FlowEndReason reason)
    {
        if (flow.Session is not { } session) return;
        session.Close(flow.LastSeenMicros);
        flow.Session = null;
    }
}
