namespace TrafficSensor.Http2;

/// <summary>HTTP/2 counters of one worker (owned by its thread; summed for reports and metrics).</summary>
public sealed class Http2Counters
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
    }
}
