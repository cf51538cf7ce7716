using System.Buffers;

namespace TrafficSensor.Tls;

/// <summary>What a <see cref="TlsRecordReader"/> hands on.</summary>
public interface ITlsRecordHandler
{
    /// <summary>Whether the bytes of records of this content type are wanted (else only their length is reported, nothing is buffered).</summary>
    bool WantsFragment(byte contentType);

    /// <summary>One whole record. <paramref name="fragment"/> is empty when not wanted (or too long); <paramref name="length"/> is the record's.</summary>
    void OnRecord(byte contentType, ushort version, ReadOnlySpan<byte> fragment, int length, long timestampMicros);

    /// <summary>A record that was wanted but could not be kept (memory budget): the content stream of its type has a hole.</summary>
    void OnRecordLost(byte contentType, long timestampMicros);

    /// <summary>An SSLv2-framed ClientHello (the message from its msg_type byte on).</summary>
    void OnSsl2ClientHello(ReadOnlySpan<byte> message, long timestampMicros);
}

/// <summary>
/// Frames one direction of a TCP stream into TLS records (RFC 5246 6.2, RFC 8446 5.1), whatever the
/// segmentation: a record split byte by byte gives the same record as one in a single segment.
/// Bounded: a partial record is held in a buffer of exactly its length (at most 2^14 + 2048 bytes),
/// reserved from the worker's memory budget and given back as soon as the record is complete; records
/// whose bytes are not wanted are skipped without buffering. A header that is not TLS stops the direction
/// (its framing cannot be trusted any more), as does a hole in the stream. Owned by the flow worker's thread.
/// </summary>
public sealed class TlsRecordReader
{
    private enum State { Header, Body, Stopped }

    private readonly ITlsRecordHandler _handler;
    private readonly TlsCounters _counters;
    private readonly MemoryBudget? _memory;
    private readonly bool _allowSsl2;
    private readonly byte[] _header = new byte[5];
    private int _headerFill;
    private State _state;
    private bool _first = true;
    private bool _ssl2;
    private byte _type;
    private ushort _version;
    private int _length;
    private int _remaining;
    private bool _wanted;
    private byte[]? _buffer;
    private int _fill;

    /// <param name="allowSsl2">Accept an SSLv2-framed ClientHello as the first record (the client's direction).</param>
    public TlsRecordReader(ITlsRecordHandler handler, TlsCounters counters, MemoryBudget? memory, bool allowSsl2)
    {
        _handler = handler;
        _counters = counters;
        _memory = memory;
        _allowSsl2 = allowSsl2;
    }

    /// <summary>True once framing is lost (invalid header, gap): later bytes are ignored.</summary>
    public bool Stopped => _state == State.Stopped;

    public long RecordsRead { get; private set; }

    /// <summary>Bytes held for a partial record right now.</summary>
    public int BufferedBytes => _buffer is null ? 0 : _length;

    public void OnData(ReadOnlySpan<byte> data, long timestampMicros)
    {
        while (!data.IsEmpty && _state != State.Stopped)
        {
            if (_state == State.Header)
            {
                var take = Math.Min(5 - _headerFill, data.Length);
                data[..take].CopyTo(_header.AsSpan(_headerFill));
                _headerFill += take;
                data = data[take..];
                if (_headerFill == 5) StartRecord(timestampMicros);
            }
            else
            {
                var take = Math.Min(_remaining, data.Length);
                if (_wanted && _buffer is null && take == _remaining && _fill == 0)
                {
                    // Whole record in this segment: hand it on without copying.
                    _remaining = 0;
                    Complete(data[..take], timestampMicros);
                }
                else
                {
                    if (_wanted && _buffer is null && !Reserve(_length))
                    {
                        _counters.Events.Add(TlsParseEvent.MemoryBudgetExhausted);
                        _handler.OnRecordLost(_type, timestampMicros);
                        _wanted = false;
                    }
                    if (_wanted) data[..take].CopyTo(_buffer.AsSpan(_fill));
                    _fill += take;
                    _remaining -= take;
                    if (_remaining == 0) Complete(_wanted ? _buffer.AsSpan(0, _length) : default, timestampMicros);
                }
                data = data[take..];
            }
        }
    }

    public void OnGap(long length, long timestampMicros)
    {
        if (_state == State.Stopped) return;
        _counters.Events.Add(TlsParseEvent.StreamGap);
        Stop();
    }

    public void OnEnd(long timestampMicros)
    {
        if (_state == State.Stopped) return;
        if (_headerFill > 0 || _state == State.Body) _counters.Events.Add(TlsParseEvent.TruncatedRecord);
        Stop();
    }

    private void StartRecord(long timestampMicros)
    {
        var h = _header;
        var first = _first;
        _first = false;
        if (first && _allowSsl2 && (h[0] & 0x80) != 0 && h[2] == TlsWire.ClientHelloType)
        {
            // SSLv2 two-byte header (RFC 6101 appendix E.2): length in the low 15 bits, the message follows;
            // three of the five bytes read are already the message's.
            _ssl2 = true;
            _length = ((h[0] & 0x7f) << 8) | h[1];
            if (_length < 3 + 6)
            {
                _counters.Events.Add(TlsParseEvent.MalformedSsl2ClientHello);
                Stop();
                return;
            }
            _type = TlsWire.Handshake;
            _wanted = Reserve(_length);
            if (!_wanted)
            {
                _counters.Events.Add(TlsParseEvent.MemoryBudgetExhausted);
                Stop();
                return;
            }
            h.AsSpan(2, 3).CopyTo(_buffer);
            _fill = 3;
            _remaining = _length - 3;
            _state = State.Body;
            return;
        }

        _type = h[0];
        _version = (ushort)((h[1] << 8) | h[2]);
        _length = (h[3] << 8) | h[4];
        if (_type is < TlsWire.ChangeCipherSpec or > TlsWire.Heartbeat || h[1] != 3 || h[2] > 4)
        {
            _counters.Events.Add(TlsParseEvent.InvalidRecordHeader);
            Stop();
            return;
        }
        _wanted = _handler.WantsFragment(_type);
        if (_length > TlsWire.MaxRecordFragment)
        {
            _counters.Events.Add(TlsParseEvent.RecordOversized);
            if (_wanted) _handler.OnRecordLost(_type, timestampMicros);
            _wanted = false;
        }
        _remaining = _length;
        _fill = 0;
        _state = State.Body;
        if (_length == 0) Complete(default, timestampMicros);
    }

    /// <summary>Takes a buffer for a record split across segments (called lazily, only when it is).</summary>
    private bool Reserve(int length)
    {
        if (_memory is not null && !_memory.TryReserve(length)) return false;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        return true;
    }

    private void Complete(ReadOnlySpan<byte> fragment, long timestampMicros)
    {
        var ssl2 = _ssl2;
        RecordsRead++;
        _counters.Records++;
        _counters.RecordBytes += _length;
        _state = State.Header;
        _headerFill = 0;
        _ssl2 = false;
        try
        {
            if (ssl2) _handler.OnSsl2ClientHello(fragment, timestampMicros);
            else _handler.OnRecord(_type, _version, fragment, _length, timestampMicros);
        }
        finally
        {
            ReleaseBuffer();
            _fill = 0;
        }
    }

    private void ReleaseBuffer()
    {
        if (_buffer is null) return;
        _memory?.Release(_length);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
    }

    private void Stop()
    {
        _state = State.Stopped;
        ReleaseBuffer();
    }
}
