using System.Security.Cryptography;

namespace TrafficSensor.Tls.Decryption;

/// <summary>How a suite protects records.</summary>
internal enum TlsBulkCipher
{
    AesGcm,
    ChaCha20Poly1305,
    /// <summary>TLS 1.3 only here (TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256).</summary>
    AesCcm,
    AesCbc,
}

/// <summary>
/// What the decryptor needs to know of a cipher suite: the bulk cipher and its key size, the record MAC
/// of CBC suites and the hash of the key schedule (the TLS 1.2 PRF, or TLS 1.3's HKDF).
/// </summary>
internal sealed record TlsCipherSuite(ushort Id, TlsBulkCipher Cipher, int KeyLength, HashAlgorithmName Hash, HashAlgorithmName Mac = default, int MacLength = 0, int TagLength = 16)
{
    private static readonly HashAlgorithmName Sha1 = HashAlgorithmName.SHA1, Sha256 = HashAlgorithmName.SHA256, Sha384 = HashAlgorithmName.SHA384;

    /// <summary>TLS 1.0–1.2 suites by IANA number (RSA, DHE and ECDHE key exchanges; the bulk cipher alone matters here).</summary>
    private static readonly Dictionary<ushort, TlsCipherSuite> Tls12 = new TlsCipherSuite[]
    {
        // AES-GCM (RFC 5288, 5289): the PRF hash is the suite's.
        Gcm(0x009C, 16, Sha256), Gcm(0x009D, 32, Sha384), // RSA
        Gcm(0x009E, 16, Sha256), Gcm(0x009F, 32, Sha384), // DHE-RSA
        Gcm(0xC02B, 16, Sha256), Gcm(0xC02C, 32, Sha384), // ECDHE-ECDSA
        Gcm(0xC02F, 16, Sha256), Gcm(0xC030, 32, Sha384), // ECDHE-RSA
        // ChaCha20-Poly1305 (RFC 7905).
        new(0xCCA8, TlsBulkCipher.ChaCha20Poly1305, 32, Sha256), // ECDHE-RSA
        new(0xCCA9, TlsBulkCipher.ChaCha20Poly1305, 32, Sha256), // ECDHE-ECDSA
        new(0xCCAA, TlsBulkCipher.ChaCha20Poly1305, 32, Sha256), // DHE-RSA
        // AES-CBC with HMAC-SHA1 (RFC 5246, 4492): TLS 1.2 uses P_SHA256.
        Cbc(0x002F, 16, Sha1, 20), Cbc(0x0035, 32, Sha1, 20), // RSA
        Cbc(0x0033, 16, Sha1, 20), Cbc(0x0039, 32, Sha1, 20), // DHE-RSA
        Cbc(0xC009, 16, Sha1, 20), Cbc(0xC00A, 32, Sha1, 20), // ECDHE-ECDSA
        Cbc(0xC013, 16, Sha1, 20), Cbc(0xC014, 32, Sha1, 20), // ECDHE-RSA
        // AES-CBC with HMAC-SHA256 / SHA384 (RFC 5246, 5289).
        Cbc(0x003C, 16, Sha256, 32), Cbc(0x003D, 32, Sha256, 32), // RSA
        Cbc(0x0067, 16, Sha256, 32), Cbc(0x006B, 32, Sha256, 32), // DHE-RSA
        Cbc(0xC023, 16, Sha256, 32), Cbc(0xC024, 32, Sha384, 48), // ECDHE-ECDSA
        Cbc(0xC027, 16, Sha256, 32), Cbc(0xC028, 32, Sha384, 48), // ECDHE-RSA
    }.ToDictionary(s => s.Id);

    /// <summary>TLS 1.3 suites (RFC 8446 B.4).</summary>
    private static readonly Dictionary<ushort, TlsCipherSuite> Tls13 = new TlsCipherSuite[]
    {
        new(0x1301, TlsBulkCipher.AesGcm, 16, Sha256),
        new(0x1302, TlsBulkCipher.AesGcm, 32, Sha384),
        new(0x1303, TlsBulkCipher.ChaCha20Poly1305, 32, Sha256),
        new(0x1304, TlsBulkCipher.AesCcm, 16, Sha256),
        new(0x1305, TlsBulkCipher.AesCcm, 16, Sha256, TagLength: 8),
    }.ToDictionary(s => s.Id);

    public int HashLength => Hash == Sha384 ? 48 : 32;

    /// <summary>Length of the fixed IV / nonce salt taken from the key block (TLS 1.2) or derived (TLS 1.3).</summary>
    public int FixedIvLength => Cipher switch
    {
        TlsBulkCipher.AesGcm when !IsTls13 => 4,
        TlsBulkCipher.AesCbc => 16,
        _ => 12,
    };

    public bool IsTls13 => Id >> 8 == 0x13;

    public static TlsCipherSuite? Find(ushort version, ushort id)
    {
        if (version == TlsVersions.Tls13) return Tls13.GetValueOrDefault(id);
        if (version is < TlsVersions.Tls10 or > TlsVersions.Tls12 || !Tls12.TryGetValue(id, out var suite)) return null;
        // AEAD and SHA-2 MAC suites exist from TLS 1.2 on; before it only the CBC/SHA1 ones.
        if (version < TlsVersions.Tls12 && (suite.Cipher != TlsBulkCipher.AesCbc || suite.MacLength != 20)) return null;
        return suite;
    }

    private static TlsCipherSuite Gcm(ushort id, int keyLength, HashAlgorithmName prf) => new(id, TlsBulkCipher.AesGcm, keyLength, prf);

    private static TlsCipherSuite Cbc(ushort id, int keyLength, HashAlgorithmName mac, int macLength) =>
        new(id, TlsBulkCipher.AesCbc, keyLength, mac == Sha384 ? Sha384 : Sha256, mac, macLength);
}

/// <summary>Protocol version numbers as on the wire.</summary>
public static class TlsVersions
{
    public const ushort Tls10 = 0x0301;
    public const ushort Tls11 = 0x0302;
    public const ushort Tls12 = 0x0303;
    public const ushort Tls13 = 0x0304;
}
