using System.Buffers;
using System.Numerics;
using TrafficSensor.Decoding;

namespace TrafficSensor.Reassembly;

/// <summary>
/// Reassembles one direction of a TCP connection into an ordered stream for an <see cref="ITcpStreamSink"/>.
/// In-order segments are passed through without copying. Out-of-order bytes are copied into pooled
/// 4 KiB pages, each with a presence bitmap and a "suspect" bitmap, kept in a list sorted by page
/// number: storing, comparing and delivering cost time proportional to the bytes (plus a binary
/// search per page), so a million one-byte segments cost what a megabyte costs, whatever their
/// order. Memory is accounted per page, overhead included (<see cref="PageCost"/>), against the
/// direction's limit and the worker's <see cref="MemoryBudget"/>.
/// <para>
/// Suspect bytes are copies a receiver may not have accepted (another TTL than the connection's, an
/// acknowledgement of unsent data, a bad checksum in automatic mode). They are held until the
/// receiver acknowledges them or a consistent copy replaces them; every such choice is flagged.
/// Sequence numbers are mapped to 64-bit stream offsets, so wrap-around at 2^32 needs no special case.
/// </para>
/// One instance belongs to the worker thread that owns its flow.
/// </summary>
public sealed class TcpStreamReassembler
{
    public const int PageSize = 4096;
    private const int PageShift = 12;
    private const int BitmapWords = PageSize / 64;
    /// <summary>Bytes one buffered page really costs: data, two bitmaps, the page object and its list slot.</summary>
    public const int PageCost = PageSize + 2 * BitmapWords * sizeof(ulong) + 64;
    private const int MaxSynData = 4096;
    private const int RecentSegments = 4;

    private readonly ITcpStreamSink _sink;
    private readonly ReassemblyOptions _options;
    private readonly MemoryBudget _memory;
    private readonly ReassemblyCounters _counters;
    private List<Page>? _pages; // sorted by Index; only pages holding bytes at or after _nextOffset

    private bool _started;
    private bool _midstream;
    private uint _nextSequence;     // sequence number of the next byte to deliver
    private long _nextOffset;       // stream offset of that byte (bytes delivered + gaps)
    private long _confirmedOffset;  // the receiver acknowledged everything before this offset
    private long? _finOffset;
    private bool _ended;
    private bool _depthReached;
    private long _pendingCost;
    private long _urgentOffset = -1;
    private byte[]? _synData;
    private int _synDataLength;
    private RecentSegment[]? _recent;
    private int _recentNext;

    public TcpStreamReassembler(ITcpStreamSink sink, ReassemblyOptions options, MemoryBudget memory, ReassemblyCounters counters)
    {
        _sink = sink;
        _options = options;
        _memory = memory;
        _counters = counters;
    }

    public long NextOffset => _nextOffset;
    /// <summary>Memory held by out-of-order pages of this direction, overhead included.</summary>
    public long PendingBytes => _pendingCost;
    public bool Ended => _ended;
    public bool Started => _started;
    /// <summary>Sequence number of the next byte to deliver (valid once <see cref="Started"/>).</summary>
    public uint NextSequence => _nextSequence;
    /// <summary>TCP anomalies of this direction not yet handed to a transaction.</summary>
    public TcpAnomalies Anomalies;

    /// <summary>Processes one segment sent in this direction, taken as the copy the receiver got.</summary>
    public void OnSegment(uint sequence, TcpFlags flags, ReadOnlySpan<byte> payload, int wireLength, long timestampMicros) =>
        OnSegment(sequence, flags, payload, wireLength, timestampMicros, suspect: false, urgentPointer: 0);

    /// <summary>
    /// Processes one segment sent in this direction. A <paramref name="suspect"/> copy is held until the
    /// receiver acknowledges it or a trusted copy of the same bytes arrives; its FIN is ignored.
    /// </summary>
    public void OnSegment(uint sequence, TcpFlags flags, ReadOnlySpan<byte> payload, int wireLength, long timestampMicros, bool suspect, ushort urgentPointer)
    {
        if (_ended) { if (payload.Length > 0) _counters.DroppedBytes.Add(ReassemblyDrop.Retransmission, payload.Length); return; }

        if ((flags & TcpFlags.Syn) != 0)
        {
            if (!_started)
            {
                _started = true;
                _nextSequence = sequence + 1; // the SYN occupies one sequence number
            }
            if (payload.Length > 0 && (flags & TcpFlags.Ack) == 0)
            {
                // Data on a SYN counts only if the SYN-ACK acknowledges it (TCP Fast Open); hold it until then.
                if (sequence + 1 == _nextSequence && _nextOffset == 0 && payload.Length <= MaxSynData && wireLength == payload.Length)
                {
                    _synData ??= ArrayPool<byte>.Shared.Rent(MaxSynData);
                    payload.CopyTo(_synData);
                    _synDataLength = payload.Length;
                }
                return;
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

        if (urgentPointer > 0 && (flags & TcpFlags.Urg) != 0 && !suspect)
        {
            // BSD/Linux reading: the urgent byte is the one before the pointer, and a socket without
            // SO_OOBINLINE never hands it to the application. Only the latest urgent byte is kept.
            var urgent = start + urgentPointer - 1;
            if (urgent >= _nextOffset && urgent > _urgentOffset)
            {
                _urgentOffset = urgent;
                Anomalies |= TcpAnomalies.UrgentData;
                _counters.Events.Add(ReassemblyEvent.UrgentByteRemoved);
            }
        }

        if ((flags & TcpFlags.Fin) != 0 && !suspect)
        {
            var fin = start + wireLength;
            if (fin >= _nextOffset && _finOffset is null) _finOffset = fin;
        }

        if (payload.Length > 0 || wireLength > 0)
            AcceptData(start, payload, wireLength, timestampMicros, suspect);

        if (_finOffset is { } finOffset && _nextOffset >= finOffset && !_ended)
            End(timestampMicros);
    }

    /// <summary>
    /// The SYN-ACK acknowledged <paramref name="acknowledgment"/>: the connection's ISN is the one
    /// before it. A decoy SYN with another ISN is forgotten; SYN data is kept only as far as acknowledged.
    /// </summary>
    public void OnSynAcknowledged(uint acknowledgment, long timestampMicros)
    {
        if (_nextOffset != 0 || _ended || _pages is not null && !_started) return;
        if (_started && _nextOffset == 0 && _pages is null && !_midstream)
        {
            var acknowledgedData = (int)(acknowledgment - _nextSequence);
            if (acknowledgedData == 0)
            {
                if (_synDataLength > 0) IgnoreSynData();
                return;
            }
            if (acknowledgedData > 0 && acknowledgedData <= _synDataLength)
            {
                // TCP Fast Open: the server took the SYN's data, as far as it acknowledged.
                var data = _synData.AsSpan(0, acknowledgedData).ToArray();
                ReleaseSynData();
                AcceptData(0, data, data.Length, timestampMicros, suspect: false);
                return;
            }
        }
        if (_nextOffset != 0 || _pages is not null && _midstream) return; // data already flowed: too late to re-anchor
        if (_started && !_midstream)
        {
            // The SYN-ACK answers another SYN than the one this stream was anchored on: a decoy SYN.
            Anomalies |= TcpAnomalies.SynNotAcknowledged;
            _counters.Events.Add(ReassemblyEvent.SynNotAcknowledged);
        }
        DiscardPages();
        if (_synDataLength > 0) IgnoreSynData();
        _started = true;
        _midstream = false;
        _nextSequence = acknowledgment;
        _highestSeen = 0;
        _highestTrusted = 0;
        _finOffset = null;
    }

    private void IgnoreSynData()
    {
        Anomalies |= TcpAnomalies.SynDataIgnored;
        _counters.Events.Add(ReassemblyEvent.SynDataIgnored);
        _counters.DroppedBytes.Add(ReassemblyDrop.NotAccepted, _synDataLength);
        ReleaseSynData();
    }

    /// <summary>
    /// The peer acknowledged up to <paramref name="acknowledgment"/>. Held suspect bytes before it were
    /// what the receiver got, unless a better copy came; and when the ack covers buffered data beyond
    /// a hole, the receiver got the hole's bytes and the capture lost them: report the gap.
    /// </summary>
    public void OnPeerAck(uint acknowledgment, long timestampMicros)
    {
        if (!_started || _ended) return;
        var ackOffset = _nextOffset + (int)(acknowledgment - _nextSequence);
        if (ackOffset <= _confirmedOffset) return;
        _confirmedOffset = ackOffset;
        if (_pages is null) return;
        DeliverPending(timestampMicros);
        var first = FirstBufferedOffset();
        if (first >= 0 && ackOffset > first)
        {
            Gap(first - _nextOffset, ReassemblyGap.Lost, timestampMicros);
            DeliverPending(timestampMicros);
        }
        if (_finOffset is { } finOffset && _nextOffset >= finOffset && !_ended) End(timestampMicros);
    }

    /// <summary>The flow ended: delivers what is buffered (with gaps for holes) and closes the stream.</summary>
    public void Flush(long timestampMicros)
    {
        if (_ended) return;
        ReleaseSynData();
        _confirmedOffset = long.MaxValue; // nothing better will come: held copies are all there is
        while (_pages is { Count: > 0 })
        {
            DeliverPending(timestampMicros);
            var first = FirstBufferedOffset();
            if (first < 0) break;
            Gap(first - _nextOffset, ReassemblyGap.AtEnd, timestampMicros);
        }
        End(timestampMicros);
    }

    /// <summary>
    /// The sequence number this direction's sender will use next (after its highest data and FIN seen):
    /// what an honest RST from it carries. Null before the stream is anchored.
    /// </summary>
    public uint? SenderNextSequence => NextAfter(_highestSeen);

    /// <summary>As <see cref="SenderNextSequence"/>, counting only copies taken as trusted: what an RST must match.</summary>
    public uint? TrustedSenderNextSequence => NextAfter(_highestTrusted);

    private uint? NextAfter(long highest)
    {
        if (!_started) return null;
        var end = Math.Max(highest, _nextOffset);
        if (_finOffset is { } fin && fin + 1 > end) end = fin + 1;
        return _nextSequence + (uint)(end - _nextOffset);
    }

    private long _highestSeen;    // stream offset after the highest byte seen from this sender, held copies included
    private long _highestTrusted; // the same, trusted copies only (a decoy must not move where an RST is expected)

    private void AcceptData(long start, ReadOnlySpan<byte> payload, int wireLength, long timestampMicros, bool suspect)
    {
        var end = start + payload.Length;
        if (start + wireLength > _highestSeen) _highestSeen = start + wireLength; // a held copy still shows what was sent
        if (!suspect && start + wireLength > _highestTrusted) _highestTrusted = start + wireLength;
        if (end <= _nextOffset)
        {
            // Bytes from before the point a midstream pickup started are not retransmissions of ours.
            var reason = _midstream && end <= 0 ? ReassemblyDrop.BeforeStreamStart : ReassemblyDrop.Retransmission;
            _counters.DroppedBytes.Add(reason, payload.Length);
            if (reason == ReassemblyDrop.Retransmission && !suspect) CheckRetransmission(start, payload);
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
        if (!suspect) Remember(start, payload);

        if (start == _nextOffset && _pages is null && !suspect)
        {
            // Fast path: in order with nothing buffered, no copy.
            Deliver(payload, timestampMicros);
            if (wireLength > payload.Length) Gap(wireLength - payload.Length, ReassemblyGap.Snaplen, timestampMicros);
            return;
        }

        Store(start, payload, suspect, timestampMicros);
        if (wireLength > payload.Length && !suspect)
        {
            // A snaplen-cut segment: its missing tail will never come; deliver up to it and skip it.
            DeliverPending(timestampMicros);
            if (_nextOffset == start + payload.Length) Gap(wireLength - payload.Length, ReassemblyGap.Snaplen, timestampMicros);
        }
        DeliverPending(timestampMicros);
    }

    // ------------------------------------------------------------ pages

    private sealed class Page(long index, byte[] data, ulong[] bits)
    {
        public readonly long Index = index;
        public readonly byte[] Data = data;            // PageSize bytes
        public readonly ulong[] Bits = bits;           // [0, BitmapWords): present; [BitmapWords, 2×): suspect
        public bool Present(int i) => (Bits[i >> 6] & (1UL << i)) != 0;
        public bool Suspect(int i) => (Bits[BitmapWords + (i >> 6)] & (1UL << i)) != 0;
    }

    private void Store(long start, ReadOnlySpan<byte> payload, bool suspect, long timestampMicros)
    {
        var position = start;
        var end = start + payload.Length;
        var differed = false;
        var preferred = false;
        long overlapBytes = 0;
        while (position < end)
        {
            var pageIndex = position >> PageShift;
            var page = FindPage(pageIndex, out var slot);
            if (page is null)
            {
                if (!MakeRoom(start, timestampMicros)) { CountMemoryCap((int)(end - position)); break; }
                if (position < _nextOffset)
                {
                    // Making room forced delivery past this position: skip what is now behind.
                    var skip = (int)Math.Min(end - position, _nextOffset - position);
                    position += skip;
                    continue;
                }
                page = FindPage(pageIndex, out slot);
                if (page is null)
                {
                    if (!_memory.TryReserve(PageCost)) { CountMemoryCap((int)(end - position)); break; }
                    page = new Page(pageIndex, ArrayPool<byte>.Shared.Rent(PageSize), ArrayPool<ulong>.Shared.Rent(2 * BitmapWords));
                    Array.Clear(page.Bits, 0, 2 * BitmapWords);
                    (_pages ??= new List<Page>()).Insert(slot, page);
                    _pendingCost += PageCost;
                }
            }
            var pageStart = pageIndex << PageShift;
            var from = (int)(position - pageStart);
            var to = (int)Math.Min(PageSize, end - pageStart);
            var source = payload.Slice((int)(position - start), to - from);
            overlapBytes += Merge(page, from, source, suspect, ref differed, ref preferred);
            position = pageStart + to;
        }
        if (overlapBytes > 0) _counters.DroppedBytes.Add(ReassemblyDrop.Overlap, overlapBytes);
        if (preferred)
        {
            Anomalies |= TcpAnomalies.InconsistentCopyDiscarded;
            _counters.Events.Add(ReassemblyEvent.InconsistentCopyDiscarded);
        }
        else if (differed)
        {
            Anomalies |= TcpAnomalies.OverlapDifferentData;
            _counters.Events.Add(ReassemblyEvent.OverlapDifferentData);
        }
    }

    /// <summary>Copies <paramref name="source"/> into the page from <paramref name="from"/>; returns bytes that were already present.</summary>
    private long Merge(Page page, int from, ReadOnlySpan<byte> source, bool suspect, ref bool differed, ref bool preferred)
    {
        var bits = page.Bits;
        var data = page.Data;
        long overlap = 0;
        var i = from;
        var to = from + source.Length;
        while (i < to)
        {
            var word = i >> 6;
            var bit = i & 63;
            var count = Math.Min(64 - bit, to - i);
            var mask = (count == 64 ? ulong.MaxValue : ((1UL << count) - 1)) << bit;
            var present = bits[word] & mask;
            var incoming = source.Slice(i - from, count);
            if (present == 0)
            {
                incoming.CopyTo(data.AsSpan(i, count));
                bits[word] |= mask;
                if (suspect) bits[BitmapWords + word] |= mask;
            }
            else if (present == mask && incoming.SequenceEqual(data.AsSpan(i, count)))
            {
                overlap += count;
                if (!suspect) bits[BitmapWords + word] &= ~mask; // a consistent copy confirms a suspect one
            }
            else
            {
                for (var k = 0; k < count; k++)
                {
                    var b = i + k;
                    var m = 1UL << (b & 63);
                    if ((bits[word] & m) == 0)
                    {
                        data[b] = incoming[k];
                        bits[word] |= m;
                        if (suspect) bits[BitmapWords + word] |= m;
                        continue;
                    }
                    overlap++;
                    var storedSuspect = (bits[BitmapWords + word] & m) != 0;
                    if (data[b] == incoming[k])
                    {
                        if (!suspect) bits[BitmapWords + word] &= ~m;
                        continue;
                    }
                    if (storedSuspect != suspect)
                    {
                        // The copy consistent with the connection wins, whichever came first.
                        preferred = true;
                        if (storedSuspect) { data[b] = incoming[k]; bits[BitmapWords + word] &= ~m; }
                        continue;
                    }
                    differed = true;
                    if (_options.Overlap == OverlapPolicy.Last) data[b] = incoming[k];
                }
            }
            i += count;
        }
        return overlap;
    }

    private Page? FindPage(long index, out int slot)
    {
        var pages = _pages;
        if (pages is null) { slot = 0; return null; }
        var lo = 0;
        var hi = pages.Count;
        // Most stores land on the last page or after it.
        if (hi > 0 && pages[hi - 1].Index <= index)
        {
            if (pages[hi - 1].Index == index) { slot = hi - 1; return pages[hi - 1]; }
            slot = hi;
            return null;
        }
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (pages[mid].Index < index) lo = mid + 1; else hi = mid;
        }
        slot = lo;
        return lo < pages.Count && pages[lo].Index == index ? pages[lo] : null;
    }

    /// <summary>Room for one more page in this direction: forces past the oldest holes if needed. False when none can be made.</summary>
    private bool MakeRoom(long start, long timestampMicros)
    {
        while (_pendingCost + PageCost > _options.MaxOutOfOrderBytesPerDirection)
        {
            var first = FirstBufferedOffset();
            if (first < 0 || first >= start) return false;
            _counters.Events.Add(ReassemblyEvent.BufferLimitReached);
            Gap(first - _nextOffset, ReassemblyGap.BufferLimit, timestampMicros);
            DeliverPending(timestampMicros, force: true);
        }
        return true;
    }

    private void CountMemoryCap(int bytes)
    {
        _counters.DroppedBytes.Add(ReassemblyDrop.MemoryCap, bytes);
        _counters.Events.Add(ReassemblyEvent.MemoryCapHit);
    }

    /// <summary>Stream offset of the first buffered byte at or after the next offset, or -1.</summary>
    private long FirstBufferedOffset()
    {
        if (_pages is null) return -1;
        foreach (var page in _pages)
        {
            var pageStart = page.Index << PageShift;
            var from = (int)Math.Max(0, _nextOffset - pageStart);
            var found = NextSet(page.Bits, from, PageSize);
            if (found >= 0) return pageStart + found;
        }
        return -1;
    }

    /// <summary>First set bit of the presence bitmap in [from, to), or -1.</summary>
    private static int NextSet(ulong[] bits, int from, int to)
    {
        for (var i = from; i < to;)
        {
            var word = bits[i >> 6] >> (i & 63);
            if (word != 0)
            {
                var found = i + BitOperations.TrailingZeroCount(word);
                return found < to ? found : -1;
            }
            i = (i | 63) + 1;
        }
        return -1;
    }

    /// <summary>Delivers buffered bytes from the next offset on while they are present and deliverable.</summary>
    private void DeliverPending(long timestampMicros, bool force = false)
    {
        var pages = _pages;
        while (pages is { Count: > 0 })
        {
            var page = pages[0];
            var pageStart = page.Index << PageShift;
            if (pageStart + PageSize <= _nextOffset) { FreeFirstPage(); continue; }
            if (pageStart > _nextOffset) return;
            var from = (int)(_nextOffset - pageStart);
            var run = from;
            var usedSuspect = false;
            while (run < PageSize && page.Present(run))
            {
                if (page.Suspect(run))
                {
                    if (!force && pageStart + run >= _confirmedOffset) break;
                    usedSuspect = true;
                }
                run++;
            }
            if (usedSuspect)
            {
                // No consistent copy came and the receiver acknowledged (or the stream ends): this is what it got.
                Anomalies |= TcpAnomalies.UnconfirmedCopyUsed;
                _counters.Events.Add(ReassemblyEvent.UnconfirmedCopyUsed);
            }
            if (run > from) Deliver(page.Data.AsSpan(from, run - from), timestampMicros);
            if (run == PageSize) { FreeFirstPage(); continue; }
            // Nothing more in this page after the hole: release it now rather than when the stream passes it.
            if (NextSet(page.Bits, run, PageSize) < 0 && _pages is { Count: > 0 } && _pages[0] == page) FreeFirstPage();
            return;
        }
        if (pages is { Count: 0 }) _pages = null;
    }

    private void FreeFirstPage()
    {
        var page = _pages![0];
        _pages.RemoveAt(0); // pages are few (bounded by the direction's limit); the list stays short
        Release(page);
        if (_pages.Count == 0) _pages = null;
    }

    private void Release(Page page)
    {
        ArrayPool<byte>.Shared.Return(page.Data);
        ArrayPool<ulong>.Shared.Return(page.Bits);
        _memory.Release(PageCost);
        _pendingCost -= PageCost;
    }

    private void DiscardPages()
    {
        if (_pages is null) return;
        foreach (var page in _pages)
        {
            var pageStart = page.Index << PageShift;
            for (var i = (int)Math.Max(0, _nextOffset - pageStart); i < PageSize; i++)
                if (page.Present(i)) _counters.DroppedBytes.Add(ReassemblyDrop.PendingAtEnd);
            Release(page);
        }
        _pages = null;
    }

    private void ReleaseSynData()
    {
        if (_synData is null) return;
        ArrayPool<byte>.Shared.Return(_synData);
        _synData = null;
        _synDataLength = 0;
    }

    // ------------------------------------------------------------ retransmissions

    private readonly record struct RecentSegment(long Start, int Length, long Hash);

    private void Remember(long start, ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty) return;
        _recent ??= new RecentSegment[RecentSegments];
        _recent[_recentNext] = new RecentSegment(start, payload.Length, Hash(payload));
        _recentNext = (_recentNext + 1) % RecentSegments;
    }

    /// <summary>A resent segment of bytes already delivered: flag it when its bytes differ from the first copy's.</summary>
    private void CheckRetransmission(long start, ReadOnlySpan<byte> payload)
    {
        if (_recent is null || payload.IsEmpty) return;
        foreach (var r in _recent)
        {
            if (r.Length != payload.Length || r.Start != start) continue;
            if (r.Hash != Hash(payload))
            {
                Anomalies |= TcpAnomalies.RetransmissionDifferentData;
                _counters.Events.Add(ReassemblyEvent.RetransmissionDifferentData);
            }
            return;
        }
    }

    private static readonly long HashSeed = Random.Shared.NextInt64();

    /// <summary>
    /// A 64-bit fingerprint (XXH3, about 30 GB/s, seeded per process so a sender cannot prepare
    /// collisions offline): a hint that two copies differ, computed for every accepted segment.
    /// </summary>
    private static long Hash(ReadOnlySpan<byte> data) => (long)System.IO.Hashing.XxHash3.HashToUInt64(data, HashSeed);

    // ------------------------------------------------------------ delivery

    private void Deliver(ReadOnlySpan<byte> data, long timestampMicros)
    {
        var at = _nextOffset;
        if (_urgentOffset >= at && _urgentOffset < at + data.Length)
        {
            // The receiving application never reads the urgent byte: skip it in the stream too.
            var cut = (int)(_urgentOffset - at);
            _urgentOffset = -1;
            DeliverRange(data[..cut], timestampMicros);
            Advance(1);
            DeliverRange(data[(cut + 1)..], timestampMicros);
            return;
        }
        DeliverRange(data, timestampMicros);
    }

    private void DeliverRange(ReadOnlySpan<byte> data, long timestampMicros)
    {
        if (data.IsEmpty) return;
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
        if (_pages is not null)
        {
            foreach (var page in _pages)
            {
                var pageStart = page.Index << PageShift;
                long held = 0;
                for (var i = (int)Math.Max(0, _nextOffset - pageStart); i < PageSize; i++)
                    if (page.Present(i)) held++;
                _counters.DroppedBytes.Add(ReassemblyDrop.PendingAtEnd, held);
                Release(page);
            }
            _pages = null;
        }
        ReleaseSynData();
        _ended = true;
        _sink.OnEnd(timestampMicros);
    }
}
