using TrafficSensor.Protocols;

namespace TrafficSensor.Pipeline;

/// <summary>
/// Where a transaction falls in capture order, the same whatever the number of flow workers: the
/// index of the packet that completed it (flows are sharded by 5-tuple, so one packet belongs to one
/// worker); or, for transactions completed by flows ending at a clock tick or at the end of input
/// (<see cref="AtFlowEnd"/>), that tick's packet index, then the flow's last packet time, then its
/// flow id (flows of different workers end at the same tick). <see cref="Sequence"/> keeps one
/// worker's emission order within one packet or one flow.
/// </summary>
internal readonly record struct CaptureOrder(long PacketIndex, bool AtFlowEnd, long LastSeenMicros, long FlowId, long Sequence)
    : IComparable<CaptureOrder>
{
    public int CompareTo(CaptureOrder other)
    {
        var c = PacketIndex.CompareTo(other.PacketIndex);
        if (c != 0) return c;
        c = AtFlowEnd.CompareTo(other.AtFlowEnd);
        if (c != 0) return c;
        c = LastSeenMicros.CompareTo(other.LastSeenMicros);
        if (c != 0) return c;
        c = FlowId.CompareTo(other.FlowId);
        return c != 0 ? c : Sequence.CompareTo(other.Sequence);
    }
}

internal readonly record struct OrderedRecord(CaptureOrder Order, AppRecord Record);

/// <summary>
/// What a flow worker hands to the analysis thread after each packet batch: the transactions it
/// completed, in capture order, and its watermark: every transaction it will complete later comes
/// after packet <see cref="Watermark"/>.
/// </summary>
internal sealed class RecordBatch(List<OrderedRecord> records, long watermark)
{
    public List<OrderedRecord> Records { get; } = records;
    public long Watermark { get; } = watermark;
}
