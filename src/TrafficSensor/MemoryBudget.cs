namespace TrafficSensor;

/// <summary>
/// A byte budget shared by all flows of one worker (out-of-order segments, HTTP bodies kept for
/// inspection). Holders reserve before they copy and release when they let go, so the total never
/// exceeds the configured cap, whatever the traffic. Single-threaded, like the worker that owns it.
/// </summary>
public sealed class MemoryBudget(long capBytes)
{
    public long CapBytes { get; } = capBytes;
    public long UsedBytes { get; private set; }
    public long PeakBytes { get; private set; }

    public bool TryReserve(int bytes)
    {
        if (UsedBytes + bytes > CapBytes) return false;
        UsedBytes += bytes;
        if (UsedBytes > PeakBytes) PeakBytes = UsedBytes;
        return true;
    }

    public void Release(int bytes) => UsedBytes -= bytes;
}
