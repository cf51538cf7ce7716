namespace TrafficSensor.Reassembly;

/// <summary>Counters of all streams of one worker.</summary>
public sealed class ReassemblyCounters
{
    public ReasonCounters<ReassemblyDrop> DroppedBytes { get; } = new();
    public ReasonCounters<ReassemblyGap> GapBytes { get; } = new();
    public ReasonCounters<ReassemblyEvent> Events { get; } = new();
    public long DeliveredBytes { get; internal set; }

    public void Add(ReassemblyCounters other)
    {
        DroppedBytes.Add(other.DroppedBytes);
        GapBytes.Add(other.GapBytes);
        Events.Add(other.Events);
        DeliveredBytes += other.DeliveredBytes;
    }
}
