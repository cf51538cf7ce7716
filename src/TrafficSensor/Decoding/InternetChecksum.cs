using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace TrafficSensor.Decoding;

/// <summary>
/// The Internet checksum (RFC 1071) as receivers check it: the ones' complement sum of the covered
/// bytes, checksum field included, is all ones when the packet is intact. Sums are kept in native
/// byte order (the ones' complement sum is byte-order independent, RFC 1071 §2(B)), eight bytes at
/// a time, and folded once at the end.
/// </summary>
public static class InternetChecksum
{
    /// <summary>Adds the bytes of <paramref name="data"/> to a running native-order sum.</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        // Eight bytes at a time into two accumulators: each 64-bit word adds its two 32-bit halves,
        // which cannot overflow 64 bits for any frame (2^32 words).
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        ulong low = 0, high = 0;
        foreach (var word in words)
        {
            low += (uint)word;
            high += word >> 32;
        }
        sum += low + high;
        var tail = data[(words.Length * 8)..];
        if (tail.Length >= 4) { sum += MemoryMarshal.Read<uint>(tail); tail = tail[4..]; }
        if (tail.Length >= 2) { sum += MemoryMarshal.Read<ushort>(tail); tail = tail[2..]; }
        if (tail.Length == 1) sum += BitConverter.IsLittleEndian ? tail[0] : (ulong)tail[0] << 8;
        return sum;
    }

    /// <summary>Adds a 16-bit value given in host order as if it stood in the packet in network order.</summary>
    public static ulong AddNetwork16(ulong sum, ushort value) =>
        sum + (BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value);

    /// <summary>True when a sum over a whole header or segment (checksum included) verifies.</summary>
    public static bool IsValid(ulong sum) => Fold(sum) == 0xFFFF;

    public static ushort Fold(ulong sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }
}
