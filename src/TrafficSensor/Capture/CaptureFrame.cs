namespace TrafficSensor.Capture;

/// <summary>
/// One captured frame. <see cref="Data"/> points into the capture library's buffer and is valid only
/// during the callback that receives it; whatever must outlive it is copied by the consumer.
/// </summary>
public readonly ref struct CaptureFrame
{
    public CaptureFrame(long timestampMicros, LinkType linkType, ReadOnlySpan<byte> data, int originalLength)
    {
        TimestampMicros = timestampMicros;
        LinkType = linkType;
        Data = data;
        OriginalLength = originalLength;
    }

    /// <summary>Microseconds since the Unix epoch (UTC).</summary>
    public long TimestampMicros { get; }
    public LinkType LinkType { get; }
    public ReadOnlySpan<byte> Data { get; }
    /// <summary>Length on the wire; larger than <c>Data.Length</c> when the snaplen cut the frame.</summary>
    public int OriginalLength { get; }
    public bool IsTruncated => OriginalLength > Data.Length;
}

/// <summary>Receives frames from a capture source, one at a time, on the reading thread.</summary>
public interface IFrameHandler
{
    void OnFrame(in CaptureFrame frame);

    /// <summary>Live capture: wall-clock time passes (about ten times a second), with or without packets.</summary>
    void OnTick(long nowMicros) { }
}
