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
    /// <summary>
    /// Bytes the receiver would not have accepted: sent into a closed (zero) or exceeded receive
    /// window, on a SYN the SYN-ACK did not acknowledge, or in a packet with a bad checksum.
    /// </summary>
    NotAccepted,
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
    /// <summary>The direction's out-of-order limit forced the stream past a hole.</summary>
    BufferLimitReached,
    /// <summary>A packet with a bad IP or TCP checksum was not taken as what the receiver got.</summary>
    BadChecksumIgnored,
    /// <summary>A bad checksum from a sender that never sent a right one: its NIC fills them in (offload), the data is taken.</summary>
    ChecksumOffloadAssumed,
    /// <summary>An RST the receiver would have ignored (sequence number not the expected one, bad checksum, other TTL).</summary>
    RstIgnored,
    /// <summary>A FIN the receiver would not have taken (bad checksum, other TTL, outside the window).</summary>
    FinIgnored,
    /// <summary>Data sent beyond the receiver's advertised window (a zero window included).</summary>
    DataOutsideWindow,
    /// <summary>Data on a SYN that the SYN-ACK did not acknowledge.</summary>
    SynDataIgnored,
    /// <summary>The SYN-ACK acknowledged another SYN than the first one seen: the other was a decoy.</summary>
    SynNotAcknowledged,
    /// <summary>A segment with another TTL (hop limit) than its connection's: it may die before the receiver.</summary>
    TtlInconsistent,
    /// <summary>A segment acknowledging data its peer never sent: a receiver discards it.</summary>
    InvalidAck,
    /// <summary>Overlapping copies differed and the one consistent with the connection was kept.</summary>
    InconsistentCopyDiscarded,
    /// <summary>A held inconsistent copy was used because no other came (the receiver acknowledged it, or the stream ended).</summary>
    UnconfirmedCopyUsed,
    /// <summary>A retransmission of delivered bytes carried different bytes.</summary>
    RetransmissionDifferentData,
    /// <summary>An urgent (out-of-band) byte was removed from the stream, as the receiving socket does.</summary>
    UrgentByteRemoved,
}

/// <summary>
/// TCP-level choices and evasion signs of one direction, handed to the transaction they affect
/// (they appear in its <c>http.anomalies</c> as <c>tcp_*</c> names). Each is also counted by
/// <see cref="ReassemblyEvent"/>.
/// </summary>
[Flags]
public enum TcpAnomalies
{
    None = 0,
    BadChecksum = 1 << 0,
    RstIgnored = 1 << 1,
    FinIgnored = 1 << 2,
    DataOutsideWindow = 1 << 3,
    SynDataIgnored = 1 << 4,
    SynNotAcknowledged = 1 << 5,
    TtlInconsistent = 1 << 6,
    InvalidAck = 1 << 7,
    OverlapDifferentData = 1 << 8,
    InconsistentCopyDiscarded = 1 << 9,
    UnconfirmedCopyUsed = 1 << 10,
    RetransmissionDifferentData = 1 << 11,
    UrgentData = 1 << 12,
}
