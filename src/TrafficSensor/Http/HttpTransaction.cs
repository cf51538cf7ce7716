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
    /// <summary>Room for the headers of an ordinary message from the start (growing from 4 cost three arrays per message).</summary>
    public List<HttpHeader> Headers { get; } = new(16);
    /// <summary>Body bytes on the wire after de-chunking (before content decoding).</summary>
    public long BodyLength { get; internal set; }
    /// <summary>The first bytes of the body (content-decoded when gzip/deflate/br), bounded by the options; null when none was kept.</summary>
    public byte[]? Body { get; internal set; }
    /// <summary>True when <see cref="Body"/> holds only part of the body.</summary>
    public bool BodyTruncated { get; internal set; }
    public HttpAnomalies Anomalies;

    /// <summary>The first header of that name (case-insensitive), or null.</summary>
    public string? Header(string name)
    {
        foreach (var h in Headers)
            if (string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)) return h.Value;
        return null;
    }

    public int HeaderCount(string name)
    {
        var n = 0;
        foreach (var h in Headers)
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
