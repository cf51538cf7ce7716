using TrafficSensor.Decoding;
using TrafficSensor.Flows;

namespace TrafficSensor.Pipeline;

/// <summary>A decoded TCP segment on its way to the worker that owns its flow; its payload is a copy in the batch's <see cref="PacketBatch.Payloads"/>.</summary>
internal struct PacketWork
{
    /// <summary>The frame's position in the input (from 1): the capture order of what it completes.</summary>
    public long Index;
    public FlowKey Key;
    public bool FromLow;
    public uint Sequence;
    public uint Acknowledgment;
    public TcpFlags Flags;
    public long TimestampMicros;
    /// <summary>Where the payload starts in <see cref="PacketBatch.Payloads"/>.</summary>
    public int PayloadOffset;
    public int PayloadLength;
    public int WireLength;
    // For judging the segment as the receiver would (TrafficSensor.Reassembly.TcpConnection).
    public ushort Window;
    public sbyte WindowScale;
    public byte Ttl;
    public ushort UrgentPointer;
    public ChecksumStatus Checksum;
}

/// <summary>
/// Packets handed to a worker in one channel write, so the channel's synchronisation cost is paid
/// per batch, not per packet. <see cref="Watermark"/> is the index of the last frame the reader had
/// read when it sent the batch: the worker has then been given every packet of its own up to it.
/// A <see cref="Tick"/> batch carries the reader's packet time (<see cref="ClockMicros"/>): the worker
/// expires flows then, at the same frame whatever the number of workers.
/// <para>The payloads are copied one after the other into one buffer the batch keeps while it is
/// recycled (reader → worker → free list → reader): the per-packet path allocates nothing and does not
/// go through the shared array pool, whose per-core stacks a reader renting and a worker returning
/// tens of thousands of buffers overflowed (a third of the bytes a replay allocated).</para>
/// </summary>
internal sealed class PacketBatch(int capacity)
{
    /// <summary>Above this a batch gives its payload buffer back when cleared (offload "super frames" must not pin memory).</summary>
    private const int KeptPayloadBytes = 1 << 20;

    public readonly PacketWork[] Items = new PacketWork[capacity];
    public int Count;
    /// <summary>The payloads of <see cref="Items"/>, back to back; owned by whichever thread holds the batch.</summary>
    public byte[] Payloads { get; private set; } = [];
    private int _payloadBytes;
    public long ClockMicros;
    public long Watermark;
    public bool Tick;

    public bool IsFull => Count == Items.Length;

    public void Add(long index, in DecodedPacket packet, in FlowKey key, bool fromLow)
    {
        ref var item = ref Items[Count++];
        item.Index = index;
        item.Key = key;
        item.FromLow = fromLow;
        item.Sequence = packet.Sequence;
        item.Acknowledgment = packet.Acknowledgment;
        item.Flags = packet.Flags;
        item.TimestampMicros = packet.TimestampMicros;
        item.PayloadLength = packet.Payload.Length;
        item.WireLength = packet.PayloadWireLength;
        item.Window = packet.Window;
        item.WindowScale = packet.WindowScale;
        item.Ttl = packet.Ttl;
        item.UrgentPointer = packet.UrgentPointer;
        item.Checksum = packet.Checksum;
        item.PayloadOffset = _payloadBytes;
        var length = packet.Payload.Length;
        if (length == 0) return;
        if (Payloads.Length - _payloadBytes < length) Grow(length);
        packet.Payload.CopyTo(Payloads.AsSpan(_payloadBytes));
        _payloadBytes += length;
    }

    public ReadOnlySpan<byte> PayloadOf(in PacketWork item) => Payloads.AsSpan(item.PayloadOffset, item.PayloadLength);

    private void Grow(int length)
    {
        // Sized for a batch of ordinary frames at first; doubles when frames are larger.
        var bigger = new byte[Math.Max(_payloadBytes + length, Math.Max(Items.Length * 1536, Payloads.Length * 2))];
        Payloads.AsSpan(0, _payloadBytes).CopyTo(bigger);
        Payloads = bigger;
    }

    public void Clear()
    {
        Count = 0;
        _payloadBytes = 0;
        Tick = false;
        if (Payloads.Length > KeptPayloadBytes) Payloads = [];
    }
}
