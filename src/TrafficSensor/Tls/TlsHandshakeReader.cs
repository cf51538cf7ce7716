using System.Buffers;

namespace TrafficSensor.Tls;

/// <summary>What a <see cref="TlsHandshakeReader"/> hands on.</summary>
public interface ITlsHandshakeHandler
{
    /// <summary>Whether messages of this type are wanted; others are skipped without buffering.</summary>
    bool WantsMessage(byte handshakeType);

    /// <summary>One whole handshake message (its body, after the 4-byte header).</summary>
    void OnMessage(byte handshakeType, ReadOnlySpan<byte> body, long timestampMicros);
}

/// <summary>
/// Rebuilds handshake messages from the handshake-record fragments of one direction (RFC 8446 5.1:
/// a message may span records, a record may hold several messages). Messages of wanted types up to
/// <c>maxMessageBytes</c> are buffered (from the memory budget, released when the message is whole);
/// longer ones and unwanted types are skipped by their declared length, so parsing goes on after them.
/// Owned by the flow worker's thread.
/// </summary>
public sealed class TlsHandshakeReader
{
    private readonly ITlsHandshakeHandler _handler;
    private readonly TlsCounters _counters;
    private readonly MemoryBudget? _memory;
    private readonly int _maxMessageBytes;
    private readonly byte[] _header = new byte[4];
    private int _headerFill;
    private bool _inBody;
    private byte _type;
    private int _length;
    private int _remaining;
    private bool _wanted;
    private byte[]? _buffer;
    private int _fill;

    public TlsHandshakeReader(ITlsHandshakeHandler handler, TlsCounters counters, MemoryBudget? memory, int maxMessageBytes)
    {
        _handler = handler;
        _counters = counters;
        _memory = memory;
        _maxMessageBytes = maxMessageBytes;
    }

    /// <summary>True after bytes of the handshake stream were lost: message framing cannot be trusted.</summary>
    public bool Stopped { get; private set; }

    /// <summary>True between messages (no partial message held).</summary>
    public bool AtMessageBoundary => !_inBody && _headerFill == 0;

    public void OnFragment(ReadOnlySpan<byte> data, long timestampMicros)
    {
        while (!data.IsEmpty && !Stopped)
        {
            if (!_inBody)
            {
                var take = Math.Min(4 - _headerFill, data.Length);
                data[..take].CopyTo(_header.AsSpan(_headerFill));
                _headerFill += take;
                data = data[take..];
                if (_headerFill < 4) continue;
                _type = _header[0];
                _length = (_header[1] << 16) | (_header[2] << 8) | _header[3];
                _remaining = _length;
                _fill = 0;
                _inBody = true;
                _wanted = _handler.WantsMessage(_type);
                if (_wanted && _length > _maxMessageBytes)
                {
                    _counters.Events.Add(TlsParseEvent.HandshakeMessageOversized);
                    _wanted = false;
                }
                if (_length == 0) Complete(default, timestampMicros);
                continue;
            }

            var n = Math.Min(_remaining, data.Length);
            if (_wanted && _buffer is null && _fill == 0 && n == _remaining)
            {
                _remaining = 0;
                Complete(data[..n], timestampMicros);
            }
            else
            {
                if (_wanted && _buffer is null)
                {
                    if (_memory is null || _memory.TryReserve(_length)) _buffer = ArrayPool<byte>.Shared.Rent(_length);
                    else
                    {
                        _counters.Events.Add(TlsParseEvent.MemoryBudgetExhausted);
                        _wanted = false;
                    }
                }
                if (_wanted) data[..n].CopyTo(_buffer.AsSpan(_fill));
                _fill += n;
                _remaining -= n;
                if (_remaining == 0) Complete(_wanted ? _buffer.AsSpan(0, _length) : default, timestampMicros);
            }
            data = data[n..];
        }
    }

    /// <summary>Handshake bytes were lost (a record dropped): stop, as later framing is unknown.</summary>
    public void OnLost()
    {
        Stopped = true;
        Release();
    }

    /// <summary>The direction ended: let go of any partial message.</summary>
    public void OnEnd()
    {
        if (!AtMessageBoundary && !Stopped) _counters.Events.Add(TlsParseEvent.TruncatedRecord);
        Stopped = true;
        Release();
    }

    private void Complete(ReadOnlySpan<byte> body, long timestampMicros)
    {
        _inBody = false;
        _headerFill = 0;
        try
        {
            if (_wanted) _handler.OnMessage(_type, body, timestampMicros);
        }
        finally
        {
            Release();
            _fill = 0;
        }
    }

    private void Release()
    {
        if (_buffer is null) return;
        _memory?.Release(_length);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
    }
}
