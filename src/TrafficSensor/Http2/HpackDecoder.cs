using System.Buffers;
using TrafficSensor.Http;

namespace TrafficSensor.Http2;

/// <summary>Why a header block could not be decoded (fully). The first one met is reported.</summary>
internal enum HpackError
{
    None,
    /// <summary>A field, string or integer runs past the end of the block.</summary>
    Truncated,
    /// <summary>An integer longer than any legitimate value (a huge or wrapping length).</summary>
    IntegerOverflow,
    /// <summary>An index 0, or beyond the static and dynamic tables.</summary>
    InvalidIndex,
    /// <summary>A Huffman string with the EOS symbol or with padding that is longer than 7 bits or not all ones.</summary>
    InvalidHuffman,
    /// <summary>A dynamic table size update after the first field of the block.</summary>
    SizeUpdateMisplaced,
}

/// <summary>One decoded field, as received (lower-case names in valid HTTP/2).</summary>
internal readonly record struct HpackField(string Name, string Value)
{
    // Octets on the wire: HPACK sizes count octets, and a non-ASCII string holds its bytes as fewer chars.
    public int NameOctets { get; init; } = Name.Length;
    public int ValueOctets { get; init; } = Value.Length;
    public int Octets => NameOctets + ValueOctets;
}

/// <summary>
/// An HPACK decoder (RFC 7541) for one direction of one connection: static and dynamic tables,
/// integers, literals (plain and Huffman). Hostile input costs bounded work and memory: the dynamic
/// table never exceeds <c>hardLimit</c> bytes (RFC size accounting), decoded lists stop growing at
/// the header-list limit while the rest of the block is still read so that the table stays in step
/// with the encoder's, integers are refused past 2^31. Owned by the flow worker's thread.
/// </summary>
internal sealed class HpackDecoder
{
    private const int EntryOverhead = 32;
    private const int DefaultTableSize = 4096;

    private readonly int _hardLimit;
    // Dynamic table as a ring: _entries[(_head + i) % Length] is dynamic index i (0 = newest).
    private HpackField[] _entries = new HpackField[16];
    private int _head;
    private int _count;

    /// <param name="hardLimit">Most bytes the dynamic table may hold, whatever the peers agree.</param>
    public HpackDecoder(int hardLimit)
    {
        _hardLimit = Math.Max(0, hardLimit);
        MaxSize = Math.Min(DefaultTableSize, _hardLimit);
    }

    /// <summary>Bytes in the dynamic table (RFC 7541 §4.1: name + value + 32 per entry).</summary>
    public int Size { get; private set; }
    /// <summary>The table's current maximum size, as set by the encoder's last size update (capped).</summary>
    public int MaxSize { get; private set; }
    public int Count => _count;
    /// <summary>The SETTINGS_HEADER_TABLE_SIZE the decoding side advertised (the encoder may not exceed it).</summary>
    public int AdvertisedLimit { get; set; } = DefaultTableSize;
    /// <summary>The encoder asked for a table larger than the decoding side allowed.</summary>
    public bool SizeAboveAdvertised { get; private set; }
    /// <summary>The encoder asked for a table larger than <c>hardLimit</c> (capped).</summary>
    public bool SizeAboveHardLimit { get; private set; }

    /// <summary>Dynamic entry <paramref name="index"/> (0 = the newest).</summary>
    public HpackField Entry(int index) => _entries[(_head + index) % _entries.Length];

    /// <summary>
    /// Decodes one complete header block into <paramref name="fields"/>. At most
    /// <paramref name="maxListSize"/> bytes (RFC 9113 accounting) and <paramref name="maxFields"/>
    /// fields are added; <paramref name="overLimit"/> tells when some were left out.
    /// </summary>
    public HpackError Decode(ReadOnlySpan<byte> block, List<HpackField> fields, int maxListSize, int maxFields, out bool overLimit, out int sizeUpdates)
    {
        overLimit = false;
        sizeUpdates = 0;
        SizeAboveAdvertised = false;
        SizeAboveHardLimit = false;
        long listSize = 0;
        var position = 0;
        var first = true;
        while (position < block.Length)
        {
            var b = block[position];
            HpackField field;
            if ((b & 0x80) != 0)
            {
                // Indexed field (§6.1).
                if (!TryReadInteger(block, ref position, 7, out var index)) return HpackError.Truncated.Or(index);
                if (!TryGet(index, out field)) return HpackError.InvalidIndex;
            }
            else if ((b & 0xE0) == 0x20)
            {
                // Dynamic table size update (§6.3): only at the start of a block.
                if (!TryReadInteger(block, ref position, 5, out var size)) return HpackError.Truncated.Or(size);
                if (!first) return HpackError.SizeUpdateMisplaced;
                sizeUpdates++;
                SetMaxSize(size);
                continue;
            }
            else
            {
                // Literal: with incremental indexing (01), without indexing (0000), never indexed (0001).
                var indexing = (b & 0xC0) == 0x40;
                var prefix = indexing ? 6 : 4;
                if (!TryReadInteger(block, ref position, prefix, out var nameIndex)) return HpackError.Truncated.Or(nameIndex);
                string name;
                int nameOctets;
                if (nameIndex == 0)
                {
                    var error = ReadString(block, ref position, out name, out nameOctets);
                    if (error != HpackError.None) return error;
                }
                else
                {
                    if (!TryGet(nameIndex, out var named)) return HpackError.InvalidIndex;
                    name = named.Name;
                    nameOctets = named.NameOctets;
                }
                var valueError = ReadString(block, ref position, out var value, out var valueOctets);
                if (valueError != HpackError.None) return valueError;
                field = new HpackField(name, value) { NameOctets = nameOctets, ValueOctets = valueOctets };
                if (indexing) Insert(field);
            }
            first = false;

            listSize += field.Octets + EntryOverhead;
            if (listSize > maxListSize || fields.Count >= maxFields) overLimit = true;
            else fields.Add(field);
        }
        return HpackError.None;
    }

    private void SetMaxSize(long requested)
    {
        if (requested > AdvertisedLimit) SizeAboveAdvertised = true;
        if (requested > _hardLimit) SizeAboveHardLimit = true;
        MaxSize = (int)Math.Min(requested, _hardLimit);
        Evict(MaxSize);
    }

    private void Insert(HpackField field)
    {
        long size = field.Octets + EntryOverhead;
        if (size > MaxSize)
        {
            // §4.4: an entry larger than the table empties it and is not added.
            Evict(0);
            return;
        }
        Evict(MaxSize - (int)size);
        if (_count == _entries.Length)
        {
            // At most MaxSize / 32 entries fit, so the ring stays bounded by the hard limit.
            var bigger = new HpackField[_entries.Length * 2];
            for (var i = 0; i < _count; i++) bigger[i] = Entry(i);
            _entries = bigger;
            _head = 0;
        }
        _head = (_head - 1 + _entries.Length) % _entries.Length;
        _entries[_head] = field;
        _count++;
        Size += (int)size;
    }

    private void Evict(int targetSize)
    {
        while (Size > targetSize && _count > 0)
        {
            var slot = (_head + _count - 1) % _entries.Length;
            var oldest = _entries[slot];
            _entries[slot] = default;
            _count--;
            Size -= oldest.Octets + EntryOverhead;
        }
    }

    private bool TryGet(long index, out HpackField field)
    {
        field = default;
        if (index <= 0) return false;
        if (index <= HpackStaticTable.Count)
        {
            field = HpackStaticTable.Get((int)index);
            return true;
        }
        var dynamic = index - HpackStaticTable.Count - 1;
        if (dynamic >= _count) return false;
        field = Entry((int)dynamic);
        return true;
    }

    /// <summary>RFC 7541 §5.1 integer. False when truncated (value 0) or beyond 2^31 (value -1).</summary>
    internal static bool TryReadInteger(ReadOnlySpan<byte> block, ref int position, int prefixBits, out long value)
    {
        var max = (1 << prefixBits) - 1;
        value = block[position++] & max;
        if (value < max) return true;
        var shift = 0;
        while (true)
        {
            if (position >= block.Length)
            {
                value = 0;
                return false;
            }
            var b = block[position++];
            value += (long)(b & 0x7f) << shift;
            shift += 7;
            if (value > int.MaxValue || shift > 35)
            {
                value = -1;
                return false;
            }
            if ((b & 0x80) == 0) return true;
        }
    }

    private static HpackError ReadString(ReadOnlySpan<byte> block, ref int position, out string text, out int octets)
    {
        text = "";
        octets = 0;
        if (position >= block.Length) return HpackError.Truncated;
        var huffman = (block[position] & 0x80) != 0;
        if (!TryReadInteger(block, ref position, 7, out var length)) return HpackError.Truncated.Or(length);
        if (length > block.Length - position) return HpackError.Truncated;
        var raw = block.Slice(position, (int)length);
        position += (int)length;
        if (!huffman)
        {
            octets = raw.Length;
            text = HttpText.Decode(raw);
            return HpackError.None;
        }
        var room = HpackHuffman.MaxDecodedLength(raw.Length);
        var scratch = ArrayPool<byte>.Shared.Rent(Math.Max(16, room));
        try
        {
            var n = HpackHuffman.Decode(raw, scratch);
            if (n < 0) return HpackError.InvalidHuffman;
            octets = n;
            text = HttpText.Decode(scratch.AsSpan(0, n));
            return HpackError.None;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}

internal static class HpackErrorExtensions
{
    /// <summary>A failed integer read: -1 means it overflowed, otherwise the block ended inside it.</summary>
    public static HpackError Or(this HpackError truncated, long value) => value < 0 ? HpackError.IntegerOverflow : truncated;
}
