using TrafficSensor.Protocols;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Http;

/// <summary>
/// HTTP/1.x over one TCP connection: a parser per direction, recognised by content on any port
/// (whichever side sends a request line is the client), requests paired with responses in FIFO order
/// (pipelining, keep-alive, interim 1xx responses, HEAD/204/304 without body, 101 and CONNECT
/// tunnels), finished transactions handed to an <see cref="IHttpTransactionSink"/>.
/// </summary>
public sealed class HttpConnection : IHttpParserOwner
{
    private readonly HttpOptions _options;
    private readonly IHttpTransactionSink _sink;
    private readonly bool _serverKnownForHttp;
    private readonly HttpStreamParser _fromLow;
    private readonly HttpStreamParser _fromHigh;
    private readonly Queue<HttpTransaction> _awaitingResponse = new();
    // Pipelining beyond MaxPendingRequests: the oldest pending requests are written early (flagged)
    // but still owed a response. Only a count is kept (they are always the oldest, so their indexes
    // are consecutive) so that later responses still pair with the right requests at any depth; the
    // few bodyless ones (HEAD, CONNECT) are remembered, bounded, since their responses frame differently.
    private const int MaxOwedBodylessRemembered = 4096;
    private long _owedResponses;
    private int _firstOwedIndex;
    private readonly Queue<(int Index, string Method)> _owedBodyless = new();
    private HttpTransaction? _receivingRequest;
    private bool _responseOpensTunnel; // of _receivingResponse
    private HttpTransaction? _receivingResponse;
    private int _nextIndex;

    /// <param name="serverKnownForHttp">An endpoint of this connection served HTTP before: non-HTTP bytes here are an anomaly, not just another protocol.</param>
    public HttpConnection(HttpOptions options, MemoryBudget inspectBudget, HttpCounters counters, IHttpTransactionSink sink, bool serverKnownForHttp = false)
    {
        _options = options;
        _sink = sink;
        _serverKnownForHttp = serverKnownForHttp;
        Counters = counters;
        _fromLow = new HttpStreamParser(this, options, inspectBudget, fromLow: true);
        _fromHigh = new HttpStreamParser(this, options, inspectBudget, fromLow: false);
    }

    public HttpCounters Counters { get; }

    /// <summary>
    /// Extension point for protocol upgrades: asked for a session of the named protocol ("http2" after
    /// <c>101</c> with <c>Upgrade: h2c</c>), or with a null name for a session that recognises the tunnel's
    /// protocol by its content (after a <c>2xx</c> answer to <c>CONNECT</c>: TLS through a proxy, as Suricata
    /// follows it), that takes the rest of both streams. Null, or a null answer (the protocol is not
    /// registered), leaves the connection a tunnel whose bytes are counted, not parsed.
    /// </summary>
    public Func<string?, IAppSession?>? SwitchProtocol { get; init; }

    /// <summary>The session that took the connection over after an upgrade, if any.</summary>
    public IAppSession? Upgraded { get; private set; }

    /// <summary>Feed the stream sent by the flow key's low endpoint.</summary>
    public ITcpStreamSink FromLow => _fromLow;
    /// <summary>Feed the stream sent by the flow key's high endpoint.</summary>
    public ITcpStreamSink FromHigh => _fromHigh;

    /// <summary>True once a request line was seen from the low endpoint (false: from the high one); null while unknown.</summary>
    public bool? ClientIsLow { get; private set; }
    public bool SawHttp => _nextIndex > 0 || ClientIsLow is not null;
    /// <summary>Both directions gave up (not HTTP, or switched to another protocol): the flow needs no more parsing.</summary>
    public bool Finished => Upgraded?.Finished ?? (_fromLow.IsDisabled && _fromHigh.IsDisabled);

    /// <summary>The flow ended: completes what can be completed and emits every open transaction.</summary>
    public void Close(long timestampMicros)
    {
        _fromLow.OnEnd(timestampMicros);
        _fromHigh.OnEnd(timestampMicros);
        if (_receivingResponse is not null) Emit(_receivingResponse);
        _receivingResponse = null;
        while (_awaitingResponse.TryDequeue(out var tx))
        {
            tx.Anomalies.Add(HttpAnomaly.NoResponse);
            Emit(tx);
        }
        if (_receivingRequest is not null && !_receivingRequest.Emitted())
        {
            _receivingRequest.Anomalies.Add(HttpAnomaly.NoResponse);
            Emit(_receivingRequest);
        }
        _receivingRequest = null;
        Upgraded?.Close(timestampMicros);
    }

    void IHttpParserOwner.OnRoleDetected(HttpStreamParser parser, HttpRole role)
    {
        var other = parser == _fromLow ? _fromHigh : _fromLow;
        var opposite = role == HttpRole.Request ? HttpRole.Response : HttpRole.Request;
        if (other.Role == HttpRole.Unknown) other.Role = opposite;
        var clientIsLow = (role == HttpRole.Request) == parser.FromLow;
        ClientIsLow ??= clientIsLow;
    }

    BodyPlan IHttpParserOwner.OnHead(HttpStreamParser parser, HttpMessage message) =>
        parser.Role == HttpRole.Request ? OnRequestHead(parser, message) : OnResponseHead(message);

    private BodyPlan OnRequestHead(HttpStreamParser parser, HttpMessage request)
    {
        var tx = new HttpTransaction { Index = _nextIndex++, ClientIsLow = parser.FromLow, Request = request };
        if (_awaitingResponse.Count >= Math.Max(1, _options.MaxPendingRequests))
        {
            var oldest = _awaitingResponse.Dequeue();
            oldest.Anomalies.Add(HttpAnomaly.TooManyPendingRequests);
            oldest.Anomalies.Add(HttpAnomaly.NoResponse);
            if (_owedResponses++ == 0) _firstOwedIndex = oldest.Index;
            if (oldest.Request?.Method is "HEAD" or "CONNECT" && _owedBodyless.Count < MaxOwedBodylessRemembered)
                _owedBodyless.Enqueue((oldest.Index, oldest.Request.Method));
            Emit(oldest);
        }
        _awaitingResponse.Enqueue(tx);
        _receivingRequest = tx;

        var hosts = request.HeaderCount("Host");
        if (hosts == 0 && request.Protocol == "HTTP/1.1") request.Anomalies.Add(HttpAnomaly.MissingHost);
        if (hosts > 1) request.Anomalies.Add(HttpAnomaly.MultipleHost);

        // A request without Transfer-Encoding or Content-Length has no body.
        return FramingFromHeaders(request, unframed: BodyKind.None);
    }

    private BodyPlan OnResponseHead(HttpMessage response)
    {
        var status = response.Status;
        if (status is >= 100 and < 200 && status != 101)
            return new BodyPlan(BodyKind.None); // interim (100 Continue, 103 Early Hints): the final response follows

        HttpTransaction? tx;
        string? method;
        if (_owedResponses > 0)
        {
            // Answers a request written early (pipelining deeper than MaxPendingRequests): a record of
            // its own with the request's index (tx_id), so the two join, flagged.
            var index = _firstOwedIndex++;
            _owedResponses--;
            method = null;
            if (_owedBodyless.TryPeek(out var bodyless) && bodyless.Index == index) method = _owedBodyless.Dequeue().Method;
            tx = new HttpTransaction { Index = index, ClientIsLow = ClientIsLow ?? false };
            tx.Anomalies.Add(HttpAnomaly.TooManyPendingRequests);
        }
        else if (!_awaitingResponse.TryDequeue(out tx))
        {
            tx = new HttpTransaction { Index = _nextIndex++, ClientIsLow = ClientIsLow ?? false };
            tx.Anomalies.Add(HttpAnomaly.ResponseWithoutRequest);
            method = null;
        }
        else
        {
            method = tx.Request?.Method;
        }
        tx.Response = response;
        _receivingResponse = tx;

        _responseOpensTunnel = status == 101 || (method == "CONNECT" && status is >= 200 and < 300);
        if (_responseOpensTunnel)
            return new BodyPlan(BodyKind.Tunnel);
        if (method == "HEAD" || status is 204 or 304 || status < 200)
            return new BodyPlan(BodyKind.None);

        // A response without Transfer-Encoding or Content-Length lasts until the connection closes.
        return FramingFromHeaders(response, unframed: BodyKind.UntilClose);
    }

    /// <summary>
    /// RFC 9112 §6.3: Transfer-Encoding wins over Content-Length (both present is flagged, a classic
    /// smuggling set-up); a Transfer-Encoding not ending in chunked leaves the body unframed.
    /// </summary>
    private static BodyPlan FramingFromHeaders(HttpMessage message, BodyKind unframed)
    {
        var te = message.Header("Transfer-Encoding");
        var length = ContentLength(message);
        if (te is not null)
        {
            if (length is not null) message.Anomalies.Add(HttpAnomaly.ContentLengthAndTransferEncoding);
            if (IsChunkedLast(te)) return new BodyPlan(BodyKind.Chunked);
            message.Anomalies.Add(HttpAnomaly.InvalidTransferEncoding);
            return new BodyPlan(unframed);
        }
        return length is not null ? new BodyPlan(BodyKind.Length, length.Value) : new BodyPlan(unframed);
    }

    void IHttpParserOwner.OnMessageComplete(HttpStreamParser parser, HttpMessage message)
    {
        if (parser.Role == HttpRole.Request)
        {
            if (_receivingRequest?.Request == message)
            {
                HttpParameters.Extract(_receivingRequest, _options.MaxParameters);
                _receivingRequest.RequestComplete = true;
                // The response may already have finished (early error response): emit now.
                if (_receivingRequest.Response is not null && _receivingRequest.ResponseComplete) Emit(_receivingRequest);
                _receivingRequest = null;
            }
            else message.ReleasePooledBody(0); // no transaction will carry it: its buffer goes back now
            return;
        }

        var tx = _receivingResponse;
        if (tx?.Response != message)
        {
            message.ReleasePooledBody(0); // an interim response (none carries a body, but none may keep a buffer)
            return;
        }
        _receivingResponse = null;
        tx.ResponseComplete = true;
        if (_responseOpensTunnel)
        {
            // The connection now carries another protocol in both directions: parsed by that protocol's
            // session when one takes it (h2c), else only counted.
            var upgraded = message.Status == 101
                ? UpgradeProtocol(message) is { } name ? SwitchProtocol?.Invoke(name) : null
                : SwitchProtocol?.Invoke(null); // CONNECT: whatever the client speaks through the proxy
            Upgraded = upgraded;
            (upgraded as IHttpUpgradeTarget)?.OnUpgrade(tx);
            _fromLow.SwitchToTunnel(upgraded?.FromLow);
            _fromHigh.SwitchToTunnel(upgraded?.FromHigh);
        }
        if (tx == _receivingRequest && !tx.RequestComplete) return; // emitted when the request body completes
        Emit(tx);
    }

    /// <summary>The registry name of the protocol a <c>101</c> response switches to, when a session of the seam may parse it.</summary>
    private static string? UpgradeProtocol(HttpMessage response) =>
        response.Status == 101 && response.Header("Upgrade") is { } upgrade && upgrade.Trim().Equals("h2c", StringComparison.OrdinalIgnoreCase)
            ? "http2"
            : null;

    void IHttpParserOwner.OnNotHttp(HttpStreamParser parser)
    {
        if (SawHttp)
        {
            // Garbage where the next message should start: an anomaly, then look for the next message.
            Counters.Anomalies.Add(HttpAnomaly.NonHttpData);
            parser.ResyncAfterError();
            return;
        }
        Counters.NonHttpStreams++;
        if (_serverKnownForHttp) Counters.Anomalies.Add(HttpAnomaly.NonHttpOnHttpPort);
        _fromLow.Disable();
        _fromHigh.Disable();
    }

    private void Emit(HttpTransaction tx)
    {
        if (tx.Emitted()) return;
        tx.MarkEmitted();
        if (tx.Request is not null && !tx.RequestComplete && tx.Parameters.Count == 0)
            HttpParameters.Extract(tx, _options.MaxParameters);
        Counters.Transactions++;
        var anomalies = tx.AllAnomalies;
        if (!anomalies.IsEmpty)
            foreach (var anomaly in anomalies.All()) Counters.Anomalies.Add(anomaly);
        _sink.OnTransaction(tx);
    }

    /// <summary>The Content-Length value; null when absent or invalid (flagged). Read in place: no string per item.</summary>
    internal static long? ContentLength(HttpMessage message)
    {
        long? result = null;
        foreach (var header in message.Headers)
        {
            if (!header.Name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) continue;
            // "Content-Length: 5, 5" (a list of equal values) is tolerated, as RFC 9110 §8.6 allows.
            var at = 0;
            while (NextListItem(header.Value, ref at, out var item))
            {
                if (item.Length == 0 || item.Length > 18 || !AllAsciiDigits(item))
                {
                    message.Anomalies.Add(HttpAnomaly.InvalidContentLength);
                    return null;
                }
                var value = long.Parse(item, provider: System.Globalization.CultureInfo.InvariantCulture);
                if (result is not null && result != value)
                {
                    message.Anomalies.Add(HttpAnomaly.ConflictingContentLength);
                    continue; // keep the first, as most servers do
                }
                result = value;
            }
        }
        return result;
    }

    // A loop of its own: ContainsAnyExceptInRange boxed its bounds on every call (its ReadyToRun code for char).
    private static bool AllAsciiDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (!char.IsAsciiDigit(c)) return false;
        return true;
    }

    /// <summary>
    /// The next item of a comma-separated list from <paramref name="at"/>, trimmed (empty items too, as
    /// <c>string.Split</c> gives them); false once the list is used up (<paramref name="at"/> then lies past its end).
    /// </summary>
    internal static bool NextListItem(ReadOnlySpan<char> list, scoped ref int at, out ReadOnlySpan<char> item)
    {
        if (at > list.Length)
        {
            item = default;
            return false;
        }
        var rest = list[at..];
        var comma = rest.IndexOf(',');
        item = (comma < 0 ? rest : rest[..comma]).Trim();
        at = comma < 0 ? list.Length + 1 : at + comma + 1;
        return true;
    }

    /// <summary>Whether the last coding listed (empty items skipped) is chunked.</summary>
    internal static bool IsChunkedLast(string transferEncoding)
    {
        var at = 0;
        var list = transferEncoding.AsSpan();
        var last = ReadOnlySpan<char>.Empty;
        while (NextListItem(list, ref at, out var item))
            if (!item.IsEmpty) last = item;
        return last.Equals("chunked", StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>A session that takes a connection over after <c>101 Switching Protocols</c> and wants the request that asked for it (h2c: it is stream 1).</summary>
public interface IHttpUpgradeTarget
{
    /// <summary>Called once, before any byte after the switch, with the upgrade's transaction (request and 101 response).</summary>
    void OnUpgrade(HttpTransaction upgrade);
}
