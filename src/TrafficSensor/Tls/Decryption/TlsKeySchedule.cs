using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace TrafficSensor.Tls.Decryption;

/// <summary>The key derivations: the TLS 1.0–1.2 PRF (RFC 2246, 5246) and TLS 1.3's HKDF-Expand-Label (RFC 8446 7.1).</summary>
internal static class TlsKeySchedule
{
    /// <summary>
    /// The key block of TLS 1.0–1.2: PRF(master secret, "key expansion", server random + client random).
    /// TLS 1.2 uses P_hash of the suite's hash; TLS 1.0 and 1.1 XOR P_MD5 and P_SHA1 over the two halves of the secret.
    /// </summary>
    public static byte[] KeyBlock(ushort version, HashAlgorithmName prfHash, ReadOnlySpan<byte> masterSecret,
        ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom, int length)
    {
        var seed = new byte[13 + 64];
        Encoding.ASCII.GetBytes("key expansion", seed);
        serverRandom.CopyTo(seed.AsSpan(13));
        clientRandom.CopyTo(seed.AsSpan(45));
        return Prf(version, prfHash, masterSecret, seed, length);
    }

    /// <summary>PRF(secret, label + seed) with <paramref name="labelAndSeed"/> already joined.</summary>
    public static byte[] Prf(ushort version, HashAlgorithmName prfHash, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> labelAndSeed, int length)
    {
        var output = new byte[length];
        if (version >= TlsVersions.Tls12)
        {
            PHash(prfHash, secret, labelAndSeed, output);
            return output;
        }
        var half = (secret.Length + 1) / 2;
        PHash(HashAlgorithmName.MD5, secret[..half], labelAndSeed, output);
        var sha1 = new byte[length];
        PHash(HashAlgorithmName.SHA1, secret[^half..], labelAndSeed, sha1);
        for (var i = 0; i < length; i++) output[i] ^= sha1[i];
        return output;
    }

    /// <summary>P_hash (RFC 5246 5): A(i) = HMAC(secret, A(i-1)), output = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ...</summary>
    private static void PHash(HashAlgorithmName hash, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> seed, Span<byte> output)
    {
        using var hmac = IncrementalHash.CreateHMAC(hash, secret);
        Span<byte> a = stackalloc byte[64];
        Span<byte> block = stackalloc byte[64];
        var size = hmac.HashLengthInBytes;
        hmac.AppendData(seed);
        hmac.GetHashAndReset(a);
        while (!output.IsEmpty)
        {
            hmac.AppendData(a[..size]);
            hmac.AppendData(seed);
            hmac.GetHashAndReset(block);
            var n = Math.Min(size, output.Length);
            block[..n].CopyTo(output);
            output = output[n..];
            hmac.AppendData(a[..size]);
            hmac.GetHashAndReset(a);
        }
    }

    /// <summary>HKDF-Expand-Label(secret, label, context, length) with the "tls13 " prefix (RFC 8446 7.1).</summary>
    public static byte[] ExpandLabel(HashAlgorithmName hash, ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> context, int length)
    {
        var fullLabel = "tls13 " + label;
        var info = new byte[2 + 1 + fullLabel.Length + 1 + context.Length];
        BinaryPrimitives.WriteUInt16BigEndian(info, (ushort)length);
        info[2] = (byte)fullLabel.Length;
        Encoding.ASCII.GetBytes(fullLabel, info.AsSpan(3));
        info[3 + fullLabel.Length] = (byte)context.Length;
        context.CopyTo(info.AsSpan(4 + fullLabel.Length));
        var output = new byte[length];
        HKDF.Expand(hash, secret, output, info);
        return output;
    }
}
