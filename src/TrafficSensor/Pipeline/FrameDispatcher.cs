using System.Collections.Concurrent;
using TrafficSensor.Capture;
using TrafficSensor.Decoding;
using TrafficSensor.Flows;

namespace TrafficSensor.Pipeline;

/// <summary>
/// The reading thread's stage: decodes each frame, keeps TCP segments, and appends each one to the
/// batch of the worker that owns its flow (symmetric hash, so both directions meet on one worker).
/// Full batches go through the worker's bounded queue; when a worker falls behind, the reader waits
/// (replay) — nothing is dropped silently. Every second of packet time it sends every worker a tick
/// (flows time out then); when the analysis thread has too many transactions pending, it hands every
/// worker its partial batch (so every watermark moves past them) and waits. Owned by the reader thread.
/// </summary>
internal sealed class FrameDispatcher : IFrameHandler
{
    private const long ClockIntervalMicros = 1_000_000;

    private readonly PacketDecoder _decoder;
    private readonly FlowWorker[] _workers;
    private readonly PacketBatch?[] _open;
    private readonly ConcurrentQueue<PacketBatch> _free;
    private readonly AnalysisWorker _analysis;
    private readonly int _batchSize;
    private long _clock;
    private long _lastClockPush;

    public FrameDispatcher(SensorOptions options, FlowWorker[] workers, ConcurrentQueue<PacketBatch> free, AnalysisWorker analysis)
    {
        _analysis = analysis;
        _decoder = new PacketDecoder(options.Decoding);
        _workers = workers;
        _open = new PacketBatch?[workers.Length];
        _free = free;
        _batchSize = Math.Max(1, options.Pipeline.BatchSize);
    }

    public PacketDecoder Decoder => _decoder;
    public long Frames;
    public long Bytes;
    public long TcpSegments;
    public long TruncatedFrames;
    public long FirstTimestampMicros = long.MaxValue;
    public long LastTimestampMicros = long.MinValue;

    public void OnFrame(in CaptureFrame frame)
    {
        Frames++;
        Bytes += frame.Data.Length;
        if (frame.IsTruncated) TruncatedFrames++;
        var now = frame.TimestampMicros;
        if (now < FirstTimestampMicros) FirstTimestampMicros = now;
        if (now > LastTimestampMicros) LastTimestampMicros = now;
        // Packet time only moves forward: a frame stamped in the past does not rewind timeouts.
        if (now > _clock) _clock = now;

        var packet = new DecodedPacket();
        if (_decoder.Decode(frame, ref packet) == DecodeOutcome.Tcp)
        {
            TcpSegments++;
            var key = FlowKey.From(packet.Source, packet.SourcePort, packet.Destination, packet.DestinationPort,
                packet.Protocol, packet.Vlan, packet.InnerVlan, out var fromLow);
            var worker = (int)(key.ShardHash() % (ulong)_workers.Length);
            var batch = _open[worker] ??= Rent();
            batch.Add(Frames, packet, key, fromLow);
            if (batch.IsFull)
            {
                Send(worker, tick: false);
                if (_analysis.Backlogged)
                {
                    FlushAll();
                    _analysis.WaitWhileBacklogged();
                }
            }
        }

        if (_clock - _lastClockPush >= ClockIntervalMicros)
        {
            // Let every worker see time pass, even one whose flows are quiet.
            _lastClockPush = _clock;
            _decoder.ExpireFragments(_clock);
            for (var i = 0; i < _workers.Length; i++) Send(i, tick: true);
        }
    }

    /// <summary>
    /// Live capture: wall-clock time passed. Moves the flow clock (so a quiet link still times flows
    /// out) and hands partial batches to the workers, which bounds the delay from packet to verdict.
    /// </summary>
    public void OnTick(long nowMicros)
    {
        if (nowMicros > _clock) _clock = nowMicros;
        _lastClockPush = _clock;
        _decoder.ExpireFragments(_clock);
        for (var i = 0; i < _workers.Length; i++) Send(i, tick: true);
    }

    /// <summary>Sends every partly filled batch (end of input, or the analysis waits for watermarks); no flow expires.</summary>
    public void FlushAll()
    {
        for (var i = 0; i < _workers.Length; i++) Send(i, tick: false);
    }

    private void Send(int worker, bool tick)
    {
        var batch = _open[worker] ?? Rent();
        _open[worker] = null;
        batch.ClockMicros = _clock;
        batch.Watermark = Frames;
        batch.Tick = tick;
        _workers[worker].Queue.Add(batch); // back-pressure: sleeps while the worker's queue is full
    }

    private PacketBatch Rent() => _free.TryDequeue(out var batch) ? batch : new PacketBatch(_batchSize);
}
