namespace TrafficSensor.Decoding;

[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
    Urg = 0x20,
    Ece = 0x40,
    Cwr = 0x80,
}

/// <summary>
/// The fields of one decoded TCP segment that the later stages need. <see cref="Payload"/> points into
/// the frame (or into the fragment reassembly buffer) and is valid only until the next packet.
/// </summary>
public ref struct DecodedPacket
{
    public long TimestampMicros;
    public IpAddress Source;
    public IpAddress Destination;
    public byte IpVersion;
    public byte Protocol;
    public ushort SourcePort;
    public ushort DestinationPort;
    /// <summary>Outer and inner 802.1Q/802.1ad tag of the innermost Ethernet frame; 0 when untagged.</summary>
    public ushort Vlan;
    public ushort InnerVlan;
    public uint Sequence;
    public uint Acknowledgment;
    public TcpFlags Flags;
    public ushort Window;
    /// <summary>TCP window scale option (RFC 7323) of a SYN; -1 when absent.</summary>
    public sbyte WindowScale;
    /// <summary>TCP urgent pointer (meaningful with <see cref="TcpFlags.Urg"/>).</summary>
    public ushort UrgentPointer;
    /// <summary>IPv4 TTL or IPv6 hop limit of the innermost IP header.</summary>
    public byte Ttl;
    /// <summary>Whether the IP header or TCP checksum was verified, and how it came out.</summary>
    public ChecksumStatus Checksum;
    /// <summary>Payload bytes present in the capture.</summary>
    public ReadOnlySpan<byte> Payload;
    /// <summary>Payload length according to the IP header: larger than <c>Payload.Length</c> when the snaplen cut the packet.</summary>
    public int PayloadWireLength;
    /// <summary>How many tunnel headers (GRE, ERSPAN, VXLAN) were removed.</summary>
    public byte EncapsulationDepth;
}

public enum ChecksumStatus : byte
{
    /// <summary>Not checked: validation is off, the packet was cut by the snaplen, or offload left its lengths unset.</summary>
    NotVerified,
    Valid,
    /// <summary>A receiver would discard this packet: its IPv4 header checksum is wrong.</summary>
    BadIp,
    /// <summary>A receiver would discard this packet: its TCP checksum is wrong.</summary>
    BadTcp,
}

/// <summary>Checksum verification outcomes of one decoder, by reason.</summary>
public enum ChecksumEvent
{
    BadIpChecksum,
    BadTcpChecksum,
    /// <summary>Automatic mode saw too many bad checksums early in the capture (offloaded checksums) and stopped verifying.</summary>
    ValidationDisabled,
}

public enum DecodeOutcome
{
    /// <summary>A TCP segment is in the <see cref="DecodedPacket"/>.</summary>
    Tcp,
    /// <summary>A well-formed packet of a protocol the sensor does not follow (UDP, ICMP, ARP ...).</summary>
    Ignored,
    /// <summary>An IPv4 fragment was stored; the datagram is not complete yet.</summary>
    FragmentHeld,
    /// <summary>The packet is malformed or truncated; the reason was counted.</summary>
    Error,
}

/// <summary>Why a frame could not be decoded (counted, never thrown).</summary>
public enum DecodeError
{
    TruncatedLinkHeader,
    UnsupportedLinkProtocol,
    TooManyVlanTags,
    TruncatedIpHeader,
    BadIpVersion,
    BadIpHeaderLength,
    IpLengthBeyondFrame,
    TruncatedTcpHeader,
    BadTcpHeaderLength,
    TruncatedUdpHeader,
    TruncatedTunnelHeader,
    UnsupportedTunnel,
    TunnelTooDeep,
    Ipv6ExtensionHeaders,
    Ipv6Fragment,
    FragmentOverlap,
    FragmentTooLarge,
    FragmentTableFull,
    FragmentMemoryCap,
    FragmentTimeout,
    /// <summary>A fragment wholly inside bytes already received: ignored, the first copy stands.</summary>
    FragmentDuplicate,
    /// <summary>A datagram dropped because its fragments overlap (the Linux policy), or disagree on its length.</summary>
    FragmentOverlapDropped,
}

/// <summary>Packets seen but deliberately not followed, by protocol.</summary>
public enum IgnoredProtocol
{
    Udp,
    Icmp,
    OtherIp,
    NonIp,
}
