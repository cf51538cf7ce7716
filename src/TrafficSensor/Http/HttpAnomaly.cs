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

    public readonly IEnumerable<HttpAnomaly> All()
    {
        for (var i = 0; i < 64; i++)
            if ((_bits & (1UL << i)) != 0) yield return (HttpAnomaly)i;
    }

    public readonly IEnumerable<string> Names() => All().Select(ReasonCounters<HttpAnomaly>.NameOf);
}
