using System.Buffers;
using TrafficSensor.Decoding;
using TrafficSensor.Flows;

namespace TrafficSensor.Pipeline;

/// <summary>A decoded TCP segment on its way to the worker that owns its flow; the payload is a pooled copy.</summary>
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
    public byte[]? Payload;
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
/// </summary>
internal sealed class PacketBatch(int capacity)
{
    public readonly PacketWork[] Items = new PacketWork[capacity];
    public int Count;
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
        if (packet.Payload.Length > 0)
        {
            item.Payload = ArrayPool<byte>.Shared.Rent(packet.Payload.Length);
            packet.Payload.CopyTo(item.Payload);
        }
        else
        {
            item.Payload = null;
        }
    }

    public void Clear()
    {
        for (var i = 0; i < Count; i++)
        {
            if (Items[i].Payload is { } buffer) ArrayPool<byte>.Shared.Return(buffer);
            Items[i].Payload = null;
        }
        Count = 0;
        Tick = false;
    }
}
