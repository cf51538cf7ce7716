using TrafficSensor.Http;
using TrafficSensor.Protocols;

namespace TrafficSensor.Http2;

/// <summary>
/// HTTP/2 counters of one worker (owned by its thread; summed for reports and metrics, where they are
/// <c>trafficsensor_app_events_total{app_proto="http2", event=...}</c>).
/// </summary>
public sealed class Http2Counters : IProtocolCounters
{
    public long Connections { get; internal set; }
    public long Streams { get; internal set; }
    public long Transactions { get; internal set; }
    public long StreamsReset { get; internal set; }
    public long GoAways { get; internal set; }
    /// <summary>Bytes of HTTP/2 connections the sensor could not follow (after a lost frame boundary or a missing preface).</summary>
    public long NotParsedBytes { get; internal set; }
    public ReasonCounters<Http2FrameType> Frames { get; } = new();
    public ReasonCounters<Http2Anomaly> Anomalies { get; } = new();
    /// <summary>
    /// HTTP anomalies flagged on HTTP/2 transactions (the same kinds as HTTP/1's, which counts only its own):
    /// figures <c>http_anomaly_KIND</c>, metrics <c>trafficsensor_http_anomalies_total{app_proto="http2",kind}</c>.
    /// </summary>
    public ReasonCounters<HttpAnomaly> HttpAnomalies { get; } = new();

    /// <summary>Connections whose parsing a TCP gap ended, by where it fell (figures <c>parsing_ended_REASON</c>).</summary>
    public ReasonCounters<Http2ParsingEnd> ParsingEnded { get; } = new();

    /// <summary>Prefix of the figures of <see cref="HttpAnomalies"/>.</summary>
    public const string HttpAnomalyFigurePrefix = "http_anomaly_";

    void IProtocolCounters.Add(IProtocolCounters other)
    {
        if (other is Http2Counters http2) Add(http2);
    }

    /// <summary>Totals, frames by type (frames_headers, ...) and anomalies by reason (anomaly_continuation_flood, ...).</summary>
    public IEnumerable<KeyValuePair<string, long>> Figures()
    {
        yield return new("connections", Connections);
        yield return new("streams", Streams);
        yield return new("transactions", Transactions);
        yield return new("streams_reset", StreamsReset);
        yield return new("goaways", GoAways);
        yield return new("not_parsed_bytes", NotParsedBytes);
        // By type and by reason only those seen, as HTTP's anomalies are reported (names from the enums, never from traffic).
        foreach (var (type, count) in Frames.NonZero()) yield return new("frames_" + type, count);
        foreach (var (anomaly, count) in Anomalies.NonZero()) yield return new("anomaly_" + anomaly, count);
        foreach (var (anomaly, count) in HttpAnomalies.NonZero()) yield return new(HttpAnomalyFigurePrefix + anomaly, count);
        foreach (var (reason, count) in ParsingEnded.NonZero()) yield return new("parsing_ended_" + reason, count);
    }

    public void Add(Http2Counters other)
    {
        Connections += other.Connections;
        Streams += other.Streams;
        Transactions += other.Transactions;
        StreamsReset += other.StreamsReset;
        GoAways += other.GoAways;
        NotParsedBytes += other.NotParsedBytes;
        Frames.Add(other.Frames);
        Anomalies.Add(other.Anomalies);
        HttpAnomalies.Add(other.HttpAnomalies);
        ParsingEnded.Add(other.ParsingEnded);
    }
}
