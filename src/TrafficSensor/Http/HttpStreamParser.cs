using System.Buffers;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Http;

internal enum HttpRole { Unknown, Request, Response }

internal enum BodyKind { None, Length, Chunked, UntilClose, Tunnel }

internal readonly record struct BodyPlan(BodyKind Kind, long Length = 0);

/// <summary>What a direction parser asks of the connection it belongs to.</summary>
internal interface IHttpParserOwner
{
    HttpCounters Counters { get; }
    void OnRoleDetected(HttpStreamParser parser, HttpRole role);
    /// <summary>A message head was parsed; the owner decides how its body is delimited.</summary>
    BodyPlan OnHead(HttpStreamParser parser, HttpMessage message);
    void OnMessageComplete(HttpStreamParser parser, HttpMessage message);
    /// <summary>Bytes that cannot start an HTTP message arrived where one was expected.</summary>
    void OnNotHttp(HttpStreamParser parser);
}

/// <summary>
/// An incremental HTTP/1.x parser for one direction of a connection. Head bytes (start line and
/// headers) are gathered in one pooled buffer and parsed once complete; bodies are streamed without
/// copying, except for a bounded prefix kept for inspection. Every input — split at any byte, with
/// gaps, or hostile — leaves it in a defined state: at worst it skips to the next plausible message.
/// </summary>
internal sealed class HttpStreamParser : ITcpStreamSink
{
    private enum State { Head, Body, ChunkLine, ChunkData, ChunkDataEnd, Trailers, UntilClose, Resync, Tunnel, Disabled }

    private const int MaxChunkLine = 1024;
    private const int InitialHeadBuffer = 2048;

    private readonly IHttpParserOwner _owner;
    private readonly HttpOptions _options;
    private readonly MemoryBudget _inspectBudget;

    private State _state = State.Head;
    private byte[]? _buffer;          // head, chunk-size and trailer lines
    private int _bufferLength;
    private int _searchFrom;
    private bool _atLineStart = true; // for resynchronisation: the next byte starts a line
    private bool _sawCrBeforeLf;      // ChunkDataEnd: CR seen, LF expected
    private long _remaining;
    private HttpMessage? _message;
    private byte[]? _body;
    private int _bodyKept;

    public HttpStreamParser(IHttpParserOwner owner, HttpOptions options, MemoryBudget inspectBudget, bool fromLow)
    {
        _owner = owner;
        _options = options;
        _inspectBudget = inspectBudget;
        FromLow = fromLow;
    }

    public bool FromLow { get; }
    public HttpRole Role { get; internal set; }
    public bool IsDisabled => _state == State.Disabled;
    /// <summary>A message is being received (head or body) that has not completed.</summary>
    public bool InMessage => _message is not null;

    public void Disable() => Stop(State.Disabled);
    /// <summary>The connection switched protocols: later bytes go to <paramref name="next"/> (the upgraded protocol's session) or are only counted.</summary>
    public void SwitchToTunnel(ITcpStreamSink? next = null)
    {
        Stop(State.Tunnel);
        if (next is not null) _tunnel = next;
    }

    // The upgraded protocol's side of this direction after a protocol switch (h2c), if one took it.
    private ITcpStreamSink? _tunnel;

    public void ResyncAfterError()
    {
        AbandonMessage();
        _state = Role == HttpRole.Unknown ? State.Disabled : State.Resync;
        _atLineStart = false;
    }

    // Capture time of the bytes being consumed: the moment a message completes, for latency figures.
    private long _lastMicros;

    public void OnData(ReadOnlySpan<byte> data, long timestampMicros)
    {
        _lastMicros = timestampMicros;
        // After a gap, a segment may start with the next message even when no LF precedes it (a form
        // body ends without one): like tshark, try each segment's first byte as well as line starts.
        if (_state == State.Resync) _atLineStart = true;
        while (!data.IsEmpty)
        {
            switch (_state)
            {
                case State.Head: data = ConsumeHead(data, timestampMicros); break;
                case State.Body: data = ConsumeBody(data); break;
                case State.ChunkLine: data = ConsumeChunkLine(data); break;
                case State.ChunkData: data = ConsumeChunkData(data); break;
                case State.ChunkDataEnd: data = ConsumeChunkDataEnd(data); break;
                case State.Trailers: data = ConsumeTrailers(data); break;
                case State.UntilClose: Collect(data); data = default; break;
                case State.Resync: data = ConsumeResync(data); break;
                case State.Tunnel when _tunnel is not null:
                    _tunnel.OnData(data, timestampMicros);
                    return;
                default:
                    _owner.Counters.NotParsedBytes += data.Length;
                    return;
            }
        }
    }

    public void OnGap(long length, long timestampMicros)
    {
        _lastMicros = timestampMicros;
        switch (_state)
        {
            case State.Tunnel:
                _tunnel?.OnGap(length, timestampMicros);
                return;
            case State.Body:
            case State.ChunkData:
                _message!.Anomalies.Add(HttpAnomaly.GapInBody);
                _message.BodyTruncated = true;
                if (length < _remaining)
                {
                    _remaining -= length;
                    _message.BodyLength += length;
                    return;
                }
                _message.BodyLength += _remaining;
                var beyond = length > _remaining;
                if (_state == State.Body)
                {
                    Complete();
                    if (beyond) EnterResync();
                }
                else
                {
                    Complete();
                    EnterResync();
                }
                return;
            case State.UntilClose:
                _message!.Anomalies.Add(HttpAnomaly.GapInBody);
                _message.BodyTruncated = true;
                _message.BodyLength += length;
                return;
            case State.ChunkLine:
            case State.ChunkDataEnd:
            case State.Trailers:
                _message!.Anomalies.Add(HttpAnomaly.GapInBody);
                _message.BodyTruncated = true;
                Complete();
                EnterResync();
                return;
            case State.Head:
                if (_message is not null)
                {
                    _owner.Counters.Anomalies.Add(HttpAnomaly.GapInHeaders);
                    WritePartialHead(HttpAnomaly.GapInHeaders);
                }
                if (Role == HttpRole.Unknown) { Disable(); return; }
                EnterResync();
                return;
            case State.Resync:
                _atLineStart = true; // a lost segment may end exactly at a message boundary
                return;
        }
    }

    public void OnEnd(long timestampMicros)
    {
        _lastMicros = timestampMicros;
        if (_state == State.Tunnel) _tunnel?.OnEnd(timestampMicros);
        if (_message is not null && _state is State.Body or State.UntilClose or State.ChunkLine or State.ChunkData or State.ChunkDataEnd or State.Trailers)
        {
            if (_state != State.UntilClose) _message.BodyTruncated = true;
            Complete();
        }
        else if (_state == State.Head && _message is not null)
        {
            WritePartialHead(HttpAnomaly.TruncatedHead);
        }
        AbandonMessage();
        _state = State.Disabled;
        ReleaseBuffer();
    }

    // ---------------------------------------------------------------- head

    private ReadOnlySpan<byte> ConsumeHead(ReadOnlySpan<byte> data, long timestampMicros)
    {
        if (_bufferLength == 0)
        {
            // Empty lines between messages are allowed (RFC 9112 §2.2).
            var skip = 0;
            while (skip < data.Length && data[skip] is (byte)'\r' or (byte)'\n') skip++;
            data = data[skip..];
            if (data.IsEmpty) return data;
            _message = new HttpMessage { TimestampMicros = timestampMicros };
        }

        var take = Math.Min(data.Length, _options.MaxHeaderBytes - _bufferLength);
        var before = _bufferLength;
        Append(data[..take]);

        if (before < 32 && !PrefixCanStartMessage())
        {
            _owner.OnNotHttp(this);
            // Resynchronisation (if the owner chose it) scans on from the byte after the bad start.
            return before == 0 ? data[1..] : data[take..];
        }

        if (Role == HttpRole.Unknown) DetectRoleFromStartLine();

        var end = FindHeadEnd();
        if (end < 0)
        {
            if (_bufferLength >= _options.MaxHeaderBytes)
            {
                _owner.Counters.Anomalies.Add(HttpAnomaly.HeadersTooLong);
                EnterResync();
                return data[take..];
            }
            return data[take..];
        }

        var consumed = end - before;
        var head = _buffer.AsSpan(0, end);
        var message = _message!;
        _bufferLength = 0;
        _searchFrom = 0;
        ParseHead(head, message);
        return data[consumed..];
    }

    private bool PrefixCanStartMessage()
    {
        var prefix = _buffer.AsSpan(0, Math.Min(_bufferLength, 32));
        return Role switch
        {
            HttpRole.Request => HttpStartLine.RequestPrefix(prefix) != HttpStartLine.Match.No,
            HttpRole.Response => HttpStartLine.ResponsePrefix(prefix) != HttpStartLine.Match.No,
            _ => HttpStartLine.RequestPrefix(prefix) != HttpStartLine.Match.No || HttpStartLine.ResponsePrefix(prefix) != HttpStartLine.Match.No,
        };
    }

    /// <summary>
    /// Learns the direction's role from a complete start line, before the headers are complete, so a
    /// first head that is cut by a gap or is oversized still lets the parser resynchronise later.
    /// </summary>
    private void DetectRoleFromStartLine()
    {
        var buffered = _buffer.AsSpan(0, _bufferLength);
        var lf = buffered.IndexOf((byte)'\n');
        if (lf < 0) return;
        var line = buffered[..lf];
        if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
        var probe = new HttpMessage();
        var role = HttpStartLine.TryParseRequest(line, probe) ? HttpRole.Request
                 : HttpStartLine.TryParseStatus(line, probe) ? HttpRole.Response
                 : HttpRole.Unknown;
        if (role == HttpRole.Unknown) return;
        Role = role;
        _owner.OnRoleDetected(this, role);
    }

    /// <summary>Index just past the empty line ending the head, or -1.</summary>
    private int FindHeadEnd()
    {
        var span = _buffer.AsSpan(0, _bufferLength);
        var position = _searchFrom;
        while (true)
        {
            var lf = span[position..].IndexOf((byte)'\n');
            if (lf < 0) break;
            var i = position + lf;
            if (i + 1 < span.Length && span[i + 1] == (byte)'\n') return i + 2;
            if (i + 2 < span.Length && span[i + 1] == (byte)'\r' && span[i + 2] == (byte)'\n') return i + 3;
            if (i + 2 >= span.Length) break;
            position = i + 1;
        }
        _searchFrom = Math.Max(0, _bufferLength - 3);
        return -1;
    }

    private void ParseHead(ReadOnlySpan<byte> head, HttpMessage message)
    {
        var lineEnd = head.IndexOf((byte)'\n');
        var startLine = TrimLine(head[..lineEnd], message);
        var rest = head[(lineEnd + 1)..];

        // The role was learned from this start line already (DetectRoleFromStartLine); Unknown means it is not HTTP.
        var parsed = Role switch
        {
            HttpRole.Request => HttpStartLine.TryParseRequest(startLine, message),
            HttpRole.Response => HttpStartLine.TryParseStatus(startLine, message),
            _ => false,
        };
        if (!parsed && Role == HttpRole.Request && HasHeaderLine(rest))
        {
            // On an HTTP connection, a start line no server grammar takes but followed by headers is
            // still a request (the server answers it, if only with 400): write it, flagged.
            HttpStartLine.ParseMalformedRequest(startLine, message);
            parsed = true;
        }
        if (!parsed)
        {
            _owner.Counters.Anomalies.Add(Role == HttpRole.Response ? HttpAnomaly.InvalidStatusLine : HttpAnomaly.InvalidRequestLine);
            _owner.OnNotHttp(this);
            return;
        }

        ParseHeaders(rest, message);
        var plan = _owner.OnHead(this, message);
        StartBody(plan);
    }

    private static bool HasHeaderLine(ReadOnlySpan<byte> lines)
    {
        var lf = lines.IndexOf((byte)'\n');
        var first = lf < 0 ? lines : lines[..lf];
        var colon = first.IndexOf((byte)':');
        if (colon <= 0) return false;
        foreach (var b in first[..colon])
            if (!HttpText.IsTokenChar(b)) return false;
        return true;
    }

    /// <summary>
    /// A request head cut by a gap or by the end of the stream: when its request line is complete, the
    /// request is written with the headers read so far (flagged) rather than lost.
    /// </summary>
    private void WritePartialHead(HttpAnomaly reason)
    {
        if (Role != HttpRole.Request || _message is null || _buffer is null) return;
        var buffered = _buffer.AsSpan(0, _bufferLength);
        var lastLf = buffered.LastIndexOf((byte)'\n');
        if (lastLf < 0) return;
        var message = _message;
        var head = buffered[..(lastLf + 1)];
        var lineEnd = head.IndexOf((byte)'\n');
        if (!HttpStartLine.TryParseRequest(TrimLine(head[..lineEnd], message), message)) return;
        ParseHeaders(head[(lineEnd + 1)..], message);
        message.Anomalies.Add(reason);
        _bufferLength = 0;
        _searchFrom = 0;
        _ = _owner.OnHead(this, message);
        message.BodyTruncated = true;
        Complete();
    }

    private void ParseHeaders(ReadOnlySpan<byte> lines, HttpMessage message)
    {
        message.ReserveHeaders(Math.Min(HeaderLinesAtMost(lines), _options.MaxHeaders));
        while (!lines.IsEmpty)
        {
            var lf = lines.IndexOf((byte)'\n');
            var raw = lf < 0 ? lines : lines[..lf];
            lines = lf < 0 ? default : lines[(lf + 1)..];
            var line = TrimLine(raw, message);
            if (line.IsEmpty) break;

            if (line[0] is (byte)' ' or (byte)'\t')
            {
                // obs-fold: a continuation of the previous header value (deprecated, a smuggling vector).
                message.Anomalies.Add(HttpAnomaly.ObsFold);
                if (message.Headers.Count > 0)
                {
                    var last = message.Headers[^1];
                    // RFC 9112 §5.2: the fold is replaced by a space. A value that starts on the next
                    // line ("Content-Type:" CRLF SP "multipart/...") must not keep a leading space.
                    var continuation = HttpText.Decode(HttpText.TrimWhitespace(line));
                    message.Headers[^1] = last with { Value = last.Value.Length == 0 ? continuation : last.Value + " " + continuation };
                }
                continue;
            }

            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                message.Anomalies.Add(HttpAnomaly.InvalidHeaderLine);
                continue;
            }
            var name = line[..colon];
            if (name[^1] is (byte)' ' or (byte)'\t')
            {
                message.Anomalies.Add(HttpAnomaly.SpaceBeforeColon);
                name = HttpText.TrimWhitespace(name);
            }
            var valid = !name.IsEmpty;
            foreach (var b in name) valid &= HttpText.IsTokenChar(b);
            if (!valid)
            {
                message.Anomalies.Add(HttpAnomaly.InvalidHeaderLine);
                continue;
            }
            if (message.Headers.Count >= _options.MaxHeaders)
            {
                message.Anomalies.Add(HttpAnomaly.TooManyHeaders);
                continue;
            }
            message.Headers.Add(new HttpHeader(HttpText.HeaderName(name), HttpText.Recent(HttpText.TrimWhitespace(line[(colon + 1)..]))));
        }
    }

    /// <summary>At most how many headers <paramref name="lines"/> holds: its lines, without the empty one that ends a head.</summary>
    private static int HeaderLinesAtMost(ReadOnlySpan<byte> lines)
    {
        var count = lines.Count((byte)'\n');
        if (!lines.IsEmpty && lines[^1] != (byte)'\n') return count + 1; // a last line without its LF
        if (lines.SequenceEqual("\n"u8) || lines.SequenceEqual("\r\n"u8) || lines.EndsWith("\n\n"u8) || lines.EndsWith("\n\r\n"u8))
            count--; // the empty line that ends the head holds no header
        return count;
    }

    private static ReadOnlySpan<byte> TrimLine(ReadOnlySpan<byte> line, HttpMessage message)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\r') return line[..^1];
        message.Anomalies.Add(HttpAnomaly.BareLf);
        return line;
    }

    // ---------------------------------------------------------------- bodies

    private void StartBody(BodyPlan plan)
    {
        switch (plan.Kind)
        {
            case BodyKind.Length when plan.Length > 0:
                _state = State.Body;
                _remaining = plan.Length;
                break;
            case BodyKind.Chunked:
                _state = State.ChunkLine;
                break;
            case BodyKind.UntilClose:
                _state = State.UntilClose;
                break;
            case BodyKind.Tunnel:
                Complete();
                SwitchToTunnel();
                break;
            default:
                Complete();
                break;
        }
    }

    private ReadOnlySpan<byte> ConsumeBody(ReadOnlySpan<byte> data)
    {
        var n = (int)Math.Min(data.Length, _remaining);
        Collect(data[..n]);
        _remaining -= n;
        if (_remaining == 0) Complete();
        return data[n..];
    }

    /// <summary>
    /// Gathers one line (chunk size or trailer) in the buffer. Returns true when <paramref name="line"/>
    /// (without CR/LF) is complete; the caller resets the buffer after using it. A line longer than
    /// <paramref name="limit"/> is flagged and ends the body.
    /// </summary>
    private bool GatherLine(ref ReadOnlySpan<byte> data, int limit, HttpAnomaly tooLong, out ReadOnlySpan<byte> line)
    {
        line = default;
        var lf = data.IndexOf((byte)'\n');
        var part = lf < 0 ? data : data[..(lf + 1)];
        data = data[part.Length..];
        if (_bufferLength + part.Length > limit)
        {
            _message!.Anomalies.Add(tooLong);
            FailBody();
            return false;
        }
        Append(part);
        if (lf < 0) return false;
        line = TrimLine(_buffer.AsSpan(0, _bufferLength - 1), _message!);
        return true;
    }

    private ReadOnlySpan<byte> ConsumeChunkLine(ReadOnlySpan<byte> data)
    {
        if (!GatherLine(ref data, MaxChunkLine, HttpAnomaly.ChunkLineTooLong, out var line)) return data;
        _bufferLength = 0;
        if (line.IsEmpty) return data; // tolerate an extra CRLF before a chunk size
        if (!TryParseChunkSize(line, out var size))
        {
            _message!.Anomalies.Add(HttpAnomaly.InvalidChunkSize);
            FailBody();
            return data;
        }
        if (size == 0)
        {
            _state = State.Trailers;
        }
        else
        {
            _state = State.ChunkData;
            _remaining = size;
        }
        return data;
    }

    private static bool TryParseChunkSize(ReadOnlySpan<byte> line, out long size)
    {
        size = 0;
        var digits = 0;
        var i = 0;
        // Leading zeros carry no size and servers (nginx) accept any number of them.
        while (i < line.Length - 1 && line[i] == (byte)'0' && IsHexDigit(line[i + 1])) i++;
        for (; i < line.Length; i++)
        {
            var b = line[i];
            int v;
            if (b is >= (byte)'0' and <= (byte)'9') v = b - '0';
            else if (b is >= (byte)'a' and <= (byte)'f') v = b - 'a' + 10;
            else if (b is >= (byte)'A' and <= (byte)'F') v = b - 'A' + 10;
            else break;
            if (++digits > 15) return false; // > 2^60 bytes: hostile, not a body
            size = size * 16 + v;
        }
        if (digits == 0) return false;
        var rest = HttpText.TrimWhitespace(line[i..]);
        return rest.IsEmpty || rest[0] == (byte)';';
    }

    private static bool IsHexDigit(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private ReadOnlySpan<byte> ConsumeChunkData(ReadOnlySpan<byte> data)
    {
        var n = (int)Math.Min(data.Length, _remaining);
        Collect(data[..n]);
        _remaining -= n;
        if (_remaining == 0)
        {
            _state = State.ChunkDataEnd;
            _sawCrBeforeLf = false;
        }
        return data[n..];
    }

    private ReadOnlySpan<byte> ConsumeChunkDataEnd(ReadOnlySpan<byte> data)
    {
        if (!_sawCrBeforeLf && data[0] == (byte)'\r')
        {
            _sawCrBeforeLf = true;
            return data[1..];
        }
        if (data[0] == (byte)'\n')
        {
            if (!_sawCrBeforeLf) _message!.Anomalies.Add(HttpAnomaly.BareLf);
            _state = State.ChunkLine;
            return data[1..];
        }
        // Data continues where CRLF belongs: the chunk size lied. Read on as a chunk line.
        _message!.Anomalies.Add(HttpAnomaly.MissingChunkTerminator);
        _state = State.ChunkLine;
        return data;
    }

    private ReadOnlySpan<byte> ConsumeTrailers(ReadOnlySpan<byte> data)
    {
        if (!GatherLine(ref data, _options.MaxHeaderBytes, HttpAnomaly.HeadersTooLong, out var line)) return data;
        if (line.IsEmpty)
        {
            _bufferLength = 0;
            Complete();
        }
        else
        {
            ParseHeaders(_buffer.AsSpan(0, _bufferLength), _message!); // trailer fields join the headers
            _bufferLength = 0;
        }
        return data;
    }

    private void Collect(ReadOnlySpan<byte> data)
    {
        var message = _message!;
        message.BodyLength += data.Length;
        var room = _options.MaxBodyInspectBytes - _bodyKept;
        if (room <= 0 || data.IsEmpty)
        {
            if (!data.IsEmpty) message.BodyTruncated = true;
            return;
        }
        if (_body is null)
        {
            if (!_inspectBudget.TryReserve(_options.MaxBodyInspectBytes))
            {
                message.Anomalies.Add(HttpAnomaly.BodyNotInspected);
                _bodyKept = _options.MaxBodyInspectBytes; // do not ask again for this message
                return;
            }
            _body = ArrayPool<byte>.Shared.Rent(_options.MaxBodyInspectBytes);
        }
        var n = Math.Min(room, data.Length);
        data[..n].CopyTo(_body.AsSpan(_bodyKept));
        _bodyKept += n;
        if (n < data.Length) message.BodyTruncated = true;
    }

    private void Complete()
    {
        var message = _message!;
        message.CompletedMicros = Math.Max(message.TimestampMicros, _lastMicros);
        if (_body is not null && _bodyKept > 0)
            ContentDecoder.DecodeBody(message, _body, _bodyKept, _options, ContentDecoder.StorageFor(_options, response: Role == HttpRole.Response));
        ReleaseBody();
        if (_bufferLength == 0) ReleaseBuffer(); // between messages a connection holds no buffer (most open flows are idle)
        _message = null;
        _state = State.Head;
        _owner.OnMessageComplete(this, message);
    }

    /// <summary>The body's framing is broken: finish the message as it is and look for the next one.</summary>
    private void FailBody()
    {
        _message!.BodyTruncated = true;
        Complete();
        EnterResync();
    }

    // ---------------------------------------------------------------- resynchronisation

    private void EnterResync()
    {
        AbandonMessage();
        if (_state is State.Disabled or State.Tunnel) return;
        _state = Role == HttpRole.Unknown ? State.Disabled : State.Resync;
        _atLineStart = true;
    }

    private ReadOnlySpan<byte> ConsumeResync(ReadOnlySpan<byte> data)
    {
        var start = HttpStartLine.FindResyncPoint(data, Role == HttpRole.Request, _atLineStart);
        if (start < 0)
        {
            _owner.Counters.ResyncSkippedBytes += data.Length;
            _atLineStart = data[^1] == (byte)'\n';
            return default;
        }
        _owner.Counters.ResyncSkippedBytes += start;
        _state = State.Head;
        return data[start..];
    }

    // ---------------------------------------------------------------- buffers

    private void Append(ReadOnlySpan<byte> data)
    {
        var needed = _bufferLength + data.Length;
        if (_buffer is null || _buffer.Length < needed)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(InitialHeadBuffer, (_buffer?.Length ?? 0) * 2)));
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _bufferLength).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
            }
            _buffer = bigger;
        }
        data.CopyTo(_buffer.AsSpan(_bufferLength));
        _bufferLength = needed;
    }

    private void Stop(State state)
    {
        AbandonMessage();
        _state = state;
        ReleaseBuffer();
    }

    private void AbandonMessage()
    {
        _message = null;
        _bufferLength = 0;
        _searchFrom = 0;
        ReleaseBody();
    }

    private void ReleaseBody()
    {
        if (_body is not null)
        {
            ArrayPool<byte>.Shared.Return(_body);
            _inspectBudget.Release(_options.MaxBodyInspectBytes);
            _body = null;
        }
        _bodyKept = 0;
    }

    private void ReleaseBuffer()
    {
        if (_buffer is null) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
        _bufferLength = 0;
    }
}
