namespace TrafficSensor.Http2;

/// <summary>
/// HTTP/2 limits beyond HttpOptions (which bound each message's headers, bodies and parameters the
/// same way as HTTP/1's). Memory per connection is about MaxConcurrentStreams × (decoded heads +
/// kept bodies) plus two HPACK tables of at most MaxHeaderTableBytes.
/// </summary>
public sealed record Http2Options
{
    /// <summary>Open streams followed at once per connection; beyond, the oldest is written early (flagged). Servers advertise 100–128.</summary>
    public int MaxConcurrentStreams { get; init; } = 128;
    /// <summary>Streams made into transactions per connection; later ones are decoded (to keep HPACK in step) but only counted.</summary>
    public int MaxStreamsPerConnection { get; init; } = 10_000;
    /// <summary>HPACK dynamic table limit per direction, whatever the peers agree (4 KiB is the default, 64 KiB generous).</summary>
    public int MaxHeaderTableBytes { get; init; } = 64 * 1024;
    /// <summary>CONTINUATION frames accepted for one header block.</summary>
    public int MaxContinuationFrames { get; init; } = 32;
    /// <summary>Largest non-DATA frame payload buffered (DATA is streamed, never buffered whole).</summary>
    public int MaxFramePayloadBytes { get; init; } = 64 * 1024;
}
