using TrafficSensor.Decoding;

namespace TrafficSensor.Flows;

/// <summary>
/// A flow's identity independent of direction: the two endpoints in canonical order (lower address,
/// then lower port, first — the order the Community ID hash uses), the protocol and the VLAN tags.
/// Packets of both directions map to the same key, so the key's hash shards a flow onto one worker.
/// </summary>
public readonly struct FlowKey : IEquatable<FlowKey>
{
    public FlowKey(IpAddress lowAddress, ushort lowPort, IpAddress highAddress, ushort highPort, byte protocol, ushort vlan, ushort innerVlan)
    {
        LowAddress = lowAddress;
        LowPort = lowPort;
        HighAddress = highAddress;
        HighPort = highPort;
        Protocol = protocol;
        Vlan = vlan;
        InnerVlan = innerVlan;
    }

    public IpAddress LowAddress { get; }
    public ushort LowPort { get; }
    public IpAddress HighAddress { get; }
    public ushort HighPort { get; }
    public byte Protocol { get; }
    public ushort Vlan { get; }
    public ushort InnerVlan { get; }

    /// <summary>Builds the key of a packet and tells whether the packet travels from the low to the high endpoint.</summary>
    public static FlowKey From(IpAddress source, ushort sourcePort, IpAddress destination, ushort destinationPort,
        byte protocol, ushort vlan, ushort innerVlan, out bool fromLow)
    {
        var c = source.CompareTo(destination);
        fromLow = c < 0 || (c == 0 && sourcePort <= destinationPort);
        return fromLow
            ? new FlowKey(source, sourcePort, destination, destinationPort, protocol, vlan, innerVlan)
            : new FlowKey(destination, destinationPort, source, sourcePort, protocol, vlan, innerVlan);
    }

    /// <summary>A well-mixed 64-bit hash that is identical for both directions (the key is canonical).</summary>
    public ulong ShardHash()
    {
        var h = LowAddress.High * 0x9E3779B97F4A7C15UL;
        h ^= LowAddress.Low + 0x632BE59BD9B4E019UL + (h << 6) + (h >> 2);
        h ^= HighAddress.High + 0x85EBCA77C2B2AE63UL + (h << 6) + (h >> 2);
        h ^= HighAddress.Low + 0xC2B2AE3D27D4EB4FUL + (h << 6) + (h >> 2);
        h ^= ((ulong)LowPort << 48 | (ulong)HighPort << 32 | (ulong)Protocol << 24 | Vlan) + (h << 6) + (h >> 2);
        h ^= InnerVlan;
        // Final avalanche (splitmix64), so "hash % workers" spreads evenly.
        h ^= h >> 30; h *= 0xBF58476D1CE4E5B9UL;
        h ^= h >> 27; h *= 0x94D049BB133111EBUL;
        return h ^ (h >> 31);
    }

    public bool Equals(FlowKey other) =>
        LowAddress == other.LowAddress && HighAddress == other.HighAddress && LowPort == other.LowPort &&
        HighPort == other.HighPort && Protocol == other.Protocol && Vlan == other.Vlan && InnerVlan == other.InnerVlan;

    public override bool Equals(object? obj) => obj is FlowKey other && Equals(other);
    public override int GetHashCode() => (int)ShardHash();
    public override string ToString() => $"{LowAddress}:{LowPort} <-> {HighAddress}:{HighPort} proto {Protocol} vlan {Vlan}/{InnerVlan}";
}
