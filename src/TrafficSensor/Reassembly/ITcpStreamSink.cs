namespace TrafficSensor.Reassembly;

/// <summary>Receives one direction of a TCP connection as an ordered byte stream with explicit holes.</summary>
public interface ITcpStreamSink
{
    /// <summary>The next bytes of the stream, in order. Valid only during the call.</summary>
    void OnData(ReadOnlySpan<byte> data, long timestampMicros);

    /// <summary><paramref name="length"/> bytes of the stream were never seen (lost, cut by the snaplen, or given up on).</summary>
    void OnGap(long length, long timestampMicros);

    /// <summary>The sender closed its side (FIN delivered in order) or the flow ended.</summary>
    void OnEnd(long timestampMicros);
}

/// <summary>Bytes the reassembler did not deliver, by reason.</summary>
public enum ReassemblyDrop
{
    /// <summary>Bytes already delivered, sent again (also keep-alives and zero-window probes).</summary>
    Retransmission,
    /// <summary>Bytes of a segment overlapping buffered data, resolved by the overlap policy.</summary>
    Overlap,
    /// <summary>A segment far beyond the receive window of what was seen.</summary>
    OutOfWindow,
    /// <summary>Bytes beyond the per-direction depth limit.</summary>
    DepthExceeded,
    /// <summary>Out-of-order bytes refused because the worker's memory cap was reached.</summary>
    MemoryCap,
    /// <summary>Bytes before the point where a midstream stream was picked up.</summary>
    BeforeStreamStart,
    /// <summary>Buffered bytes still waiting for a hole to fill when the flow ended.</summary>
    PendingAtEnd,
}

/// <summary>Bytes of stream reported as gaps, by cause.</summary>
public enum ReassemblyGap
{
    /// <summary>The receiver acknowledged data the sensor never saw (capture loss).</summary>
    Lost,
    /// <summary>Part of a segment was cut by the capture's snaplen.</summary>
    Snaplen,
    /// <summary>The out-of-order buffer of the direction filled up before the hole was filled.</summary>
    BufferLimit,
    /// <summary>Holes still open when the flow ended.</summary>
    AtEnd,
}

/// <summary>Notable reassembly events (counted once each).</summary>
public enum ReassemblyEvent
{
    MidstreamPickup,
    /// <summary>An overlapping segment carried different bytes than the first copy: a classic IDS-evasion sign.</summary>
    OverlapDifferentData,
    MemoryCapHit,
    DepthReached,
}
