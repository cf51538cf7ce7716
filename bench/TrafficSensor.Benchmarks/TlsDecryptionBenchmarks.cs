using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using TrafficSensor.Tls.Decryption;

/// <summary>
/// Decryption throughput: 1 MiB of application data in 64 full-size (16 KiB) records through a fresh
/// <see cref="TlsConnectionDecryptor"/> per operation (its key derivation included), per suite.
/// MB/s = 1 MiB / mean time. The records are sealed once, in setup, by the sender side below.
/// </summary>
[MemoryDiagnoser]
public class TlsDecryptionBenchmarks
{
    public enum Suite
    {
        Tls13Aes128Gcm,
        Tls13ChaCha20Poly1305,
        Tls12Aes256Gcm,
        Tls12ChaCha20Poly1305,
        Tls12Aes128CbcSha1,
        Tls12Aes256CbcSha384EncryptThenMac,
    }

    private const int RecordPlaintext = 16 * 1024;
    private const int Records = 64;

    [Params(Suite.Tls13Aes128Gcm, Suite.Tls13ChaCha20Poly1305, Suite.Tls12Aes256Gcm, Suite.Tls12ChaCha20Poly1305,
        Suite.Tls12Aes128CbcSha1, Suite.Tls12Aes256CbcSha384EncryptThenMac)]
    public Suite Cipher { get; set; }

    private readonly byte[] _clientRandom = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private readonly byte[] _serverRandom = Enumerable.Range(101, 32).Select(i => (byte)i).ToArray();
    private List<byte[]> _records = [];
    private TlsKeyLog _keyLog = TlsKeyLog.Parse("");
    private ushort _version;
    private ushort _suite;
    private bool _encryptThenMac;
    private readonly ArrayBufferWriter<byte> _plaintext = new(RecordPlaintext + 256);
    private readonly TlsDecryptionCounters _counters = new();

    [GlobalSetup]
    public void Setup()
    {
        var data = new byte[RecordPlaintext];
        RandomNumberGenerator.Fill(data);
        var secret = RandomNumberGenerator.GetBytes(48);
        var cr = Convert.ToHexString(_clientRandom);
        (_version, _suite, _encryptThenMac) = Cipher switch
        {
            Suite.Tls13Aes128Gcm => (TlsVersions.Tls13, (ushort)0x1301, false),
            Suite.Tls13ChaCha20Poly1305 => (TlsVersions.Tls13, (ushort)0x1303, false),
            Suite.Tls12Aes256Gcm => (TlsVersions.Tls12, (ushort)0xC030, false),
            Suite.Tls12ChaCha20Poly1305 => (TlsVersions.Tls12, (ushort)0xCCA8, false),
            Suite.Tls12Aes128CbcSha1 => (TlsVersions.Tls12, (ushort)0xC013, false),
            _ => (TlsVersions.Tls12, (ushort)0xC028, true),
        };
        var suite = TlsCipherSuite.Find(_version, _suite)!;
        byte[] key, iv, macKey = [];
        if (_version == TlsVersions.Tls13)
        {
            secret = secret[..suite.HashLength];
            _keyLog = TlsKeyLog.Parse($"SERVER_TRAFFIC_SECRET_0 {cr} {Convert.ToHexString(secret)}\n" +
                                      $"SERVER_HANDSHAKE_TRAFFIC_SECRET {cr} {Convert.ToHexString(secret)}\n");
            key = TlsKeySchedule.ExpandLabel(suite.Hash, secret, "key", [], suite.KeyLength);
            iv = TlsKeySchedule.ExpandLabel(suite.Hash, secret, "iv", [], 12);
        }
        else
        {
            _keyLog = TlsKeyLog.Parse($"CLIENT_RANDOM {cr} {Convert.ToHexString(secret)}\n");
            int mac = suite.MacLength, length = suite.KeyLength, fixedIv = suite.FixedIvLength;
            var block = TlsKeySchedule.KeyBlock(_version, suite.Hash, secret, _clientRandom, _serverRandom, 2 * (mac + length + fixedIv));
            macKey = block.AsSpan(mac, mac).ToArray();                          // server side
            key = block.AsSpan(2 * mac + length, length).ToArray();
            iv = block.AsSpan(2 * (mac + length) + fixedIv, fixedIv).ToArray();
        }
        _records = Enumerable.Range(0, Records).Select(i => Seal(suite, key, iv, macKey, (ulong)i, data)).ToList();
    }

    [Benchmark]
    public long Decrypt1MiB()
    {
        using var decryptor = new TlsConnectionDecryptor(_keyLog, _counters, 0);
        decryptor.OnClientHello(_clientRandom);
        decryptor.OnServerHello(_serverRandom, _version, _suite, _encryptThenMac);
        if (_version == TlsVersions.Tls13) SkipToApplicationKeys(decryptor);
        else decryptor.OnChangeCipherSpec(false);
        long bytes = 0;
        foreach (var record in _records)
        {
            _plaintext.Clear();
            if (decryptor.Decrypt(false, 23, record, _plaintext, out _) != TlsDecryptOutcome.Decrypted)
                throw new InvalidOperationException($"{Cipher}: {decryptor.LastFailure}");
            bytes += _plaintext.WrittenCount;
        }
        return bytes;
    }

    /// <summary>TLS 1.3: the server's handshake secret is the same as its application one here, so its first record (a Finished) moves it on.</summary>
    private void SkipToApplicationKeys(TlsConnectionDecryptor decryptor)
    {
        _plaintext.Clear();
        if (decryptor.Decrypt(false, 23, _finished!, _plaintext, out _) != TlsDecryptOutcome.Decrypted)
            throw new InvalidOperationException($"{Cipher}: {decryptor.LastFailure}");
    }

    private byte[]? _finished;

    /// <summary>The sender side, with .NET's primitives: one record of <paramref name="data"/> (application data) at sequence number <paramref name="sequence"/>.</summary>
    private byte[] Seal(TlsCipherSuite suite, byte[] key, byte[] iv, byte[] macKey, ulong sequence, byte[] data)
    {
        if (suite.IsTls13)
        {
            _finished ??= SealTls13(suite, key, iv, 0, [20, 0, 0, 32, .. new byte[32]], 22);
            return SealTls13(suite, key, iv, sequence, data, 23);
        }
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteUInt64BigEndian(header, sequence);
        header[8] = 23;
        BinaryPrimitives.WriteUInt16BigEndian(header[9..], _version);
        if (suite.Cipher == TlsBulkCipher.AesCbc)
        {
            using var aes = Aes.Create();
            aes.Key = key;
            var recordIv = RandomNumberGenerator.GetBytes(16);
            var body = _encryptThenMac ? data : [.. data, .. Hmac(suite, macKey, header, data.Length, data)];
            var padding = 16 - (body.Length + 1) % 16;
            var padded = body.Concat(Enumerable.Repeat((byte)padding, padding + 1)).ToArray();
            byte[] record = [.. recordIv, .. aes.EncryptCbc(padded, recordIv, PaddingMode.None)];
            return _encryptThenMac ? [.. record, .. Hmac(suite, macKey, header, record.Length, record)] : record;
        }
        BinaryPrimitives.WriteUInt16BigEndian(header[11..], (ushort)data.Length);
        var nonce = new byte[12];
        var ciphertext = new byte[data.Length];
        var tag = new byte[16];
        if (suite.Cipher == TlsBulkCipher.AesGcm)
        {
            iv.CopyTo(nonce, 0);
            BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), sequence);
            using var gcm = new AesGcm(key, 16);
            gcm.Encrypt(nonce, data, ciphertext, tag, header);
            return [.. nonce.AsSpan(4), .. ciphertext, .. tag];
        }
        XorSequence(iv, sequence, nonce);
        using var chacha = new ChaCha20Poly1305(key);
        chacha.Encrypt(nonce, data, ciphertext, tag, header);
        return [.. ciphertext, .. tag];
    }

    private static byte[] SealTls13(TlsCipherSuite suite, byte[] key, byte[] iv, ulong sequence, byte[] content, byte type)
    {
        byte[] inner = [.. content, type];
        var ciphertext = new byte[inner.Length];
        var tag = new byte[16];
        var nonce = new byte[12];
        XorSequence(iv, sequence, nonce);
        byte[] header = [23, 3, 3, (byte)((inner.Length + 16) >> 8), (byte)(inner.Length + 16)];
        if (suite.Cipher == TlsBulkCipher.AesGcm)
        {
            using var gcm = new AesGcm(key, 16);
            gcm.Encrypt(nonce, inner, ciphertext, tag, header);
        }
        else
        {
            using var chacha = new ChaCha20Poly1305(key);
            chacha.Encrypt(nonce, inner, ciphertext, tag, header);
        }
        return [.. ciphertext, .. tag];
    }

    private static void XorSequence(byte[] iv, ulong sequence, byte[] nonce)
    {
        iv.CopyTo(nonce, 0);
        for (var i = 0; i < 8; i++) nonce[4 + i] ^= (byte)(sequence >> (56 - 8 * i));
    }

    private static byte[] Hmac(TlsCipherSuite suite, byte[] macKey, ReadOnlySpan<byte> header, int length, byte[] content)
    {
        Span<byte> pseudo = stackalloc byte[13];
        header.CopyTo(pseudo);
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[11..], (ushort)length);
        using var hmac = IncrementalHash.CreateHMAC(suite.Mac, macKey);
        hmac.AppendData(pseudo);
        hmac.AppendData(content);
        return hmac.GetHashAndReset();
    }
}
