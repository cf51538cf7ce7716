namespace TrafficSensor.Http;

/// <summary>HTTP counters of one worker.</summary>
public sealed class HttpCounters
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

    public void Add(HttpCounters other)
    {
        Transactions += other.Transactions;
        Anomalies.Add(other.Anomalies);
        ResyncSkippedBytes += other.ResyncSkippedBytes;
        NotParsedBytes += other.NotParsedBytes;
        NonHttpStreams += other.NonHttpStreams;
    }
}
