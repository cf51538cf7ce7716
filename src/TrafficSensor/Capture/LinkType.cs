namespace TrafficSensor.Capture;

/// <summary>The link-layer header types (LINKTYPE_* values of pcap and pcapng) the decoder understands.</summary>
public enum LinkType
{
    Null = 0,          // BSD loopback: 4-byte host-order address family
    Ethernet = 1,
    Raw = 101,         // raw IPv4 or IPv6, version nibble decides
    Loop = 108,        // OpenBSD loopback: like Null but network order
    LinuxSll = 113,
    Ipv4 = 228,
    Ipv6 = 229,
    LinuxSll2 = 276,
}
