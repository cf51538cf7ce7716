using System.Buffers;
using TrafficSensor.Decoding;

namespace TrafficSensor.Reassembly;

/// <summary>
/// Reassembles one direction of a TCP connection into an ordered stream for an <see cref="ITcpStreamSink"/>.
/// In-order segments are passed through without copying; out-of-order segments are copied into pooled
/// buffers, bounded per direction and by the worker's <see cref="MemoryBudget"/>. Overlaps are
/// resolved by <see cref="OverlapPolicy"/>; bytes that will never come are reported as gaps so the
/// parser above can resynchronise. Sequence numbers are mapped to 64-bit stream offsets, so
/// wrap-around at 2^32 needs no special case.
/// </summary>
public sealed class TcpStreamReassembler
{
    private readonly ITcpStreamSink _sink;
    private readonly ReassemblyOptions _options;
    private readonly MemoryBudget _memory;
    private readonly ReassemblyCounters _counters;
    private readonly List<Segment> _pending = new(); // sorted by Start, never overlapping

    private bool _started;
    private bool _midstream;
    private uint _nextSequence;     // sequence number of the next byte to deliver
    private long _nextOffset;       // stream offset of that byte (bytes delivered + gaps)
    private long? _finOffset;
    private bool _ended;
    private bool _depthReached;
    private int _pendingBytes;

    public TcpStreamReassembler(ITcpStreamSink sink, ReassemblyOptions options, MemoryBudget memory, ReassemblyCounters counters)
    {
        _sink = sink;
        _options = options;
        _memory = memory;
        _counters = counters;
    }

    public long NextOffset => _nextOffset;
    public int PendingBytes => _pendingBytes;
    public bool Ended => _ended;

    /// <summary>Processes one segment sent in this direction.</summary>
    public void OnSegment(uint sequence, TcpFlags flags, ReadOnlySpan<byte> payload, int wireLength, long timestampMicros)
    {
        if (_ended) { if (payload.Length > 0) _counters.DroppedBytes.Add(ReassemblyDrop.Retransmission, payload.Length); return; }

        if ((flags & TcpFlags.Syn) != 0)
        {
            if (!_started)
            {
                _started = true;
                _nextSequence = sequence + 1; // the SYN occupies one sequence number
            }
            sequence++;
        }

        if (!_started)
        {
            if (payload.Length == 0 && (flags & TcpFlags.Fin) == 0) return; // pure ACK before any data: nothing to anchor on
            _started = true;
            _nextSequence = sequence;
            _midstream = true;
            _counters.Events.Add(ReassemblyEvent.MidstreamPickup);
        }

        var relative = (int)(sequence - _nextSequence);
        var start = _nextOffset + relative;

        if ((flags & TcpFlags.Fin) != 0)
        {
            var fin = start + wireLength;
            if (fin >= _nextOffset && _finOffset is null) _finOffset = fin;
        }

        if (payload.Length > 0 || wireLength > 0)
            AcceptData(start, payload, wireLength, timestampMicros);

        if (_finOffset is { } finOffset && _nextOffset >= finOffset && !_ended)
            End(timestampMicros);
    }

    /// <summary>
    /// The peer acknowledged up to <paramref name="acknowledgment"/>. When that covers buffered data
    /// beyond a hole, the receiver got the hole's bytes and the capture lost them: report the gap.
    /// </summary>
    public void OnPeerAck(uint acknowledgment, long timestampMicros)
    {
        if (!_started || _ended || _pending.Count == 0) return;
        var ackOffset = _nextOffset + (int)(acknowledgment - _nextSequence);
        if (ackOffset > _pending[0].Start)
        {
            Gap(_pending[0].Start - _nextOffset, ReassemblyGap.Lost, timestampMicros);
            DeliverPending(timestampMicros);
        }
    }

    /// <summary>The flow ended: delivers what is buffered (with gaps for holes) and closes the stream.</summary>
    public void Flush(long timestampMicros)
    {
        if (_ended) return;
        while (_pending.Count > 0)
        {
            Gap(_pending[0].Start - _nextOffset, ReassemblyGap.AtEnd, timestampMicros);
            DeliverPending(timestampMicros);
        }
        End(timestampMicros);
    }

    private void AcceptData(long start, ReadOnlySpan<byte> payload, int wireLength, long timestampMicros)
    {
        var end = start + payload.Length;
        if (end <= _nextOffset)
        {
            // Bytes from before the point a midstream pickup started are not retransmissions of ours.
            var reason = _midstream && end <= 0 ? ReassemblyDrop.BeforeStreamStart : ReassemblyDrop.Retransmission;
            _counters.DroppedBytes.Add(reason, payload.Length);
            return;
        }
        if (start < _nextOffset)
        {
            var already = (int)(_nextOffset - start);
            _counters.DroppedBytes.Add(ReassemblyDrop.Retransmission, already);
            payload = payload[already..];
            wireLength -= already;
            start = _nextOffset;
        }
        if (start - _nextOffset + payload.Length > _options.MaxWindowBytes)
        {
            _counters.DroppedBytes.Add(ReassemblyDrop.OutOfWindow, payload.Length);
            return;
        }

        if (start == _nextOffset && _pending.Count == 0)
        {
            // Fast path: in order with nothing buffered, no copy.
            Deliver(payload, timestampMicros);
            if (wireLength > payload.Length) Gap(wireLength - payload.Length, ReassemblyGap.Snaplen, timestampMicros);
            return;
        }

        Buffer(start, payload, timestampMicros);
        DeliverPending(timestampMicros);
    }

    private void Buffer(long start, ReadOnlySpan<byte> payload, long timestampMicros)
    {
        var end = start + payload.Length;
        var position = start;
        var index = FirstPendingEndingAfter(start);
        while (position < end)
        {
            if (index < _pending.Count && _pending[index].Start <= position)
            {
                // [position, overlapEnd) is already buffered: compare, then apply the policy.
                var segment = _pending[index];
                var overlapEnd = Math.Min(end, segment.End);
                var incoming = payload.Slice((int)(position - start), (int)(overlapEnd - position));
                var buffered = segment.Data.AsSpan((int)(position - segment.Start), incoming.Length);
                if (!incoming.SequenceEqual(buffered)) _counters.Events.Add(ReassemblyEvent.OverlapDifferentData);
                if (_options.Overlap == OverlapPolicy.Last) incoming.CopyTo(buffered);
                _counters.DroppedBytes.Add(ReassemblyDrop.Overlap, incoming.Length);
                position = overlapEnd;
                index++;
                continue;
            }

            var pieceEnd = index < _pending.Count ? Math.Min(end, _pending[index].Start) : end;
            var piece = payload.Slice((int)(position - start), (int)(pieceEnd - position));
            if (!Store(index, position, piece, timestampMicros)) return;
            index++;
            position = pieceEnd;
        }
    }

    private bool Store(int index, long start, ReadOnlySpan<byte> piece, long timestampMicros)
    {
        // A direction may not hoard more than its share: force past the oldest hole to make room.
        while (_pendingBytes + piece.Length > _options.MaxOutOfOrderBytesPerDirection && _pending.Count > 0 && _pending[0].Start < start)
        {
            var before = _pending.Count;
            Gap(_pending[0].Start - _nextOffset, ReassemblyGap.BufferLimit, timestampMicros);
            DeliverPending(timestampMicros);
            index -= before - _pending.Count;
            if (start < _nextOffset) return false; // everything up to here was delivered or skipped
        }
        if (_pendingBytes + piece.Length > _options.MaxOutOfOrderBytesPerDirection || !_memory.TryReserve(piece.Length))
        {
            _counters.DroppedBytes.Add(ReassemblyDrop.MemoryCap, piece.Length);
            _counters.Events.Add(ReassemblyEvent.MemoryCapHit);
            return false;
        }
        var data = ArrayPool<byte>.Shared.Rent(piece.Length);
        piece.CopyTo(data);
        _pending.Insert(Math.Clamp(index, 0, _pending.Count), new Segment(start, piece.Length, data));
        _pendingBytes += piece.Length;
        return true;
    }

    private int FirstPendingEndingAfter(long offset)
    {
        var lo = 0;
        var hi = _pending.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_pending[mid].End <= offset) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private void DeliverPending(long timestampMicros)
    {
        while (_pending.Count > 0 && _pending[0].Start <= _nextOffset)
        {
            var segment = _pending[0];
            _pending.RemoveAt(0);
            _pendingBytes -= segment.Length;
            _memory.Release(segment.Length);
            if (segment.End > _nextOffset)
                Deliver(segment.Data.AsSpan((int)(_nextOffset - segment.Start), (int)(segment.End - _nextOffset)), timestampMicros);
            ArrayPool<byte>.Shared.Return(segment.Data);
        }
    }

    private void Deliver(ReadOnlySpan<byte> data, long timestampMicros)
    {
        Advance(data.Length);
        if (_depthReached) { _counters.DroppedBytes.Add(ReassemblyDrop.DepthExceeded, data.Length); return; }
        if (_options.MaxDepthPerDirection > 0 && _nextOffset > _options.MaxDepthPerDirection)
        {
            var allowed = data.Length - (int)(_nextOffset - _options.MaxDepthPerDirection);
            _counters.DroppedBytes.Add(ReassemblyDrop.DepthExceeded, data.Length - Math.Max(allowed, 0));
            _counters.Events.Add(ReassemblyEvent.DepthReached);
            _depthReached = true;
            if (allowed <= 0) return;
            data = data[..allowed];
        }
        _counters.DeliveredBytes += data.Length;
        _sink.OnData(data, timestampMicros);
    }

    private void Gap(long length, ReassemblyGap reason, long timestampMicros)
    {
        if (length <= 0) return;
        _counters.GapBytes.Add(reason, length);
        Advance(length);
        if (!_depthReached) _sink.OnGap(length, timestampMicros);
    }

    private void Advance(long length)
    {
        _nextOffset += length;
        _nextSequence += (uint)length;
    }

    private void End(long timestampMicros)
    {
        foreach (var segment in _pending)
        {
            _counters.DroppedBytes.Add(ReassemblyDrop.PendingAtEnd, segment.Length);
            _memory.Release(segment.Length);
            ArrayPool<byte>.Shared.Return(segment.Data);
        }
        _pending.Clear();
        _pendingBytes = 0;
        _ended = true;
        _sink.OnEnd(timestampMicros);
    }

    private readonly record struct Segment(long Start, int Length, byte[] Data)
    {
        public long End => Start + Length;
    }
}
