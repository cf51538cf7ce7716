namespace TrafficSensor.Http2;

/// <summary>
/// HTTP/2 protocol violations and limit hits, counted per worker (the transactions involved also
/// carry the nearest HTTP anomaly, so features see them). Most are what a server answers with a
/// connection or stream error; the sensor counts them and reads on as far as it can.
/// </summary>
public enum Http2Anomaly
{
    /// <summary>The client's side did not start with the connection preface: not parsed.</summary>
    MissingPreface,
    /// <summary>The server's first frame was not SETTINGS.</summary>
    MissingServerSettings,
    /// <summary>A frame longer than the receiver's SETTINGS_MAX_FRAME_SIZE (FRAME_SIZE_ERROR for the server); read when it fits the sensor's own limit.</summary>
    FrameAboveMaxFrameSize,
    /// <summary>A non-DATA frame beyond the sensor's buffer limit: skipped (its header block is lost).</summary>
    FrameTooLargeToBuffer,
    /// <summary>A fixed-size frame (PRIORITY, RST_STREAM, PING, WINDOW_UPDATE, SETTINGS) of the wrong size.</summary>
    InvalidFrameLength,
    /// <summary>Padding at least as long as the frame's payload.</summary>
    InvalidPadding,
    /// <summary>A stream frame on stream 0, or a connection frame on a stream.</summary>
    InvalidStreamId,
    /// <summary>A client stream whose id is even or not above the previous one.</summary>
    StreamIdNotIncreasing,
    /// <summary>A frame other than CONTINUATION while a header block was open.</summary>
    HeaderBlockInterrupted,
    /// <summary>A CONTINUATION frame with no header block open.</summary>
    UnexpectedContinuation,
    /// <summary>More CONTINUATION frames for one header block than allowed (CVE-2024-27316 style flood).</summary>
    ContinuationFlood,
    /// <summary>A header block larger than the sensor buffers (compressed bytes): not decoded.</summary>
    HeaderBlockTooLarge,
    HpackTruncated,
    HpackIntegerOverflow,
    HpackInvalidIndex,
    HpackInvalidHuffman,
    HpackSizeUpdateMisplaced,
    /// <summary>A dynamic table size update above the peer's SETTINGS_HEADER_TABLE_SIZE.</summary>
    HpackTableSizeAboveSetting,
    /// <summary>A dynamic table size update above the sensor's limit (the table is capped).</summary>
    HpackTableSizeAboveLimit,
    /// <summary>More than two size updates at the start of one block.</summary>
    HpackTooManySizeUpdates,
    /// <summary>A decoded header list above HttpOptions.MaxHeaderBytes or MaxHeaders: the rest is left out.</summary>
    HeaderListTooLarge,
    /// <summary>Pseudo-header unknown, repeated, after a regular field, or of the wrong side.</summary>
    InvalidPseudoHeader,
    /// <summary>A request without :method or :path (or a response without :status).</summary>
    MissingPseudoHeader,
    /// <summary>Upper-case characters in a field name (malformed in HTTP/2).</summary>
    UppercaseHeaderName,
    /// <summary>Connection-specific fields (Connection, Transfer-Encoding, Keep-Alive, ...), malformed in HTTP/2.</summary>
    ConnectionSpecificHeader,
    InvalidSetting,
    SettingsAckWithPayload,
    ZeroWindowIncrement,
    /// <summary>More open streams than Http2Options.MaxConcurrentStreams: the oldest is written early.</summary>
    TooManyConcurrentStreams,
    /// <summary>More streams on one connection than Http2Options.MaxStreamsPerConnection: later ones are counted only.</summary>
    TooManyStreams,
    /// <summary>DATA, trailers or RST_STREAM for a stream that is not open (closed, never opened, or dropped).</summary>
    FrameOnClosedStream,
    /// <summary>Frames after the sensor stopped following the connection (gap in a frame header or block).</summary>
    GapLostFraming,
}

/// <summary>
/// Why HTTP/2 parsing of a connection ended before the connection did, by where a TCP gap fell. HTTP/2 has no
/// marker to find the next frame by, and the lost bytes may have changed the sender's HPACK table: a gap
/// anywhere but inside DATA (whose length is known) ends the connection's parsing, both directions, as
/// Suricata disables its app-layer parser on a gap for protocols that cannot take one.
/// </summary>
public enum Http2ParsingEnd
{
    /// <summary>In the client's connection preface.</summary>
    GapInPreface,
    /// <summary>In a frame header (the next frame's length and type are unknown).</summary>
    GapInFrameHeader,
    /// <summary>In the payload of a frame other than DATA (HEADERS, CONTINUATION, SETTINGS, ...): its header block or settings are lost.</summary>
    GapInFramePayload,
    /// <summary>Where a DATA frame's pad length was due, or past the end of a DATA frame, its padding or a frame skipped by its length: the frames after it are lost.</summary>
    GapBeyondDataFrame,
}
