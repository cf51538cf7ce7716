using System.Threading.Channels;
using TrafficSensor.Capture;
using TrafficSensor.Decoding;
using TrafficSensor.Flows;

namespace TrafficSensor.Pipeline;

/// <summary>
/// The reading thread's stage: decodes each frame, keeps TCP segments, and appends each one to the
/// batch of the worker that owns its flow (symmetric hash, so both directions meet on one worker).
/// Full batches go through the worker's bounded channel; when a worker falls behind, the reader waits
/// (replay) — nothing is dropped silently.
/// </summary>
internal sealed class FrameDispatcher : IFrameHandler
{
    private const long ClockIntervalMicros = 1_000_000;

    private readonly PacketDecoder _decoder;
    private readonly FlowWorker[] _workers;
    private readonly PacketBatch?[] _open;
    private readonly Channel<PacketBatch> _free;
    private readonly int _batchSize;
    private long _clock;
    private long _lastClockPush;

    public FrameDispatcher(SensorOptions options, FlowWorker[] workers, Channel<PacketBatch> free)
    {
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
            batch.Add(packet, key, fromLow);
            if (batch.IsFull) Send(worker);
        }

        if (_clock - _lastClockPush >= ClockIntervalMicros)
        {
            // Let every worker see time pass, even one whose flows are quiet.
            _lastClockPush = _clock;
            _decoder.ExpireFragments(_clock);
            for (var i = 0; i < _workers.Length; i++) Send(i);
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
        FlushAll();
    }

    /// <summary>Sends every partly filled batch (end of input, or a clock tick).</summary>
    public void FlushAll()
    {
        for (var i = 0; i < _workers.Length; i++) Send(i);
    }

    private void Send(int worker)
    {
        var batch = _open[worker] ?? Rent();
        _open[worker] = null;
        batch.ClockMicros = _clock;
        var writer = _workers[worker].Queue;
        if (!writer.TryWrite(batch))
            writer.WriteAsync(batch).AsTask().GetAwaiter().GetResult(); // back-pressure: wait for the worker
    }

    private PacketBatch Rent() => _free.Reader.TryRead(out var batch) ? batch : new PacketBatch(_batchSize);
}
