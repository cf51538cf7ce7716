using TrafficSensor.Protocols;

namespace TrafficSensor.Http;

/// <summary>HTTP counters of one worker (owned by its thread).</summary>
public sealed class HttpCounters : IProtocolCounters
{
    public long Transactions { get; internal set; }
    /// <summary>Anomalies by kind: per transaction, plus connection-level ones such as non-HTTP data.</summary>
    public ReasonCounters<HttpAnomaly> Anomalies { get; } = new();
    /// <summary>Bytes skipped while looking for the next message after a gap or a framing error.</summary>
    public long ResyncSkippedBytes { get; internal set; }
    /// <summary>Bytes not parsed because the connection switched protocols (101, CONNECT) or is not HTTP.</summary>
    public long NotParsedBytes { get; internal set; }
    /// <summary>Connections whose first bytes were not HTTP.</summary>
    public long NonHttpStreams { get; internal set; }

    void IProtocolCounters.Add(IProtocolCounters other)
    {
        if (other is HttpCounters http) Add(http);
    }

    /// <summary>Figures beside the named statistics (transactions, anomalies) that HTTP has always had.</summary>
    public IEnumerable<KeyValuePair<string, long>> Figures()
    {
        yield return new("transactions", Transactions);
        yield return new("resync_skipped_bytes", ResyncSkippedBytes);
        yield return new("not_parsed_bytes", NotParsedBytes);
        yield return new("non_http_streams", NonHttpStreams);
    }

    public void Add(HttpCounters other)
    {
        Transactions += other.Transactions;
        Anomalies.Add(other.Anomalies);
        ResyncSkippedBytes += other.ResyncSkippedBytes;
        NotParsedBytes += other.NotParsedBytes;
        NonHttpStreams += other.NonHttpStreams;
    }
}
