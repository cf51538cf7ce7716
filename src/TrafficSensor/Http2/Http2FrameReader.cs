using System.Buffers;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Http2;

/// <summary>
/// Cuts one direction of an HTTP/2 connection into frames (RFC 9113 §4), whatever the TCP
/// segmentation: the client preface is checked, frame headers gathered, non-DATA payloads buffered
/// (pooled, up to Http2Options.MaxFramePayloadBytes) and DATA payloads streamed without copying,
/// padding removed. A gap inside DATA is absorbed as missing body bytes; a gap anywhere else loses
/// the frame boundaries, and the rest of the direction is counted, not parsed. Each direction owns
/// the HPACK decoder for the header blocks its sender encoded. Owned by the flow worker's thread.
/// </summary>
internal sealed class Http2FrameReader : ITcpStreamSink
{
    private enum State { Preface, FrameHeader, Payload, DataPadLength, Data, DataPadding, Skip, Lost, Ended }

    private readonly Http2Connection _owner;
    private readonly Http2Counters _counters;
    private readonly int _maxPayload;
    private State _state;
    private int _prefaceMatched;
    private readonly byte[] _header = new byte[Http2FrameHeader.Size];
    private int _headerHave;
    private Http2FrameHeader _frame;
    private byte[]? _payload;
    private int _payloadHave;
    private long _remaining;     // Data / DataPadding / Skip: bytes left in this state
    private int _padding;        // DATA: padding after the data
    private bool _sawFrame;

    public Http2FrameReader(Http2Connection owner, Http2Counters counters, Http2Options options, bool fromLow, bool? isClient)
    {
        _owner = owner;
        _counters = counters;
        _maxPayload = Math.Max(Http2Settings.DefaultMaxFrameSize, options.MaxFramePayloadBytes);
        FromLow = fromLow;
        IsClient = isClient;
        Decoder = new HpackDecoder(options.MaxHeaderTableBytes);
        // A side not known to be the server must show the preface (or, failing it, is the server).
        _state = isClient == false ? State.FrameHeader : State.Preface;
    }

    public bool FromLow { get; }
    /// <summary>True for the client's direction, false for the server's, null until the preface decides.</summary>
    public bool? IsClient { get; internal set; }
    /// <summary>Decodes the header blocks this direction's sender encoded.</summary>
    public HpackDecoder Decoder { get; }
    /// <summary>SETTINGS_MAX_FRAME_SIZE the receiving side advertised.</summary>
    public int MaxFrameSize { get; internal set; } = Http2Settings.DefaultMaxFrameSize;
    /// <summary>Capture time of the bytes being read.</summary>
    public long Now { get; private set; }
    public bool IsLost => _state is State.Lost;

    public void OnData(ReadOnlySpan<byte> data, long timestampMicros)
    {
        Now = timestampMicros;
        while (!data.IsEmpty)
        {
            switch (_state)
            {
                case State.Preface: data = ConsumePreface(data); break;
                case State.FrameHeader: data = ConsumeFrameHeader(data); break;
                case State.Payload: data = ConsumePayload(data); break;
                case State.DataPadLength: data = ConsumeDataPadLength(data); break;
                case State.Data: data = ConsumeData(data); break;
                case State.DataPadding:
                case State.Skip: data = ConsumeSkip(data); break;
                default:
                    _counters.NotParsedBytes += data.Length;
                    return;
            }
        }
    }

    public void OnGap(long length, long timestampMicros)
    {
        Now = timestampMicros;
        switch (_state)
        {
            case State.Data when length <= _remaining:
                // Lost body bytes: the frame boundary is still known.
                _owner.OnDataGap(this, _frame, length);
                _remaining -= length;
                if (_remaining == 0) EndDataPayload();
                return;
            case State.DataPadding or State.Skip when length <= _remaining:
                _remaining -= length;
                if (_remaining == 0) NextFrame();
                return;
            case State.Lost or State.Ended:
                return;
            default:
                var reason = _state switch
                {
                    State.Preface => Http2ParsingEnd.GapInPreface,
                    State.FrameHeader => Http2ParsingEnd.GapInFrameHeader,
                    State.Payload => Http2ParsingEnd.GapInFramePayload,
                    _ => Http2ParsingEnd.GapBeyondDataFrame,
                };
                _counters.Anomalies.Add(Http2Anomaly.GapLostFraming);
                _counters.NotParsedBytes += length;
                ReleasePayload();
                _state = State.Lost;
                _owner.OnLostFraming(this);
                _owner.EndParsing(reason, timestampMicros);
                return;
        }
    }

    public void OnEnd(long timestampMicros)
    {
        Now = timestampMicros;
        if (_state == State.Ended) return;
        if (_state is State.Data or State.DataPadLength or State.DataPadding or State.Payload) _owner.OnLostFraming(this);
        ReleasePayload();
        _state = State.Ended;
    }

    /// <summary>The side became known before any byte of this direction (an upgrade): the server's starts with frames.</summary>
    public void AssignRole(bool isClient)
    {
        IsClient = isClient;
        if (!isClient && _state == State.Preface && _prefaceMatched == 0) _state = State.FrameHeader;
    }

    /// <summary>The connection stopped following this direction (for instance, it is not HTTP/2 after all).</summary>
    public void Stop()
    {
        ReleasePayload();
        _state = State.Lost;
    }

    // ---------------------------------------------------------------- preface and frame headers

    private ReadOnlySpan<byte> ConsumePreface(ReadOnlySpan<byte> data)
    {
        var preface = Http2Preface.Client;
        while (!data.IsEmpty && _prefaceMatched < preface.Length)
        {
            if (data[0] != preface[_prefaceMatched])
            {
                var matched = _prefaceMatched;
                _prefaceMatched = 0;
                if (IsClient == true || !_owner.OnNoPreface(this))
                {
                    _counters.Anomalies.Add(Http2Anomaly.MissingPreface);
                    _counters.NotParsedBytes += matched + data.Length;
                    _state = State.Lost;
                    return default;
                }
                // The server's side: the bytes taken for a preface prefix were its first frame's.
                _state = State.FrameHeader;
                if (matched > 0) OnData(preface[..matched], Now);
                return data;
            }
            _prefaceMatched++;
            data = data[1..];
        }
        if (_prefaceMatched == preface.Length)
        {
            IsClient = true;
            _owner.OnPreface(this);
            _state = State.FrameHeader;
        }
        return data;
    }

    private ReadOnlySpan<byte> ConsumeFrameHeader(ReadOnlySpan<byte> data)
    {
        var n = Math.Min(Http2FrameHeader.Size - _headerHave, data.Length);
        data[..n].CopyTo(_header.AsSpan(_headerHave));
        _headerHave += n;
        data = data[n..];
        if (_headerHave < Http2FrameHeader.Size) return data;
        _headerHave = 0;
        _frame = Http2FrameHeader.Read(_header);
        var kind = _frame.Kind;
        _counters.Frames.Add(kind);
        if (!_sawFrame)
        {
            _sawFrame = true;
            if (IsClient == false && kind != Http2FrameType.Settings) _counters.Anomalies.Add(Http2Anomaly.MissingServerSettings);
        }
        if (_frame.Length > MaxFrameSize) _counters.Anomalies.Add(Http2Anomaly.FrameAboveMaxFrameSize);
        _owner.OnFrameStart(this, _frame);

        if (kind == Http2FrameType.Data)
        {
            _owner.OnDataFrameStart(this, _frame);
            if (_frame.Has(Http2FrameFlags.Padded)) _state = _frame.Length == 0 ? InvalidDataPadding() : State.DataPadLength;
            else StartData(_frame.Length, 0);
            return data;
        }
        if (kind == Http2FrameType.Unknown)
        {
            // Extension frames are ignored (RFC 9113 §5.5).
            StartSkip(_frame.Length);
            return data;
        }
        if (_frame.Length > _maxPayload)
        {
            _counters.Anomalies.Add(Http2Anomaly.FrameTooLargeToBuffer);
            _owner.OnFrameSkipped(this, _frame);
            StartSkip(_frame.Length);
            return data;
        }
        _payloadHave = 0;
        if (_frame.Length == 0)
        {
            DeliverFrame();
            return data;
        }
        _payload ??= ArrayPool<byte>.Shared.Rent(Math.Min(_maxPayload, Math.Max(_frame.Length, 4096)));
        if (_payload.Length < _frame.Length)
        {
            ArrayPool<byte>.Shared.Return(_payload);
            _payload = ArrayPool<byte>.Shared.Rent(_frame.Length);
        }
        _state = State.Payload;
        return data;
    }

    private ReadOnlySpan<byte> ConsumePayload(ReadOnlySpan<byte> data)
    {
        var n = Math.Min(_frame.Length - _payloadHave, data.Length);
        data[..n].CopyTo(_payload.AsSpan(_payloadHave));
        _payloadHave += n;
        if (_payloadHave == _frame.Length) DeliverFrame();
        return data[n..];
    }

    private void DeliverFrame()
    {
        var payload = _frame.Length == 0 ? default : _payload.AsSpan(0, _frame.Length);
        _state = State.FrameHeader;
        _owner.OnFrame(this, _frame, payload);
        // Between frames a direction holds no buffer (most connections are idle most of the time).
        if (_state == State.FrameHeader) ReleasePayload();
    }

    // ---------------------------------------------------------------- DATA

    private ReadOnlySpan<byte> ConsumeDataPadLength(ReadOnlySpan<byte> data)
    {
        var padding = data[0];
        if (padding > _frame.Length - 1)
        {
            _state = InvalidDataPadding(skipped: 1);
            return data[1..];
        }
        StartData(_frame.Length - 1 - padding, padding);
        return data[1..];
    }

    private State InvalidDataPadding(int skipped = 0)
    {
        // A server refuses the connection (PROTOCOL_ERROR); the frame carries no data we can trust.
        _counters.Anomalies.Add(Http2Anomaly.InvalidPadding);
        _owner.OnDataFrameEnd(this, _frame, endsStream: false);
        _remaining = _frame.Length - skipped;
        if (_remaining == 0)
        {
            return State.FrameHeader;
        }
        return State.Skip;
    }

    private void StartData(long length, int padding)
    {
        _remaining = length;
        _padding = padding;
        _state = State.Data;
        if (length == 0) EndDataPayload();
    }

    private ReadOnlySpan<byte> ConsumeData(ReadOnlySpan<byte> data)
    {
        var n = (int)Math.Min(_remaining, data.Length);
        _owner.OnDataPayload(this, _frame, data[..n]);
        _remaining -= n;
        if (_remaining == 0) EndDataPayload();
        return data[n..];
    }

    private void EndDataPayload()
    {
        _owner.OnDataFrameEnd(this, _frame, _frame.Has(Http2FrameFlags.EndStream));
        if (_padding > 0)
        {
            _remaining = _padding;
            _padding = 0;
            _state = State.DataPadding;
        }
        else
        {
            NextFrame();
        }
    }

    // ---------------------------------------------------------------- skipping

    private void StartSkip(long length)
    {
        _remaining = length;
        _state = length == 0 ? State.FrameHeader : State.Skip;
    }

    private ReadOnlySpan<byte> ConsumeSkip(ReadOnlySpan<byte> data)
    {
        var n = (int)Math.Min(_remaining, data.Length);
        _remaining -= n;
        if (_remaining == 0) NextFrame();
        return data[n..];
    }

    private void NextFrame()
    {
        if (_state is not (State.Lost or State.Ended)) _state = State.FrameHeader;
    }

    private void ReleasePayload()
    {
        if (_payload is null) return;
        ArrayPool<byte>.Shared.Return(_payload);
        _payload = null;
    }
}
