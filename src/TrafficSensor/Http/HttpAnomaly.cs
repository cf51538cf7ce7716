namespace TrafficSensor.Http;

/// <summary>
/// Protocol violations and oddities seen while parsing. Several are request-smuggling or evasion
/// vectors (CL+TE, bare LF, obs-fold, space before colon); all are kept on the transaction and counted.
/// </summary>
public enum HttpAnomaly
{
    BareLf,
    ObsFold,
    InvalidHeaderLine,
    SpaceBeforeColon,
    ContentLengthAndTransferEncoding,
    ConflictingContentLength,
    InvalidContentLength,
    InvalidTransferEncoding,
    InvalidChunkSize,
    ChunkLineTooLong,
    MissingChunkTerminator,
    HeadersTooLong,
    TooManyHeaders,
    InvalidRequestLine,
    InvalidStatusLine,
    MissingHost,
    MultipleHost,
    GapInHeaders,
    GapInBody,
    DecodingFailed,
    DecodingLimit,
    BodyNotInspected,
    ResponseWithoutRequest,
    NoResponse,
    NonHttpData,
    NonHttpOnHttpPort,
    TooManyPendingRequests,
    TooManyParameters,
    InvalidTargetCharacters,
    /// <summary>A version nginx reads but Apache's strict parser refuses: HTTP/1.10, HTTP/01.1, lower-case "http/".</summary>
    UnusualHttpVersion,
    /// <summary>A request version other than 1.x (servers answer 505).</summary>
    UnsupportedHttpVersion,
    /// <summary>A request line without a version (HTTP/0.9 style, or "GET /HTTP/1.1" with its space lost).</summary>
    Http09RequestLine,
    MissingTarget,
    /// <summary>Tabs, repeated or trailing spaces between the request line's parts (some servers accept them, strict ones refuse).</summary>
    WhitespaceInRequestLine,
    /// <summary>A method with characters other than A-Z, '_' and '-' (nginx refuses it; Apache and IIS accept any token).</summary>
    NonUppercaseMethod,
    /// <summary>A head cut by a gap or by the end of the connection: written with what was read.</summary>
    TruncatedHead,
    /// <summary>filename and filename* (RFC 6266) of a multipart part name different files.</summary>
    AmbiguousFileName,
    // TCP-level choices made for this transaction's bytes (TrafficSensor.Reassembly.TcpAnomalies),
    // attached by the pipeline; the HTTP parser never sets these.
    TcpBadChecksum,
    TcpRstIgnored,
    TcpFinIgnored,
    TcpDataOutsideWindow,
    TcpSynDataIgnored,
    TcpSynNotAcknowledged,
    TcpTtlInconsistent,
    TcpInvalidAck,
    TcpOverlapDifferentData,
    TcpInconsistentCopyDiscarded,
    TcpUnconfirmedCopyUsed,
    TcpRetransmissionDifferentData,
    TcpUrgentData,
}

/// <summary>A set of <see cref="HttpAnomaly"/> values as a bit mask (allocation-free).</summary>
public struct HttpAnomalies
{
    private ulong _bits;

    public readonly bool IsEmpty => _bits == 0;
    public void Add(HttpAnomaly anomaly) => _bits |= 1UL << (int)anomaly;
    public void Add(HttpAnomalies other) => _bits |= other._bits;
    public readonly bool Contains(HttpAnomaly anomaly) => (_bits & (1UL << (int)anomaly)) != 0;

    /// <summary>How many of this set's anomalies are in <paramref name="other"/>.</summary>
    public readonly int CountIn(HttpAnomalies other) => System.Numerics.BitOperations.PopCount(_bits & other._bits);

    public readonly IEnumerable<HttpAnomaly> All()
    {
        for (var i = 0; i < 64; i++)
            if ((_bits & (1UL << i)) != 0) yield return (HttpAnomaly)i;
    }

    public readonly IEnumerable<string> Names() => All().Select(ReasonCounters<HttpAnomaly>.NameOf);
}
