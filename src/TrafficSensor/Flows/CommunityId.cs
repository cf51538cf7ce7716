using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TrafficSensor.Flows;

/// <summary>
/// Community ID v1 (corelight/community-id-spec), the flow hash Zeek and Suricata emit, so our
/// records join theirs in a SIEM: base64(SHA1(seed, saddr, daddr, proto, 0, sport, dport)) with
/// the endpoints ordered lower-first, prefixed "1:".
/// </summary>
public static class CommunityId
{
    public static string Compute(in FlowKey key, ushort seed = 0) => Format(Hash(key, seed));

    /// <summary>The textual form of a digest from <see cref="Hash"/>.</summary>
    public static string Format(byte[] hash) => "1:" + Convert.ToBase64String(hash);

    /// <summary>The raw 20-byte digest (also the source of our numeric flow_id).</summary>
    public static byte[] Hash(in FlowKey key, ushort seed = 0)
    {
        Span<byte> input = stackalloc byte[2 + 16 + 16 + 2 + 4];
        var n = 0;
        BinaryPrimitives.WriteUInt16BigEndian(input, seed);
        n += 2;
        // FlowKey keeps the lower (address, port) endpoint first, which is the spec's ordering.
        n += key.LowAddress.WriteBytes(input[n..]);
        n += key.HighAddress.WriteBytes(input[n..]);
        input[n++] = key.Protocol;
        input[n++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(input[n..], key.LowPort);
        n += 2;
        BinaryPrimitives.WriteUInt16BigEndian(input[n..], key.HighPort);
        n += 2;
        return SHA1.HashData(input[..n]);
    }
}
