namespace TrafficSensor.Http2;

/// <summary>HTTP/2 frame types (RFC 9113 §6); any other value is an extension frame, ignored.</summary>
public enum Http2FrameType
{
    Data = 0x0,
    Headers = 0x1,
    Priority = 0x2,
    RstStream = 0x3,
    Settings = 0x4,
    PushPromise = 0x5,
    Ping = 0x6,
    GoAway = 0x7,
    WindowUpdate = 0x8,
    Continuation = 0x9,
    /// <summary>Not a wire value: every type above 9 (extensions such as ALTSVC, ORIGIN) is counted here.</summary>
    Unknown = 0xA,
}

internal static class Http2FrameFlags
{
    public const byte EndStream = 0x1;
    public const byte Ack = 0x1;
    public const byte EndHeaders = 0x4;
    public const byte Padded = 0x8;
    public const byte Priority = 0x20;
}

internal static class Http2Settings
{
    public const ushort HeaderTableSize = 0x1;
    public const ushort EnablePush = 0x2;
    public const ushort MaxConcurrentStreams = 0x3;
    public const ushort InitialWindowSize = 0x4;
    public const ushort MaxFrameSize = 0x5;
    public const ushort MaxHeaderListSize = 0x6;
    public const int DefaultMaxFrameSize = 16_384;
    public const int LargestMaxFrameSize = 16_777_215;
}

/// <summary>The 9-byte frame header (RFC 9113 §4.1).</summary>
internal readonly record struct Http2FrameHeader(int Length, byte Type, byte Flags, uint StreamId)
{
    public const int Size = 9;

    public static Http2FrameHeader Read(ReadOnlySpan<byte> b) =>
        new((b[0] << 16) | (b[1] << 8) | b[2], b[3], b[4], ((uint)b[5] << 24 | (uint)b[6] << 16 | (uint)b[7] << 8 | b[8]) & 0x7FFF_FFFF);

    public bool Has(byte flag) => (Flags & flag) != 0;
    public Http2FrameType Kind => Type <= 9 ? (Http2FrameType)Type : Http2FrameType.Unknown;
}

public static class Http2Preface
{
    /// <summary>The client connection preface (RFC 9113 §3.4), which also identifies h2c by prior knowledge.</summary>
    public static ReadOnlySpan<byte> Client => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;
}
