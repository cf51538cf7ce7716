namespace TrafficSensor.Http;

/// <summary>Where a parameter came from.</summary>
public enum ParameterSource
{
    Query,
    Form,
    Multipart,
    Cookie,
}

/// <summary>A request parameter. Values are kept (bounded) for feature extraction; names go to the log.</summary>
public readonly record struct HttpParameter(ParameterSource Source, string Name, string Value, string? FileName = null);

/// <summary>One header as received; names keep their case, lookups ignore it.</summary>
public readonly record struct HttpHeader(string Name, string Value);

/// <summary>The head of a request or response, as parsed from the wire.</summary>
public sealed class HttpMessage
{
    public long TimestampMicros { get; internal set; }
    /// <summary>Capture time of the packet that completed the message.</summary>
    public long CompletedMicros { get; internal set; }
    /// <summary>Request: method. Response: null.</summary>
    public string? Method { get; internal set; }
    /// <summary>Request: the raw request-target, exactly as sent.</summary>
    public string? Target { get; internal set; }
    public string Protocol { get; internal set; } = "";
    /// <summary>Response: status code.</summary>
    public int Status { get; internal set; }
    public string? Reason { get; internal set; }
    /// <summary>
    /// The headers in the order received. The HTTP/1 parser sizes the list for the header lines of the head it parses
    /// (<see cref="ReserveHeaders"/>: an array of 16 for every message was a fifth of all the bytes a replay allocated);
    /// a message built otherwise gets room for 16 on first use.
    /// </summary>
    public List<HttpHeader> Headers => _headers ??= new(16);
    private List<HttpHeader>? _headers;

    /// <summary>Creates the header list with room for <paramref name="count"/> headers, unless it exists already (trailers join it).</summary>
    internal void ReserveHeaders(int count) => _headers ??= new(Math.Max(0, count));
    /// <summary>Body bytes on the wire after de-chunking (before content decoding).</summary>
    public long BodyLength { get; internal set; }
    /// <summary>
    /// The first bytes of the body (content-decoded when gzip/deflate/br), bounded by the options, in an array of
    /// its own; null when none was kept. In the pipeline, when no output reads whole bodies, this is only the
    /// alert excerpt once the flow worker has handed the transaction on (see <see cref="BodyBytes"/>).
    /// </summary>
    public byte[]? Body
    {
        // A body still in its pooled buffer is read by the flow worker through BodyBytes; anyone else gets a copy.
        get => _pooledBody is null ? _body : _pooledBody.AsSpan(0, _pooledLength).ToArray();
        internal set
        {
            ReleasePooledBody(0);
            _body = value;
        }
    }

    /// <summary>
    /// The kept body bytes wherever they are held: <see cref="Body"/>, or, between content decoding and the flow
    /// worker's hand-off, a pooled buffer (read them then, on that thread; empty when none was kept).
    /// </summary>
    public ReadOnlySpan<byte> BodyBytes => _pooledBody is null ? _body : _pooledBody.AsSpan(0, _pooledLength);

    // The body as an array of its own (whole, or the excerpt kept at hand-off)...
    private byte[]? _body;
    // ... or in a buffer rented from _pool, from content decoding until the flow worker hands the transaction
    // on (ReleasePooledBody). Owned by the flow worker's thread; returned exactly once.
    private byte[]? _pooledBody;
    private int _pooledLength;
    private System.Buffers.ArrayPool<byte>? _pool;

    /// <summary>Makes <paramref name="buffer"/> (rented from <paramref name="pool"/>) the body's storage; the message returns it.</summary>
    internal void SetPooledBody(byte[] buffer, int length, System.Buffers.ArrayPool<byte> pool)
    {
        ReleasePooledBody(0);
        _body = null;
        _pooledBody = buffer;
        _pooledLength = length;
        _pool = pool;
    }

    /// <summary>The same kept body as <paramref name="other"/>'s, in storage of its own (a pooled body gets its own pooled copy).</summary>
    internal void CopyBodyOf(HttpMessage other)
    {
        if (other._pooledBody is null)
        {
            Body = other._body; // arrays of their own are never written after they are set: sharing is safe
            return;
        }
        var copy = other._pool!.Rent(other._pooledLength);
        other.BodyBytes.CopyTo(copy);
        SetPooledBody(copy, other._pooledLength, other._pool);
    }

    /// <summary>
    /// Nothing needs more of a pooled body than its first <paramref name="keepBytes"/> bytes (the alert excerpt):
    /// those become <see cref="Body"/> (null when none; an array shared with equal excerpts this thread kept lately,
    /// see <see cref="RecentExcerpts"/>) and the pooled buffer goes back. Does nothing for a body
    /// not pooled, so calling it again is harmless.
    /// </summary>
    internal void ReleasePooledBody(int keepBytes)
    {
        if (_pooledBody is not { } buffer) return;
        var keep = Math.Min(Math.Max(0, keepBytes), _pooledLength);
        _body = keep > 0 ? RecentExcerpts.Share(buffer.AsSpan(0, keep)) : null; // shared with equal excerpts: never written
        _pooledBody = null;
        _pooledLength = 0;
        var pool = _pool!;
        _pool = null;
        pool.Return(buffer);
    }
    /// <summary>True when <see cref="Body"/> holds only part of the body.</summary>
    public bool BodyTruncated { get; internal set; }
    public HttpAnomalies Anomalies;

    /// <summary>The first header of that name (case-insensitive), or null.</summary>
    public string? Header(string name)
    {
        if (_headers is null) return null;
        foreach (var h in _headers)
            if (string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)) return h.Value;
        return null;
    }

    public int HeaderCount(string name)
    {
        var n = 0;
        if (_headers is null) return n;
        foreach (var h in _headers)
            if (string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)) n++;
        return n;
    }
}

/// <summary>A request paired with its response (either may be missing on a damaged or partial capture).</summary>
public sealed class HttpTransaction
{
    /// <summary>Position of the transaction in its connection, from 0.</summary>
    public int Index { get; internal set; }
    /// <summary>True when the request travelled from the low endpoint of the flow key (so that endpoint is the client).</summary>
    public bool ClientIsLow { get; internal set; }
    public HttpMessage? Request { get; internal set; }
    public HttpMessage? Response { get; internal set; }
    public List<HttpParameter> Parameters { get; } = new();
    public HttpAnomalies Anomalies;
    public bool RequestComplete { get; internal set; }
    public bool ResponseComplete { get; internal set; }
    private bool _emitted;
    internal bool Emitted() => _emitted;
    internal void MarkEmitted() => _emitted = true;

    /// <summary>The flow worker handed the transaction on: each pooled body keeps only its first <paramref name="keepBytes"/> bytes (<see cref="HttpMessage.ReleasePooledBody"/>).</summary>
    internal void ReleasePooledBodies(int keepBytes)
    {
        Request?.ReleasePooledBody(keepBytes);
        Response?.ReleasePooledBody(keepBytes);
    }

    public long TimestampMicros => Request?.TimestampMicros ?? Response?.TimestampMicros ?? 0;

    /// <summary>Capture time of the last packet the transaction needed (its verdict could come no earlier).</summary>
    public long CompletedMicros => Math.Max(Request?.CompletedMicros ?? 0, Response?.CompletedMicros ?? 0);

    /// <summary>The Host header without its port, lower-cased.</summary>
    public string? Hostname
    {
        get
        {
            var host = Request?.Header("Host")?.Trim();
            if (string.IsNullOrEmpty(host)) return null;
            if (host.StartsWith('['))
            {
                var close = host.IndexOf(']');
                return (close > 0 ? host[1..close] : host).ToLowerInvariant();
            }
            var colon = host.LastIndexOf(':');
            return (colon > 0 ? host[..colon] : host).ToLowerInvariant();
        }
    }

    /// <summary>All anomalies of the transaction and its messages.</summary>
    public HttpAnomalies AllAnomalies
    {
        get
        {
            var all = Anomalies;
            if (Request is not null) all.Add(Request.Anomalies);
            if (Response is not null) all.Add(Response.Anomalies);
            return all;
        }
    }
}

/// <summary>Receives finished transactions of a connection.</summary>
public interface IHttpTransactionSink
{
    void OnTransaction(HttpTransaction transaction);
}
