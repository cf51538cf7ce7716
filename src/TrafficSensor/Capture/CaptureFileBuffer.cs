using System.Buffers;

namespace TrafficSensor.Capture;

/// <summary>
/// A capture file read in large pieces into one pooled buffer, for the direct pcap and pcapng readers:
/// records are parsed where they lie in the buffer (no per-packet allocation), and a frame's bytes stay
/// valid until the next <see cref="Ensure"/>. Owned by the reading thread.
/// </summary>
internal sealed class CaptureFileBuffer : IDisposable
{
    /// <summary>The buffer's size: also the largest record or block that can be parsed.</summary>
    public const int Size = 4 << 20;

    private readonly FileStream _file;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(Size);
    private int _start;
    private int _end;

    public CaptureFileBuffer(FileStream file, long consumed)
    {
        _file = file;
        Consumed = consumed;
    }

    /// <summary>Bytes of the file parsed so far (the start of <see cref="Available"/>).</summary>
    public long Consumed { get; private set; }

    /// <summary>The bytes read and not yet consumed.</summary>
    public ReadOnlySpan<byte> Available => _buffer.AsSpan(_start, _end - _start);

    /// <summary>
    /// Makes at least <paramref name="needed"/> (≤ <see cref="Size"/>) bytes available, moving the unread
    /// bytes to the front and reading more; false when the file ends first (what is there stays available).
    /// </summary>
    public bool Ensure(int needed)
    {
        if (_end - _start >= needed) return true;
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        while (_end < needed)
        {
            var n = _file.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0) return false;
            _end += n;
        }
        return true;
    }

    /// <summary>Consumes <paramref name="count"/> available bytes.</summary>
    public void Consume(int count)
    {
        _start += count;
        Consumed += count;
    }

    /// <summary>Consumes <paramref name="count"/> bytes, more than the buffer may hold (a block that is not parsed); false when the file ends first.</summary>
    public bool Skip(long count)
    {
        while (count > 0)
        {
            if (_end == _start && !Ensure(1)) return false;
            var n = (int)Math.Min(count, _end - _start);
            Consume(n);
            count -= n;
        }
        return true;
    }

    public void Dispose()
    {
        _file.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
