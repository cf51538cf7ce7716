using System.Buffers;

namespace TrafficSensor.Decoding;

/// <summary>
/// Reassembles IPv4 and IPv6 datagrams from fragments with a bounded table: at most
/// <see cref="DecodingOptions.MaxFragmentedDatagrams"/> datagrams and
/// <see cref="DecodingOptions.MaxFragmentBytes"/> bytes really held (fragment bytes in one compact
/// buffer per datagram, grown as fragments arrive, plus bookkeeping), each living at most
/// <see cref="DecodingOptions.FragmentTimeout"/> of packet time.
/// Fragments that overlap are an evasion trick (a decoy in the part the sensor keeps, the payload in
/// the part the server keeps): <see cref="DecodingOptions.FragmentOverlap"/> chooses whose reading to
/// follow, by default Linux's (since 4.19 and RFC 5722): a fragment wholly inside what was received is
/// a duplicate and ignored, any other overlap drops the whole datagram. Both are counted.
/// Owned by the decoding thread, like its <see cref="PacketDecoder"/>.
/// </summary>
internal sealed class IpDefragmenter
{
    private const int MaxDatagram = 65535;
    /// <summary>Bookkeeping counted per datagram and per fragment besides the bytes themselves.</summary>
    private const int DatagramOverhead = 256;
    private const int FragmentOverhead = 32;
    private const int InitialBuffer = 256;

    private readonly Dictionary<Key, Datagram> _table = new();
    private readonly LinkedList<Datagram> _byAge = new();
    private readonly ReasonCounters<DecodeError> _errors;
    private readonly int _maxDatagrams;
    private readonly long _maxBytes;
    private readonly long _timeoutMicros;
    private readonly FragmentOverlapPolicy _policy;
    private byte[]? _completed;

    public IpDefragmenter(DecodingOptions options, ReasonCounters<DecodeError> errors)
    {
        _errors = errors;
        _maxDatagrams = Math.Max(1, options.MaxFragmentedDatagrams);
        _maxBytes = Math.Max(2 * (MaxDatagram + DatagramOverhead), options.MaxFragmentBytes);
        _timeoutMicros = (long)options.FragmentTimeout.TotalMicroseconds;
        _policy = options.FragmentOverlap;
    }

    /// <summary>Bytes held by incomplete datagrams: buffers as allocated, plus bookkeeping.</summary>
    public long BytesHeld { get; private set; }
    public long Reassembled { get; private set; }
    /// <summary>Incomplete datagrams in the table.</summary>
    public int Datagrams => _table.Count;

    /// <summary>
    /// Stores a fragment. <paramref name="protocol"/> is part of the IPv4 key; for IPv6 pass 0 and
    /// the first fragment's next header as <paramref name="nextHeader"/>. Returns true with the whole
    /// datagram (and the next header of its first fragment) when this fragment completed it; the span
    /// stays valid until the next call.
    /// </summary>
    public bool Add(long nowMicros, IpAddress source, IpAddress destination, uint id, byte protocol, byte nextHeader,
        int offset, bool moreFragments, ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> datagram, out byte firstNextHeader)
    {
        datagram = default;
        firstNextHeader = 0;
        // The previous datagram's buffer is returned only after this fragment was copied: a fragment
        // inside a reassembled datagram (tunnels) is a span of that very buffer.
        var previous = _completed;
        _completed = null;
        try
        {
            return AddFragment(nowMicros, source, destination, id, protocol, nextHeader, offset, moreFragments, payload, out datagram, out firstNextHeader);
        }
        finally
        {
            if (previous is not null) ArrayPool<byte>.Shared.Return(previous);
        }
    }

    private bool AddFragment(long nowMicros, IpAddress source, IpAddress destination, uint id, byte protocol, byte nextHeader,
        int offset, bool moreFragments, ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> datagram, out byte firstNextHeader)
    {
        datagram = default;
        firstNextHeader = 0;
        Expire(nowMicros);

        var end = offset + payload.Length;
        if (end > MaxDatagram)
        {
            _errors.Add(DecodeError.FragmentTooLarge);
            return false;
        }
        if (payload.IsEmpty && moreFragments) return false; // carries nothing

        var key = new Key(source, destination, id, protocol);
        if (!_table.TryGetValue(key, out var entry))
        {
            while (_table.Count >= _maxDatagrams) Evict(DecodeError.FragmentTableFull);
            entry = new Datagram(key, nowMicros);
            entry.Node = _byAge.AddLast(entry);
            _table.Add(key, entry);
            Account(entry, DatagramOverhead);
        }

        // The last fragment fixes the length; a second, different last fragment or data beyond it is
        // inconsistent (Linux drops the datagram; so does every policy here, as no stack agrees on it).
        if ((!moreFragments && entry.TotalLength >= 0 && entry.TotalLength != end)
            || (entry.TotalLength >= 0 && end > entry.TotalLength)
            || (!moreFragments && end < entry.MaxEnd))
        {
            Drop(entry, DecodeError.FragmentOverlapDropped);
            return false;
        }

        var covered = entry.Covered(offset, end);
        if (covered > 0)
        {
            if (covered == end - offset && _policy != FragmentOverlapPolicy.Last)
            {
                // Wholly inside what arrived before: a duplicate (retransmitted or decoy); the first copy stands.
                _errors.Add(DecodeError.FragmentDuplicate);
                return false;
            }
            _errors.Add(DecodeError.FragmentOverlap);
            if (_policy == FragmentOverlapPolicy.Linux)
            {
                Drop(entry, DecodeError.FragmentOverlapDropped);
                return false;
            }
        }

        if (!Store(entry, offset, payload)) return false;
        if (!moreFragments) entry.TotalLength = end;
        if (offset == 0) entry.FirstNextHeader = nextHeader;
        if (entry.TotalLength < 0 || !entry.IsComplete) return false;

        var whole = ArrayPool<byte>.Shared.Rent(Math.Max(1, entry.TotalLength));
        entry.Assemble(whole, firstWins: _policy != FragmentOverlapPolicy.Last);
        firstNextHeader = entry.FirstNextHeader;
        Remove(entry);
        Reassembled++;
        _completed = whole;
        datagram = whole.AsSpan(0, entry.TotalLength);
        return true;
    }

    /// <summary>Copies a fragment into its datagram's buffer, making room under the memory cap first.</summary>
    private bool Store(Datagram entry, int offset, ReadOnlySpan<byte> payload)
    {
        var needed = entry.Used + payload.Length;
        var growth = FragmentOverhead + (needed > entry.Capacity ? Datagram.CapacityFor(needed) - entry.Capacity : 0);
        while (BytesHeld + growth > _maxBytes && _byAge.First is { } oldest && oldest.Value != entry)
            Evict(DecodeError.FragmentMemoryCap);
        if (BytesHeld + growth > _maxBytes)
        {
            Drop(entry, DecodeError.FragmentMemoryCap);
            return false;
        }
        var before = entry.Capacity;
        entry.Append(offset, payload);
        Account(entry, FragmentOverhead + entry.Capacity - before);
        return true;
    }

    public void Expire(long nowMicros)
    {
        while (_byAge.First is { } oldest && nowMicros - oldest.Value.FirstSeenMicros > _timeoutMicros)
            Evict(DecodeError.FragmentTimeout);
    }

    private void Evict(DecodeError reason) => Drop(_byAge.First!.Value, reason);

    private void Drop(Datagram entry, DecodeError reason)
    {
        _errors.Add(reason);
        Remove(entry);
    }

    private void Account(Datagram entry, long bytes)
    {
        entry.Held += bytes;
        BytesHeld += bytes;
    }

    private void Remove(Datagram entry)
    {
        _table.Remove(entry.Key);
        _byAge.Remove(entry.Node!);
        BytesHeld -= entry.Held;
        entry.Release();
    }

    private readonly record struct Key(IpAddress Source, IpAddress Destination, uint Id, byte Protocol);

    /// <summary>One datagram's fragments, in arrival order, packed in one pooled buffer.</summary>
    private sealed class Datagram(Key key, long firstSeenMicros)
    {
        private readonly List<(int Offset, int Length, int Position)> _fragments = new();
        private readonly List<(int Start, int End)> _ranges = new(); // received byte ranges, sorted, merged
        private byte[]? _buffer;

        public Key Key { get; } = key;
        public long FirstSeenMicros { get; } = firstSeenMicros;
        public LinkedListNode<Datagram>? Node { get; set; }
        public int TotalLength { get; set; } = -1;
        public byte FirstNextHeader { get; set; }
        public long Held { get; set; }
        public int Used { get; private set; }
        public int Capacity => _buffer?.Length ?? 0;
        public int MaxEnd => _ranges.Count == 0 ? 0 : _ranges[^1].End;
        public bool IsComplete => _ranges.Count == 1 && _ranges[0].Start == 0 && _ranges[0].End == TotalLength;

        /// <summary>The capacity ArrayPool hands out for a request (powers of two).</summary>
        public static int CapacityFor(int bytes) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(bytes, InitialBuffer));

        /// <summary>How many bytes of [start, end) were received before.</summary>
        public int Covered(int start, int end)
        {
            var covered = 0;
            foreach (var (s, e) in _ranges)
            {
                if (s >= end) break;
                covered += Math.Max(0, Math.Min(e, end) - Math.Max(s, start));
            }
            return covered;
        }

        public void Append(int offset, ReadOnlySpan<byte> payload)
        {
            if (Used + payload.Length > Capacity)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(CapacityFor(Used + payload.Length));
                if (_buffer is not null)
                {
                    _buffer.AsSpan(0, Used).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(_buffer);
                }
                _buffer = bigger;
            }
            payload.CopyTo(_buffer.AsSpan(Used));
            _fragments.Add((offset, payload.Length, Used));
            Used += payload.Length;
            AddRange(offset, offset + payload.Length);
        }

        private void AddRange(int start, int end)
        {
            if (start == end) return;
            var i = 0;
            while (i < _ranges.Count && _ranges[i].End < start) i++;
            var mergedStart = start;
            var mergedEnd = end;
            while (i < _ranges.Count && _ranges[i].Start <= end)
            {
                mergedStart = Math.Min(mergedStart, _ranges[i].Start);
                mergedEnd = Math.Max(mergedEnd, _ranges[i].End);
                _ranges.RemoveAt(i);
            }
            _ranges.Insert(i, (mergedStart, mergedEnd));
        }

        /// <summary>Writes the datagram: fragments in arrival order, so the last copy of a byte wins, or in reverse for the first.</summary>
        public void Assemble(byte[] target, bool firstWins)
        {
            for (var k = 0; k < _fragments.Count; k++)
            {
                var (offset, length, position) = _fragments[firstWins ? _fragments.Count - 1 - k : k];
                _buffer.AsSpan(position, length).CopyTo(target.AsSpan(offset));
            }
        }

        public void Release()
        {
            if (_buffer is not null) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
