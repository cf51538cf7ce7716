using System.Buffers;
using System.Buffers.Binary;
using TrafficSensor.Http;
using TrafficSensor.Protocols;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Http2;

/// <summary>
/// HTTP/2 over one TCP connection (RFC 9113): both directions cut into frames, header blocks
/// (HEADERS or PUSH_PROMISE + CONTINUATION) decoded with each direction's HPACK decoder, and every
/// stream made into one <see cref="HttpTransaction"/> — request HEADERS + DATA + trailers, final
/// response HEADERS + DATA + trailers — with the same message model, body handling (ContentDecoder,
/// HttpOptions limits) and parameter extraction as HTTP/1, so features and scoring read them
/// unchanged. Pseudo-headers map onto the request line: :method → Method, :path → Target,
/// :authority → a Host header (the one features read), :status → Status. Every limit hit and
/// protocol violation is counted (<see cref="Http2Counters"/>); nothing a peer sends can throw or
/// grow memory beyond the options. Owned by the flow worker's thread.
/// </summary>
public sealed class Http2Connection : IAppSession, IHttpUpgradeTarget
{
    private readonly HttpOptions _http;
    private readonly Http2Options _options;
    private readonly MemoryBudget _inspectBudget;
    private readonly Http2Counters _counters;
    private readonly IHttpTransactionSink _sink;
    private readonly Http2FrameReader _fromLow;
    private readonly Http2FrameReader _fromHigh;
    private readonly Side _lowSide = new();
    private readonly Side _highSide = new();
    private readonly Dictionary<uint, Http2Stream> _streams = new();
    private readonly List<HpackField> _fields = new();
    private int _streamsCreated;
    private uint _lastClientStream;
    private bool _closed;

    /// <param name="clientIsLow">Which endpoint is the client when known; null: the side sending the preface.</param>
    public Http2Connection(HttpOptions http, Http2Options options, MemoryBudget inspectBudget,
        Http2Counters counters, IHttpTransactionSink sink, bool? clientIsLow = null)
    {
        _http = http;
        _options = options;
        _inspectBudget = inspectBudget;
        _counters = counters;
        _sink = sink;
        _fromLow = new Http2FrameReader(this, counters, options, fromLow: true, isClient: clientIsLow);
        _fromHigh = new Http2FrameReader(this, counters, options, fromLow: false, isClient: clientIsLow is null ? null : !clientIsLow);
        counters.Connections++;
    }

    /// <summary>
    /// h2c by Upgrade (RFC 7540 §3.2): the HTTP/1.1 request the server answered with 101 is stream 1,
    /// whose response comes as HTTP/2; the request's side is the client.
    /// </summary>
    public void OnUpgrade(HttpTransaction upgrade)
    {
        if (upgrade.Request is null || _streamsCreated > 0) return;
        _fromLow.AssignRole(upgrade.ClientIsLow);
        _fromHigh.AssignRole(!upgrade.ClientIsLow);
        StartFromUpgrade(upgrade.Request, upgrade.ClientIsLow);
    }

    /// <summary>Feed the stream sent by the flow key's low endpoint.</summary>
    public ITcpStreamSink FromLow => _fromLow;
    /// <summary>Feed the stream sent by the flow key's high endpoint.</summary>
    public ITcpStreamSink FromHigh => _fromHigh;
    /// <summary>True when the low endpoint is the client; null until a preface showed it.</summary>
    public bool? ClientIsLow => _fromLow.IsClient ?? (_fromHigh.IsClient is { } high ? !high : null);
    /// <summary>Neither direction can be parsed any further (both lost, or parsing ended: <see cref="EndParsing"/>).</summary>
    public bool Finished => _closed || (_fromLow.IsLost && _fromHigh.IsLost);
    public Http2Counters Counters => _counters;

    /// <summary>The flow ended: every stream still open is written with what it has.</summary>
    public void Close(long timestampMicros)
    {
        if (_closed) return;
        _closed = true;
        _fromLow.OnEnd(timestampMicros);
        _fromHigh.OnEnd(timestampMicros);
        DropBlock(_lowSide);
        DropBlock(_highSide);
        foreach (var stream in _streams.Values.OrderBy(s => s.Transaction.Index).ToList())
        {
            var tx = stream.Transaction;
            if (tx.Request is { } request && !stream.RequestEnded)
            {
                request.BodyTruncated |= request.BodyLength > 0;
                stream.RequestBody.Finish(request);
            }
            if (tx.Response is { } response && !stream.ResponseEnded)
            {
                response.BodyTruncated |= response.BodyLength > 0;
                stream.ResponseBody.Finish(response);
                response.CompletedMicros = Math.Max(response.TimestampMicros, timestampMicros);
            }
            if (tx.Response is null) tx.Anomalies.Add(HttpAnomaly.NoResponse);
            Emit(stream);
        }
        _streams.Clear();
    }

    // ---------------------------------------------------------------- called by the frame readers

    internal void OnPreface(Http2FrameReader reader)
    {
        var other = Other(reader);
        other.IsClient ??= false;
    }

    /// <summary>A direction did not start with the preface: it is the server's, unless the other one already is.</summary>
    internal bool OnNoPreface(Http2FrameReader reader)
    {
        if (Other(reader).IsClient == false) return false;
        reader.IsClient = false;
        return true;
    }

    internal void OnFrameStart(Http2FrameReader reader, in Http2FrameHeader frame)
    {
        var side = SideOf(reader);
        if (side.Block.Open && frame.Kind != Http2FrameType.Continuation)
        {
            // RFC 9113 §6.10: a header block must be continued by CONTINUATION frames only.
            _counters.Anomalies.Add(Http2Anomaly.HeaderBlockInterrupted);
            DropBlock(side);
        }
    }

    internal void OnFrameSkipped(Http2FrameReader reader, in Http2FrameHeader frame)
    {
        if (frame.Kind is not (Http2FrameType.Headers or Http2FrameType.PushPromise or Http2FrameType.Continuation)) return;
        // The block is lost (and with it the HPACK table's updates): absorb its continuations.
        var block = SideOf(reader).Block;
        _counters.Anomalies.Add(Http2Anomaly.HeaderBlockTooLarge);
        if (frame.Has(Http2FrameFlags.EndHeaders))
        {
            ReleaseBlock(block);
            return;
        }
        if (!block.Open) block.Begin(frame.StreamId, pushPromise: false, 0, endStream: false, reader.Now);
        block.Discarded = true;
    }

    internal void OnFrame(Http2FrameReader reader, in Http2FrameHeader frame, ReadOnlySpan<byte> payload)
    {
        switch (frame.Kind)
        {
            case Http2FrameType.Headers: OnHeaders(reader, frame, payload); break;
            case Http2FrameType.PushPromise: OnPushPromise(reader, frame, payload); break;
            case Http2FrameType.Continuation: OnContinuation(reader, frame, payload); break;
            case Http2FrameType.Priority:
                RequireStream(frame);
                if (frame.Length != 5) _counters.Anomalies.Add(Http2Anomaly.InvalidFrameLength);
                break;
            case Http2FrameType.RstStream:
                RequireStream(frame);
                if (frame.Length != 4) _counters.Anomalies.Add(Http2Anomaly.InvalidFrameLength);
                OnReset(frame.StreamId);
                break;
            case Http2FrameType.Settings: OnSettings(reader, frame, payload); break;
            case Http2FrameType.Ping:
                RequireConnection(frame);
                if (frame.Length != 8) _counters.Anomalies.Add(Http2Anomaly.InvalidFrameLength);
                break;
            case Http2FrameType.GoAway:
                RequireConnection(frame);
                if (frame.Length < 8) _counters.Anomalies.Add(Http2Anomaly.InvalidFrameLength);
                _counters.GoAways++;
                break;
            case Http2FrameType.WindowUpdate:
                if (frame.Length != 4) _counters.Anomalies.Add(Http2Anomaly.InvalidFrameLength);
                else if ((BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF) == 0) _counters.Anomalies.Add(Http2Anomaly.ZeroWindowIncrement);
                break;
        }
    }

    internal void OnDataFrameStart(Http2FrameReader reader, in Http2FrameHeader frame)
    {
        var side = SideOf(reader);
        side.DataStream = null;
        side.DataMessage = null;
        if (!RequireStream(frame)) return;
        if (!_streams.TryGetValue(frame.StreamId, out var stream))
        {
            _counters.Anomalies.Add(Http2Anomaly.FrameOnClosedStream);
            return;
        }
        var message = reader.IsClient == true ? stream.Transaction.Request : stream.Transaction.Response;
        var ended = reader.IsClient == true ? stream.RequestEnded : stream.ResponseEnded;
        if (message is null || ended)
        {
            _counters.Anomalies.Add(Http2Anomaly.FrameOnClosedStream);
            return;
        }
        side.DataStream = stream;
        side.DataMessage = message;
    }

    internal void OnDataPayload(Http2FrameReader reader, in Http2FrameHeader frame, ReadOnlySpan<byte> data)
    {
        var side = SideOf(reader);
        if (side.DataStream is not { } stream) return;
        var body = reader.IsClient == true ? stream.RequestBody : stream.ResponseBody;
        body.Collect(side.DataMessage!, data);
    }

    internal void OnDataGap(Http2FrameReader reader, in Http2FrameHeader frame, long length)
    {
        if (SideOf(reader).DataMessage is { } message) Http2BodyCollector.Gap(message, length);
    }

    internal void OnDataFrameEnd(Http2FrameReader reader, in Http2FrameHeader frame, bool endsStream)
    {
        var side = SideOf(reader);
        var stream = side.DataStream;
        side.DataStream = null;
        side.DataMessage = null;
        if (stream is not null && endsStream) EndMessage(stream, reader.IsClient == true, reader.Now);
    }

    /// <summary>
    /// A gap lost a direction's frame boundaries (and perhaps part of its HPACK table): the connection is
    /// parsed no further, both directions, so that the other one's frames are not read against streams
    /// and a header table the lost bytes may have changed (responses on streams never seen, say). Every
    /// open stream is written now with what it has, as at the flow's end; later bytes are counted, not parsed.
    /// </summary>
    internal void EndParsing(Http2ParsingEnd reason, long timestampMicros)
    {
        if (_closed) return;
        _counters.ParsingEnded.Add(reason);
        Close(timestampMicros);
    }

    /// <summary>A direction lost its frame boundaries: what it was sending stays incomplete (flagged).</summary>
    internal void OnLostFraming(Http2FrameReader reader)
    {
        var side = SideOf(reader);
        DropBlock(side);
        side.DataStream = null;
        side.DataMessage = null;
        var fromClient = reader.IsClient == true;
        foreach (var stream in _streams.Values)
        {
            var message = fromClient ? stream.Transaction.Request : stream.Transaction.Response;
            var ended = fromClient ? stream.RequestEnded : stream.ResponseEnded;
            if (message is not null && !ended)
            {
                message.Anomalies.Add(HttpAnomaly.GapInBody);
                message.BodyTruncated = true;
            }
        }
    }

    // ---------------------------------------------------------------- header blocks

    private void OnHeaders(Http2FrameReader reader, in Http2FrameHeader frame, ReadOnlySpan<byte> payload)
    {
        if (!RequireStream(frame)) return;
        if (!TryStripPadding(frame, payload, out var fragment)) return;
        if (frame.Has(Http2FrameFlags.Priority))
        {
            if (fragment.Length < 5)
            {
                _counters.Anomalies.Add(Http2Anomaly.InvalidFrameLength);
                return;
            }
            fragment = fragment[5..]; // stream dependency and weight: no bearing on what is sent
        }
        BeginBlock(reader, frame, fragment, pushPromise: false, promisedId: 0);
    }

    private void OnPushPromise(Http2FrameReader reader, in Http2FrameHeader frame, ReadOnlySpan<byte> payload)
    {
        if (!RequireStream(frame)) return;
        if (!TryStripPadding(frame, payload, out var fragment)) return;
        if (fragment.Length < 4)
        {
            _counters.Anomalies.Add(Http2Anomaly.InvalidFrameLength);
            return;
        }
        var promised = BinaryPrimitives.ReadUInt32BigEndian(fragment) & 0x7FFF_FFFF;
        BeginBlock(reader, frame, fragment[4..], pushPromise: true, promised);
    }

    private void BeginBlock(Http2FrameReader reader, in Http2FrameHeader frame, ReadOnlySpan<byte> fragment, bool pushPromise, uint promisedId)
    {
        var block = SideOf(reader).Block;
        block.Begin(frame.StreamId, pushPromise, promisedId, frame.Has(Http2FrameFlags.EndStream), reader.Now);
        if (frame.Has(Http2FrameFlags.EndHeaders))
        {
            // The whole block in one frame (the usual case): decoded in place, never copied.
            CompleteBlock(reader, block, fragment);
            return;
        }
        Append(block, fragment);
    }

    private void OnContinuation(Http2FrameReader reader, in Http2FrameHeader frame, ReadOnlySpan<byte> fragment)
    {
        var block = SideOf(reader).Block;
        if (!block.Open || block.StreamId != frame.StreamId)
        {
            _counters.Anomalies.Add(Http2Anomaly.UnexpectedContinuation);
            return;
        }
        if (!block.Discarded && ++block.Continuations > _options.MaxContinuationFrames)
        {
            _counters.Anomalies.Add(Http2Anomaly.ContinuationFlood);
            block.Discarded = true;
        }
        Append(block, fragment);
        if (frame.Has(Http2FrameFlags.EndHeaders)) CompleteBlock(reader, block, block.Buffer.AsSpan(0, block.Length));
    }

    private void Append(HeaderBlock block, ReadOnlySpan<byte> fragment)
    {
        if (block.Discarded) return;
        var limit = HeaderBlockLimit;
        if (block.Length + fragment.Length > limit)
        {
            _counters.Anomalies.Add(Http2Anomaly.HeaderBlockTooLarge);
            block.Discarded = true;
            block.ReleaseBuffer();
            return;
        }
        var needed = block.Length + fragment.Length;
        if (block.Buffer is null || block.Buffer.Length < needed)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(limit, Math.Max(needed, Math.Max(4096, (block.Buffer?.Length ?? 0) * 2))));
            block.Buffer?.AsSpan(0, block.Length).CopyTo(bigger);
            block.ReleaseBuffer(keepLength: true);
            block.Buffer = bigger;
        }
        fragment.CopyTo(block.Buffer.AsSpan(block.Length));
        block.Length = needed;
    }

    /// <summary>Compressed bytes buffered for one header block split over several frames.</summary>
    private int HeaderBlockLimit => Math.Max(_http.MaxHeaderBytes, Http2Settings.DefaultMaxFrameSize);

    private void CompleteBlock(Http2FrameReader reader, HeaderBlock block, ReadOnlySpan<byte> encoded)
    {
        if (block.Discarded)
        {
            ReleaseBlock(block);
            return;
        }
        _fields.Clear();
        var error = reader.Decoder.Decode(encoded, _fields, _http.MaxHeaderBytes, _http.MaxHeaders, out var overLimit, out var sizeUpdates);
        CountDecoding(reader.Decoder, error, overLimit, sizeUpdates);
        var (streamId, pushPromise, promisedId, endStream, started) = (block.StreamId, block.PushPromise, block.PromisedId, block.EndStream, block.Timestamp);
        ReleaseBlock(block);

        if (pushPromise)
        {
            if (reader.IsClient == true) _counters.Anomalies.Add(Http2Anomaly.InvalidStreamId); // only servers push
            else OnPromisedRequest(reader, promisedId, started, error, overLimit);
            return;
        }
        if (reader.IsClient == true) OnRequestBlock(reader, streamId, endStream, started, error, overLimit);
        else OnResponseBlock(reader, streamId, endStream, started, error, overLimit);
    }

    private void CountDecoding(HpackDecoder decoder, HpackError error, bool overLimit, int sizeUpdates)
    {
        if (error != HpackError.None)
        {
            _counters.Anomalies.Add(error switch
            {
                HpackError.Truncated => Http2Anomaly.HpackTruncated,
                HpackError.IntegerOverflow => Http2Anomaly.HpackIntegerOverflow,
                HpackError.InvalidIndex => Http2Anomaly.HpackInvalidIndex,
                HpackError.InvalidHuffman => Http2Anomaly.HpackInvalidHuffman,
                _ => Http2Anomaly.HpackSizeUpdateMisplaced,
            });
        }
        if (overLimit) _counters.Anomalies.Add(Http2Anomaly.HeaderListTooLarge);
        if (sizeUpdates > 2) _counters.Anomalies.Add(Http2Anomaly.HpackTooManySizeUpdates);
        if (decoder.SizeAboveAdvertised) _counters.Anomalies.Add(Http2Anomaly.HpackTableSizeAboveSetting);
        if (decoder.SizeAboveHardLimit) _counters.Anomalies.Add(Http2Anomaly.HpackTableSizeAboveLimit);
    }

    private void OnRequestBlock(Http2FrameReader reader, uint streamId, bool endStream, long started, HpackError error, bool overLimit)
    {
        if (_streams.TryGetValue(streamId, out var open))
        {
            if (open.RequestEnded)
            {
                _counters.Anomalies.Add(Http2Anomaly.FrameOnClosedStream);
                return;
            }
            // Trailers join the headers, as HTTP/1 trailer fields do.
            AppendTrailers(open.Transaction.Request!, error, overLimit);
            if (endStream) EndMessage(open, fromClient: true, reader.Now);
            return;
        }
        if ((streamId & 1) == 0 || streamId <= _lastClientStream)
        {
            _counters.Anomalies.Add((streamId & 1) == 0 ? Http2Anomaly.StreamIdNotIncreasing : Http2Anomaly.FrameOnClosedStream);
            return;
        }
        _lastClientStream = streamId;
        var request = new HttpMessage { TimestampMicros = started, Protocol = "HTTP/2" };
        FillRequest(request, error, overLimit);
        var stream = OpenStream(streamId, reader.FromLow, request);
        if (stream is not null && endStream) EndMessage(stream, fromClient: true, reader.Now);
    }

    private void OnPromisedRequest(Http2FrameReader reader, uint promisedId, long started, HpackError error, bool overLimit)
    {
        if (promisedId == 0 || (promisedId & 1) != 0 || _streams.ContainsKey(promisedId))
        {
            _counters.Anomalies.Add(Http2Anomaly.InvalidStreamId);
            return;
        }
        var request = new HttpMessage { TimestampMicros = started, Protocol = "HTTP/2" };
        FillRequest(request, error, overLimit);
        // A pushed response answers a request the server made up on the client's behalf: the client is the other side.
        var stream = OpenStream(promisedId, clientIsLow: !reader.FromLow, request);
        if (stream is not null) EndMessage(stream, fromClient: true, reader.Now);
    }

    private void OnResponseBlock(Http2FrameReader reader, uint streamId, bool endStream, long started, HpackError error, bool overLimit)
    {
        if (!_streams.TryGetValue(streamId, out var stream) || stream.ResponseEnded)
        {
            _counters.Anomalies.Add(Http2Anomaly.FrameOnClosedStream);
            return;
        }
        var tx = stream.Transaction;
        if (tx.Response is not null)
        {
            AppendTrailers(tx.Response, error, overLimit);
            if (endStream) EndMessage(stream, fromClient: false, reader.Now);
            return;
        }
        var response = new HttpMessage { TimestampMicros = started, Protocol = "HTTP/2" };
        FillResponse(response, error, overLimit);
        if (response.Status is >= 100 and < 200 && !endStream) return; // interim (100 Continue, 103 Early Hints)
        tx.Response = response;
        if (endStream) EndMessage(stream, fromClient: false, reader.Now);
    }

    // ---------------------------------------------------------------- fields → messages

    private void FillRequest(HttpMessage request, HpackError error, bool overLimit)
    {
        string? method = null, path = null, authority = null;
        var pseudoAllowed = true;
        foreach (var (name, value) in _fields)
        {
            if (name.StartsWith(':'))
            {
                var first = true;
                switch (name)
                {
                    case ":method": first = method is null; method ??= value; break;
                    case ":path": first = path is null; path ??= value; break;
                    case ":authority": first = authority is null; authority ??= value; break;
                    case ":scheme": case ":protocol": break;
                    default: first = false; break;
                }
                if (!first || !pseudoAllowed) FlagPseudo(request);
                continue;
            }
            pseudoAllowed = false;
            AddField(request, name, value);
        }
        JoinCookies(request);
        request.Method = method;
        request.Target = method == "CONNECT" ? authority : path;
        if (method is null || request.Target is null)
        {
            _counters.Anomalies.Add(Http2Anomaly.MissingPseudoHeader);
            request.Anomalies.Add(HttpAnomaly.InvalidRequestLine);
        }
        var host = request.Header("Host");
        if (authority is not null)
        {
            // :authority is the request's Host (RFC 9113 §8.3.1): it goes first, where Hostname reads it. A
            // differing Host field stays beside it, flagged as the ambiguity HTTP/1 flags.
            if (host is not null && !string.Equals(host, authority, StringComparison.OrdinalIgnoreCase)) request.Anomalies.Add(HttpAnomaly.MultipleHost);
            if (host is null || request.Anomalies.Contains(HttpAnomaly.MultipleHost)) request.Headers.Insert(0, new HttpHeader("host", authority));
        }
        else if (host is null)
        {
            request.Anomalies.Add(HttpAnomaly.MissingHost);
        }
        FlagDecoding(request, error, overLimit);
    }

    private void FillResponse(HttpMessage response, HpackError error, bool overLimit)
    {
        string? status = null;
        var pseudoAllowed = true;
        foreach (var (name, value) in _fields)
        {
            if (name.StartsWith(':'))
            {
                var first = name == ":status" && status is null;
                if (first) status = value;
                if (!first || !pseudoAllowed) FlagPseudo(response);
                continue;
            }
            pseudoAllowed = false;
            AddField(response, name, value);
        }
        if (status is { Length: 3 } && int.TryParse(status, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
        {
            response.Status = code;
        }
        else
        {
            _counters.Anomalies.Add(Http2Anomaly.MissingPseudoHeader);
            response.Anomalies.Add(HttpAnomaly.InvalidStatusLine);
        }
        FlagDecoding(response, error, overLimit);
    }

    private void AppendTrailers(HttpMessage message, HpackError error, bool overLimit)
    {
        foreach (var (name, value) in _fields)
        {
            if (name.StartsWith(':')) FlagPseudo(message);
            else AddField(message, name, value);
        }
        FlagDecoding(message, error, overLimit);
    }

    private void AddField(HttpMessage message, string name, string value)
    {
        if (HasUpperCase(name))
        {
            _counters.Anomalies.Add(Http2Anomaly.UppercaseHeaderName);
            message.Anomalies.Add(HttpAnomaly.InvalidHeaderLine);
        }
        if (IsConnectionSpecific(name, value))
        {
            _counters.Anomalies.Add(Http2Anomaly.ConnectionSpecificHeader);
            message.Anomalies.Add(HttpAnomaly.InvalidHeaderLine);
        }
        if (message.Headers.Count >= _http.MaxHeaders)
        {
            message.Anomalies.Add(HttpAnomaly.TooManyHeaders);
            return;
        }
        message.Headers.Add(new HttpHeader(name, value));
    }

    private void FlagPseudo(HttpMessage message)
    {
        _counters.Anomalies.Add(Http2Anomaly.InvalidPseudoHeader);
        message.Anomalies.Add(HttpAnomaly.InvalidHeaderLine);
    }

    private static void FlagDecoding(HttpMessage message, HpackError error, bool overLimit)
    {
        if (overLimit) message.Anomalies.Add(HttpAnomaly.HeadersTooLong);
        if (error != HpackError.None) message.Anomalies.Add(HttpAnomaly.InvalidHeaderLine);
    }

    /// <summary>RFC 9113 §8.2.3: cookie crumbs are joined with "; " as an HTTP/1 Cookie field would carry them.</summary>
    private static void JoinCookies(HttpMessage message)
    {
        var first = -1;
        for (var i = 0; i < message.Headers.Count; i++)
        {
            if (!message.Headers[i].Name.Equals("cookie", StringComparison.OrdinalIgnoreCase)) continue;
            if (first < 0)
            {
                first = i;
                continue;
            }
            message.Headers[first] = message.Headers[first] with { Value = message.Headers[first].Value + "; " + message.Headers[i].Value };
            message.Headers.RemoveAt(i--);
        }
    }

    private static bool HasUpperCase(string name)
    {
        foreach (var c in name)
            if (c is >= 'A' and <= 'Z') return true;
        return false;
    }

    private static bool IsConnectionSpecific(string name, string value) =>
        name.Equals("connection", StringComparison.OrdinalIgnoreCase) || name.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
        || name.Equals("proxy-connection", StringComparison.OrdinalIgnoreCase) || name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("upgrade", StringComparison.OrdinalIgnoreCase)
        || (name.Equals("te", StringComparison.OrdinalIgnoreCase) && !value.Equals("trailers", StringComparison.OrdinalIgnoreCase));

    // ---------------------------------------------------------------- streams

    private Http2Stream? OpenStream(uint id, bool clientIsLow, HttpMessage request)
    {
        if (_streamsCreated >= _options.MaxStreamsPerConnection)
        {
            _counters.Anomalies.Add(Http2Anomaly.TooManyStreams);
            return null;
        }
        if (_streams.Count >= Math.Max(1, _options.MaxConcurrentStreams))
        {
            // The oldest open stream is written now (flagged) so that a flood of idle streams cannot hide a new one.
            _counters.Anomalies.Add(Http2Anomaly.TooManyConcurrentStreams);
            var oldest = _streams.Values.MinBy(s => s.Transaction.Index)!;
            oldest.Transaction.Anomalies.Add(HttpAnomaly.TooManyPendingRequests);
            if (oldest.Transaction.Response is null) oldest.Transaction.Anomalies.Add(HttpAnomaly.NoResponse);
            Remove(oldest);
            FinishOpenMessages(oldest);
            Emit(oldest);
        }
        var stream = new Http2Stream(id, new HttpTransaction { Index = _streamsCreated++, ClientIsLow = clientIsLow, Request = request },
            new Http2BodyCollector(_http, _inspectBudget), new Http2BodyCollector(_http, _inspectBudget));
        _streams[id] = stream;
        _counters.Streams++;
        return stream;
    }

    private void EndMessage(Http2Stream stream, bool fromClient, long now)
    {
        var tx = stream.Transaction;
        if (fromClient)
        {
            if (stream.RequestEnded) return;
            stream.RequestEnded = true;
            var request = tx.Request!;
            stream.RequestBody.Finish(request);
            request.CompletedMicros = Math.Max(request.TimestampMicros, now);
            HttpParameters.Extract(tx, _http.MaxParameters);
            tx.RequestComplete = true;
        }
        else
        {
            if (stream.ResponseEnded) return;
            stream.ResponseEnded = true;
            var response = tx.Response;
            if (response is not null)
            {
                stream.ResponseBody.Finish(response);
                response.CompletedMicros = Math.Max(response.TimestampMicros, now);
                tx.ResponseComplete = true;
            }
        }
        if (stream.RequestEnded && stream.ResponseEnded)
        {
            Remove(stream);
            Emit(stream);
        }
    }

    private void OnReset(uint streamId)
    {
        _counters.StreamsReset++;
        if (!_streams.TryGetValue(streamId, out var stream)) return;
        Remove(stream);
        FinishOpenMessages(stream);
        if (stream.Transaction.Response is null) stream.Transaction.Anomalies.Add(HttpAnomaly.NoResponse);
        Emit(stream);
    }

    private void FinishOpenMessages(Http2Stream stream)
    {
        var tx = stream.Transaction;
        if (!stream.RequestEnded && tx.Request is { } request)
        {
            request.BodyTruncated |= request.BodyLength > 0;
            stream.RequestBody.Finish(request);
        }
        if (!stream.ResponseEnded && tx.Response is { } response)
        {
            response.BodyTruncated |= response.BodyLength > 0;
            stream.ResponseBody.Finish(response);
        }
    }

    private void Remove(Http2Stream stream)
    {
        _streams.Remove(stream.Id);
        foreach (var side in (ReadOnlySpan<Side>)[_lowSide, _highSide])
        {
            if (side.DataStream != stream) continue;
            side.DataStream = null;
            side.DataMessage = null;
        }
    }

    private void Emit(Http2Stream stream)
    {
        var tx = stream.Transaction;
        stream.RequestBody.Release();
        stream.ResponseBody.Release();
        if (tx.Emitted()) return;
        tx.MarkEmitted();
        if (tx.Request is not null && !tx.RequestComplete && tx.Parameters.Count == 0) HttpParameters.Extract(tx, _http.MaxParameters);
        _counters.Transactions++;
        // Counted as HTTP/2's (app_proto http2), never in HTTP/1's totals: each protocol's counters are its own.
        foreach (var anomaly in tx.AllAnomalies.All()) _counters.HttpAnomalies.Add(anomaly);
        _sink.OnTransaction(tx);
    }

    // ---------------------------------------------------------------- settings, upgrade

    private void OnSettings(Http2FrameReader reader, in Http2FrameHeader frame, ReadOnlySpan<byte> payload)
    {
        RequireConnection(frame);
        if (frame.Has(Http2FrameFlags.Ack))
        {
            if (frame.Length != 0) _counters.Anomalies.Add(Http2Anomaly.SettingsAckWithPayload);
            return;
        }
        if (frame.Length % 6 != 0) _counters.Anomalies.Add(Http2Anomaly.InvalidFrameLength);
        ApplySettings(Other(reader), payload);
    }

    /// <summary>Settings a side sent bound what the other side (<paramref name="peer"/>) may send it.</summary>
    private void ApplySettings(Http2FrameReader peer, ReadOnlySpan<byte> settings)
    {
        for (; settings.Length >= 6; settings = settings[6..])
        {
            var id = BinaryPrimitives.ReadUInt16BigEndian(settings);
            var value = BinaryPrimitives.ReadUInt32BigEndian(settings[2..]);
            switch (id)
            {
                case Http2Settings.HeaderTableSize:
                    peer.Decoder.AdvertisedLimit = (int)Math.Min(value, int.MaxValue);
                    break;
                case Http2Settings.MaxFrameSize:
                    if (value is < Http2Settings.DefaultMaxFrameSize or > Http2Settings.LargestMaxFrameSize) _counters.Anomalies.Add(Http2Anomaly.InvalidSetting);
                    else peer.MaxFrameSize = (int)value;
                    break;
                case Http2Settings.EnablePush when value > 1:
                case Http2Settings.InitialWindowSize when value > int.MaxValue:
                    _counters.Anomalies.Add(Http2Anomaly.InvalidSetting);
                    break;
            }
        }
    }

    private void StartFromUpgrade(HttpMessage upgradeRequest, bool clientIsLow)
    {
        // HTTP2-Settings carries the client's SETTINGS payload in base64url.
        var request = new HttpMessage
        {
            TimestampMicros = upgradeRequest.TimestampMicros,
            CompletedMicros = upgradeRequest.CompletedMicros,
            Method = upgradeRequest.Method,
            Target = upgradeRequest.Target,
            Protocol = upgradeRequest.Protocol,
            BodyLength = upgradeRequest.BodyLength,
            BodyTruncated = upgradeRequest.BodyTruncated,
            Anomalies = upgradeRequest.Anomalies,
        };
        request.CopyBodyOf(upgradeRequest); // the upgrade's transaction is handed on, and its body released, on its own
        request.Headers.AddRange(upgradeRequest.Headers);
        if (upgradeRequest.Header("HTTP2-Settings") is { } encoded && TryDecodeBase64Url(encoded) is { } settings)
            ApplySettings(clientIsLow ? _fromHigh : _fromLow, settings);
        _lastClientStream = 1;
        var stream = OpenStream(1, clientIsLow, request);
        if (stream is null) return;
        stream.RequestEnded = true;
        stream.Transaction.RequestComplete = true;
        HttpParameters.Extract(stream.Transaction, _http.MaxParameters);
    }

    private static byte[]? TryDecodeBase64Url(string text)
    {
        if (text.Length > 1024) return null;
        var s = text.Trim().Replace('-', '+').Replace('_', '/');
        s = s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
        var bytes = new byte[s.Length];
        return Convert.TryFromBase64String(s, bytes, out var n) ? bytes[..n] : null;
    }

    // ---------------------------------------------------------------- helpers

    private bool RequireStream(in Http2FrameHeader frame)
    {
        if (frame.StreamId != 0) return true;
        _counters.Anomalies.Add(Http2Anomaly.InvalidStreamId);
        return false;
    }

    private void RequireConnection(in Http2FrameHeader frame)
    {
        if (frame.StreamId != 0) _counters.Anomalies.Add(Http2Anomaly.InvalidStreamId);
    }

    private bool TryStripPadding(in Http2FrameHeader frame, ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> content)
    {
        content = payload;
        if (!frame.Has(Http2FrameFlags.Padded)) return true;
        if (payload.IsEmpty || payload[0] > payload.Length - 1)
        {
            _counters.Anomalies.Add(Http2Anomaly.InvalidPadding);
            return false;
        }
        content = payload[1..^payload[0]];
        return true;
    }

    private Http2FrameReader Other(Http2FrameReader reader) => reader == _fromLow ? _fromHigh : _fromLow;
    private Side SideOf(Http2FrameReader reader) => reader == _fromLow ? _lowSide : _highSide;

    private static void DropBlock(Side side) => ReleaseBlock(side.Block);

    private static void ReleaseBlock(HeaderBlock block)
    {
        block.ReleaseBuffer();
        block.Open = false;
        block.Discarded = false;
    }

    /// <summary>Per direction: the header block being received and the stream its DATA frame feeds.</summary>
    private sealed class Side
    {
        public readonly HeaderBlock Block = new();
        public Http2Stream? DataStream;
        public HttpMessage? DataMessage;
    }

    private sealed class HeaderBlock
    {
        public bool Open;
        public uint StreamId;
        public bool PushPromise;
        public uint PromisedId;
        public bool EndStream;
        public long Timestamp;
        public byte[]? Buffer;
        public int Length;
        public int Continuations;
        public bool Discarded;

        public void Begin(uint streamId, bool pushPromise, uint promisedId, bool endStream, long timestamp)
        {
            ReleaseBuffer();
            (Open, StreamId, PushPromise, PromisedId, EndStream, Timestamp, Continuations, Discarded) =
                (true, streamId, pushPromise, promisedId, endStream, timestamp, 0, false);
        }

        public void ReleaseBuffer(bool keepLength = false)
        {
            if (Buffer is not null) ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = null;
            if (!keepLength) Length = 0;
        }
    }
}

/// <summary>One stream: its transaction and the body prefixes being kept. Owned by the flow worker's thread.</summary>
internal sealed class Http2Stream(uint id, HttpTransaction transaction, Http2BodyCollector requestBody, Http2BodyCollector responseBody)
{
    public uint Id { get; } = id;
    public HttpTransaction Transaction { get; } = transaction;
    public Http2BodyCollector RequestBody { get; } = requestBody;
    public Http2BodyCollector ResponseBody { get; } = responseBody;
    public bool RequestEnded { get; set; }
    public bool ResponseEnded { get; set; }
}
