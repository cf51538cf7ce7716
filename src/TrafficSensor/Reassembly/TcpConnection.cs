using TrafficSensor.Decoding;

namespace TrafficSensor.Reassembly;

/// <summary>What became of one segment at the connection level.</summary>
public enum TcpSegmentOutcome
{
    /// <summary>Taken as the receiver would take it (its data may still be held as a suspect copy).</summary>
    Accepted,
    /// <summary>Accepted, and it was a FIN the receiver takes.</summary>
    Fin,
    /// <summary>An RST the receiver accepts: the connection is over; both directions were flushed.</summary>
    Reset,
    /// <summary>The receiver would discard it (bad checksum, out of its window, an RST or SYN it ignores).</summary>
    Ignored,
}

/// <summary>
/// Both directions of one TCP connection, judged as the receiving host (Linux, the usual web server)
/// would judge each segment — target-based reassembly in the spirit of Suricata's stream engine and
/// the insertion/evasion cases of Ptacek and Newsham (1998):
/// <list type="bullet">
/// <item>a packet with a bad IP or TCP checksum does not speak for the connection (dropped with
/// <see cref="ChecksumValidation.Always"/>; in automatic mode its data is held as a suspect copy, so a
/// capture with offloaded checksums loses nothing before the decoder stops verifying);</item>
/// <item>an RST counts only with the sequence number the receiver expects next (RFC 5961 §3: Linux
/// ignores any other and answers with a challenge ACK), from the connection's TTL;</item>
/// <item>the client stream follows the SYN the SYN-ACK acknowledges; SYN data counts only as far as
/// acknowledged (TCP Fast Open);</item>
/// <item>data starting at or beyond the right edge of the receiver's advertised window (a zero
/// window included) is dropped, as the receiver drops it;</item>
/// <item>a segment with another TTL than its sender's SYN, or acknowledging data its peer never
/// sent, is a suspect copy: held until the receiver acknowledges it or replaced by a consistent copy.</item>
/// </list>
/// Every such choice is counted by reason (<see cref="ReassemblyEvent"/>) and handed to the
/// transaction it affects (<see cref="TakeAnomalies"/>). One instance belongs to the worker thread
/// that owns the flow.
/// </summary>
public sealed class TcpConnection
{
    private const int MaxSynsRemembered = 4;

    private readonly ReassemblyCounters _counters;
    private readonly bool _dropBadChecksums;
    private Endpoint _low;
    private Endpoint _high;
    private TcpAnomalies _anomalies;

    public TcpConnection(ITcpStreamSink fromLowSink, ITcpStreamSink fromHighSink, ReassemblyOptions options, MemoryBudget memory,
        ReassemblyCounters counters, ChecksumValidation checksums = ChecksumValidation.Auto)
    {
        _counters = counters;
        _dropBadChecksums = checksums == ChecksumValidation.Always;
        FromLow = new TcpStreamReassembler(fromLowSink, options, memory, counters);
        FromHigh = new TcpStreamReassembler(fromHighSink, options, memory, counters);
        _low = new Endpoint();
        _high = new Endpoint();
    }

    /// <summary>Data sent by the low endpoint of the flow key.</summary>
    public TcpStreamReassembler FromLow { get; }
    /// <summary>Data sent by the high endpoint of the flow key.</summary>
    public TcpStreamReassembler FromHigh { get; }

    /// <summary>Per-endpoint facts learnt from what it sent.</summary>
    private struct Endpoint
    {
        public byte Ttl;                 // of the SYN the peer acknowledged (or the first packet); 0 unknown
        public sbyte WindowScale;        // from its SYN: -1 none; meaningful when SawSyn
        public bool SawSyn;
        /// <summary>It has sent a segment whose checksums were right: it computes them, so a wrong one from it is not offload.</summary>
        public bool ComputesChecksums;
        public bool HasAck;
        public uint LastAck;             // its latest acknowledgement: its RCV.NXT
        public bool HasRightEdge;
        public uint RightEdge;           // max(ack + window): the peer may send data only before this
        public int SynCount;
        public SynSeen Syn0, Syn1, Syn2, Syn3;
    }

    private readonly record struct SynSeen(uint Isn, byte Ttl);

    /// <summary>Judges and processes one segment; <paramref name="fromLow"/> tells its direction.</summary>
    public TcpSegmentOutcome OnSegment(bool fromLow, in TcpSegmentInfo s, ReadOnlySpan<byte> payload, long timestampMicros)
    {
        ref var sender = ref fromLow ? ref _low : ref _high;
        ref var receiver = ref fromLow ? ref _high : ref _low;
        var stream = fromLow ? FromLow : FromHigh;
        var peerStream = fromLow ? FromHigh : FromLow;
        var flags = s.Flags;
        var syn = (flags & TcpFlags.Syn) != 0;
        var rst = (flags & TcpFlags.Rst) != 0;
        var fin = (flags & TcpFlags.Fin) != 0;
        var ack = (flags & TcpFlags.Ack) != 0;
        var suspect = false;
        var ackTrusted = ack;

        if (s.Checksum == ChecksumStatus.Valid) sender.ComputesChecksums = true;
        // Automatic mode: a sender that has never sent a right checksum is a host whose NIC fills them in
        // (captured on that host, or a request-only capture of it): its segments are what the receiver
        // got. A decoy with a wrong checksum among a sender's right ones is what automatic mode is for.
        var badChecksum = s.Checksum is ChecksumStatus.BadIp or ChecksumStatus.BadTcp;
        if (badChecksum && !_dropBadChecksums && !sender.ComputesChecksums && !rst)
        {
            _counters.Events.Add(ReassemblyEvent.ChecksumOffloadAssumed);
            badChecksum = false;
        }
        if (badChecksum)
        {
            Flag(TcpAnomalies.BadChecksum, ReassemblyEvent.BadChecksumIgnored);
            if (_dropBadChecksums || rst)
            {
                _counters.DroppedBytes.Add(ReassemblyDrop.NotAccepted, payload.Length);
                if (fin) _counters.Events.Add(ReassemblyEvent.FinIgnored);
                return TcpSegmentOutcome.Ignored;
            }
            // Automatic mode, before it knows whether the capture has offloaded checksums: the data is
            // held as a suspect copy (a consistent copy replaces it, the receiver's ACK confirms it) and
            // its FIN is ignored; handshake and acknowledgement fields still count, so an offloaded
            // capture keeps its first connections whole.
            suspect = true;
        }
        if (syn)
        {
            if (!ack) RememberSyn(ref sender, s.Sequence, s.Ttl);
            else if (sender.Ttl == 0) sender.Ttl = s.Ttl;
            if (!sender.SawSyn) { sender.SawSyn = true; sender.WindowScale = s.WindowScale; }
            if (ack)
            {
                // The SYN-ACK names the client's real SYN: follow it, and trust that SYN's TTL.
                peerStream.OnSynAcknowledged(s.Acknowledgment, timestampMicros);
                var acknowledgedTtl = TtlOfSyn(ref receiver, s.Acknowledgment - 1);
                if (acknowledgedTtl != 0) receiver.Ttl = acknowledgedTtl;
            }
        }
        else if (sender.Ttl == 0)
        {
            sender.Ttl = s.Ttl; // picked up midstream: the first packet sets the reference
        }

        if (!syn && sender.Ttl != 0 && s.Ttl != sender.Ttl)
        {
            // Another hop count than the connection's: it may expire before it reaches the receiver.
            Flag(TcpAnomalies.TtlInconsistent, ReassemblyEvent.TtlInconsistent);
            suspect = true;
            ackTrusted = false;
        }

        if (ack && !syn && !suspect && (payload.Length > 0 || fin) && peerStream.SenderNextSequence is { } peerNext && (int)(s.Acknowledgment - peerNext) > 0)
        {
            // It acknowledges bytes its peer has not sent (as far as the capture shows): Linux drops such a segment.
            Flag(TcpAnomalies.InvalidAck, ReassemblyEvent.InvalidAck);
            suspect = true;
            ackTrusted = false;
        }

        if (rst) return OnReset(ref sender, ref receiver, stream, peerStream, s, suspect, timestampMicros);

        if (payload.Length > 0 && !syn && receiver.HasRightEdge && (int)(s.Sequence - receiver.RightEdge) >= 0)
        {
            // Beyond what the receiver offered (a zero window included): it drops the segment.
            Flag(TcpAnomalies.DataOutsideWindow, ReassemblyEvent.DataOutsideWindow);
            _counters.DroppedBytes.Add(ReassemblyDrop.NotAccepted, payload.Length);
            return TcpSegmentOutcome.Ignored;
        }

        if (ackTrusted)
        {
            // The acknowledgement first: what it confirms of the peer's stream was received before this
            // segment was sent (a request before its response).
            sender.HasAck = true;
            sender.LastAck = s.Acknowledgment;
            UpdateRightEdge(ref sender, in receiver, s, syn);
            peerStream.OnPeerAck(s.Acknowledgment, timestampMicros);
        }

        if (fin && suspect) Flag(TcpAnomalies.FinIgnored, ReassemblyEvent.FinIgnored);
        stream.OnSegment(s.Sequence, flags, payload, s.WireLength, timestampMicros, suspect, s.UrgentPointer);
        return fin && !suspect ? TcpSegmentOutcome.Fin : TcpSegmentOutcome.Accepted;
    }

    private TcpSegmentOutcome OnReset(ref Endpoint sender, ref Endpoint receiver, TcpStreamReassembler stream, TcpStreamReassembler peerStream,
        in TcpSegmentInfo s, bool suspect, long timestampMicros)
    {
        var acceptable = !suspect && IsAcceptableReset(in sender, in receiver, stream, peerStream, s);
        if (!acceptable)
        {
            Flag(TcpAnomalies.RstIgnored, ReassemblyEvent.RstIgnored);
            return TcpSegmentOutcome.Ignored;
        }
        // After a reset nothing more will come in order: deliver what is buffered now.
        FromLow.Flush(timestampMicros);
        FromHigh.Flush(timestampMicros);
        return TcpSegmentOutcome.Reset;
    }

    private static bool IsAcceptableReset(in Endpoint sender, in Endpoint receiver, TcpStreamReassembler stream, TcpStreamReassembler peerStream, in TcpSegmentInfo s)
    {
        // Refusing a connection: the RST answers a SYN and acknowledges exactly it.
        if (!stream.Started && (s.Flags & TcpFlags.Ack) != 0)
            return peerStream.SenderNextSequence is not { } expected || s.Acknowledgment == expected;
        var known = false;
        if (receiver.HasAck)
        {
            known = true;
            if (s.Sequence == receiver.LastAck) return true;
        }
        if (stream.TrustedSenderNextSequence is { } next)
        {
            known = true;
            if (s.Sequence == next) return true;
        }
        return !known;
    }

    private static void UpdateRightEdge(ref Endpoint sender, in Endpoint receiver, in TcpSegmentInfo s, bool syn)
    {
        // Window scaling applies only when both SYNs carried the option, and never to SYNs themselves.
        uint window;
        if (syn) window = s.Window;
        else if (sender.SawSyn && receiver.SawSyn)
            window = sender.WindowScale >= 0 && receiver.WindowScale >= 0 ? (uint)s.Window << sender.WindowScale : s.Window;
        else
            window = s.Window == 0 ? 0u : 1u << 30; // scale unknown (picked up midstream): only a zero window is certain
        var edge = s.Acknowledgment + window;
        // A receiver never moves its right edge back (RFC 9293 §3.8.6): keep the furthest one seen.
        if (!sender.HasRightEdge || (int)(edge - sender.RightEdge) > 0)
        {
            sender.RightEdge = edge;
            sender.HasRightEdge = true;
        }
    }

    private static void RememberSyn(ref Endpoint e, uint isn, byte ttl)
    {
        var seen = new SynSeen(isn, ttl);
        switch (e.SynCount++ % MaxSynsRemembered)
        {
            case 0: e.Syn0 = seen; break;
            case 1: e.Syn1 = seen; break;
            case 2: e.Syn2 = seen; break;
            default: e.Syn3 = seen; break;
        }
        if (e.Ttl == 0) e.Ttl = ttl;
    }

    private static byte TtlOfSyn(ref Endpoint e, uint isn)
    {
        var n = Math.Min(e.SynCount, MaxSynsRemembered);
        if (n > 0 && e.Syn0.Isn == isn) return e.Syn0.Ttl;
        if (n > 1 && e.Syn1.Isn == isn) return e.Syn1.Ttl;
        if (n > 2 && e.Syn2.Isn == isn) return e.Syn2.Ttl;
        if (n > 3 && e.Syn3.Isn == isn) return e.Syn3.Ttl;
        return 0;
    }

    private void Flag(TcpAnomalies anomaly, ReassemblyEvent reason)
    {
        _anomalies |= anomaly;
        _counters.Events.Add(reason);
    }

    /// <summary>The anomalies since the last call, from the connection and both directions; clears them.</summary>
    public TcpAnomalies TakeAnomalies()
    {
        var all = _anomalies | FromLow.Anomalies | FromHigh.Anomalies;
        _anomalies = TcpAnomalies.None;
        FromLow.Anomalies = TcpAnomalies.None;
        FromHigh.Anomalies = TcpAnomalies.None;
        return all;
    }

    /// <summary>The flow ended: both directions deliver what they hold and close.</summary>
    public void Flush(long timestampMicros)
    {
        FromLow.Flush(timestampMicros);
        FromHigh.Flush(timestampMicros);
    }
}

/// <summary>The header fields of one TCP segment that judging it needs.</summary>
public readonly record struct TcpSegmentInfo(
    uint Sequence,
    uint Acknowledgment,
    TcpFlags Flags,
    ushort Window,
    sbyte WindowScale,
    byte Ttl,
    ushort UrgentPointer,
    ChecksumStatus Checksum,
    int WireLength);
