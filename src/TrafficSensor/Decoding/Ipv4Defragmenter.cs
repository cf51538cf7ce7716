using System.Buffers;

namespace TrafficSensor.Decoding;

/// <summary>
/// Reassembles IPv4 datagrams from fragments with a bounded table: at most
/// <see cref="DecodingOptions.MaxFragmentedDatagrams"/> datagrams and
/// <see cref="DecodingOptions.MaxFragmentBytes"/> bytes, each living at most
/// <see cref="DecodingOptions.FragmentTimeout"/> of packet time. Overlapping fragments keep the bytes
/// that arrived first (as the BSD/Windows stacks do) and are counted, since overlap is an evasion trick.
/// </summary>
internal sealed class Ipv4Defragmenter
{
    private const int MaxDatagram = 65535;
    private const int Blocks = (MaxDatagram + 7) / 8;

    private readonly Dictionary<Key, Datagram> _table = new();
    private readonly LinkedList<Datagram> _byAge = new();
    private readonly ReasonCounters<DecodeError> _errors;
    private readonly int _maxDatagrams;
    private readonly long _maxBytes;
    private readonly long _timeoutMicros;
    private byte[]? _completed;

    public Ipv4Defragmenter(DecodingOptions options, ReasonCounters<DecodeError> errors)
    {
        _errors = errors;
        _maxDatagrams = Math.Max(1, options.MaxFragmentedDatagrams);
        _maxBytes = Math.Max(MaxDatagram, options.MaxFragmentBytes);
        _timeoutMicros = (long)options.FragmentTimeout.TotalMicroseconds;
    }

    public long BytesHeld { get; private set; }
    public long Reassembled { get; private set; }

    /// <summary>
    /// Stores a fragment. Returns true with the whole transport-layer datagram when this fragment
    /// completed it; the span stays valid until the next call.
    /// </summary>
    public bool Add(long nowMicros, IpAddress source, IpAddress destination, ushort id, byte protocol,
        int offset, bool moreFragments, ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> datagram)
    {
        datagram = default;
        ReleaseCompleted();
        Expire(nowMicros);

        var end = offset + payload.Length;
        if (end > MaxDatagram)
        {
            _errors.Add(DecodeError.FragmentTooLarge);
            return false;
        }

        var key = new Key(source, destination, id, protocol);
        if (!_table.TryGetValue(key, out var entry))
        {
            while (_table.Count >= _maxDatagrams) Evict(DecodeError.FragmentTableFull);
            entry = new Datagram(key, nowMicros);
            entry.Node = _byAge.AddLast(entry);
            _table.Add(key, entry);
        }

        while (BytesHeld + payload.Length > _maxBytes && _byAge.First is { } oldest && oldest.Value != entry)
            Evict(DecodeError.FragmentMemoryCap);
        if (BytesHeld + payload.Length > _maxBytes)
        {
            _errors.Add(DecodeError.FragmentMemoryCap);
            return false;
        }

        if (!moreFragments)
        {
            if (entry.TotalLength >= 0 && entry.TotalLength != end)
            {
                _errors.Add(DecodeError.FragmentOverlap); // two different "last" fragments
                return false;
            }
            entry.TotalLength = end;
        }

        // Copy only the 8-byte blocks nobody filled before: first data wins.
        var overlapped = false;
        for (var position = offset; position < end;)
        {
            var block = position >> 3;
            var blockEnd = Math.Min((block + 1) << 3, end);
            if (entry.Has(block))
            {
                overlapped = true;
            }
            else
            {
                payload[(position - offset)..(blockEnd - offset)].CopyTo(entry.Buffer.AsSpan(position));
                if (blockEnd == ((block + 1) << 3) || blockEnd == entry.TotalLength || !moreFragments)
                    entry.Mark(block);
            }
            position = blockEnd;
        }
        if (overlapped) _errors.Add(DecodeError.FragmentOverlap);
        entry.Held += payload.Length;
        BytesHeld += payload.Length;

        if (entry.TotalLength < 0 || !entry.Complete()) return false;

        Remove(entry);
        Reassembled++;
        _completed = entry.Buffer;
        datagram = _completed.AsSpan(0, entry.TotalLength);
        return true;
    }

    public void Expire(long nowMicros)
    {
        while (_byAge.First is { } oldest && nowMicros - oldest.Value.FirstSeenMicros > _timeoutMicros)
            Evict(DecodeError.FragmentTimeout);
    }

    private void Evict(DecodeError reason)
    {
        var oldest = _byAge.First!.Value;
        _errors.Add(reason);
        Remove(oldest);
        ArrayPool<byte>.Shared.Return(oldest.Buffer);
    }

    private void Remove(Datagram entry)
    {
        _table.Remove(entry.Key);
        _byAge.Remove(entry.Node!);
        BytesHeld -= entry.Held;
    }

    private void ReleaseCompleted()
    {
        if (_completed is null) return;
        ArrayPool<byte>.Shared.Return(_completed);
        _completed = null;
    }

    private readonly record struct Key(IpAddress Source, IpAddress Destination, ushort Id, byte Protocol);

    private sealed class Datagram(Key key, long firstSeenMicros)
    {
        private readonly ulong[] _filled = new ulong[(Blocks + 63) / 64];
        public Key Key { get; } = key;
        public long FirstSeenMicros { get; } = firstSeenMicros;
        public byte[] Buffer { get; } = ArrayPool<byte>.Shared.Rent(MaxDatagram);
        public LinkedListNode<Datagram>? Node { get; set; }
        public int TotalLength { get; set; } = -1;
        public long Held { get; set; }

        public bool Has(int block) => (_filled[block >> 6] & (1UL << (block & 63))) != 0;
        public void Mark(int block) => _filled[block >> 6] |= 1UL << (block & 63);

        public bool Complete()
        {
            var blocks = (TotalLength + 7) >> 3;
            for (var b = 0; b < blocks; b++)
                if (!Has(b)) return false;
            return true;
        }
    }
}
