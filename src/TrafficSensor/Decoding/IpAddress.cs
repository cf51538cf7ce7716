using System.Buffers.Binary;
using System.Net;

namespace TrafficSensor.Decoding;

/// <summary>
/// An IPv4 or IPv6 address as a 128-bit value (IPv4 as IPv4-mapped IPv6), so flow keys are fixed-size,
/// allocation-free and comparable. Converted to <see cref="IPAddress"/> only for output.
/// </summary>
public readonly struct IpAddress : IEquatable<IpAddress>, IComparable<IpAddress>
{
    private const ulong V4MappedPrefix = 0x0000_FFFF_0000_0000UL;

    public IpAddress(ulong high, ulong low)
    {
        High = high;
        Low = low;
    }

    public ulong High { get; }
    public ulong Low { get; }

    public bool IsV4 => High == 0 && (Low & 0xFFFF_FFFF_0000_0000UL) == V4MappedPrefix;

    public static IpAddress FromV4(ReadOnlySpan<byte> fourBytes) =>
        new(0, V4MappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(fourBytes));

    public static IpAddress FromV6(ReadOnlySpan<byte> sixteenBytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(sixteenBytes), BinaryPrimitives.ReadUInt64BigEndian(sixteenBytes[8..]));

    public static IpAddress Parse(string text) => From(IPAddress.Parse(text));

    public static IpAddress From(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return FromV4(bytes[..4]);
        }
        address.TryWriteBytes(bytes, out _);
        return FromV6(bytes);
    }

    /// <summary>Writes the address in network order: 4 bytes for IPv4, 16 for IPv6. Returns the count.</summary>
    public int WriteBytes(Span<byte> destination)
    {
        if (IsV4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)Low);
            return 4;
        }
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
        return 16;
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        var n = WriteBytes(bytes);
        return new IPAddress(bytes[..n]);
    }

    public override string ToString() => ToIPAddress().ToString();

    public bool Equals(IpAddress other) => High == other.High && Low == other.Low;
    public override bool Equals(object? obj) => obj is IpAddress other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(High, Low);

    public int CompareTo(IpAddress other)
    {
        var c = High.CompareTo(other.High);
        return c != 0 ? c : Low.CompareTo(other.Low);
    }

    public static bool operator ==(IpAddress a, IpAddress b) => a.Equals(b);
    public static bool operator !=(IpAddress a, IpAddress b) => !a.Equals(b);
}
