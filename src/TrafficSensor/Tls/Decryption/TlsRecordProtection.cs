using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TrafficSensor.Tls.Decryption;

/// <summary>
/// The read state of one direction under one set of keys: the cipher, its keys and the record sequence
/// number (from 0 at each key change). Owned by the connection decryptor's thread.
/// </summary>
internal abstract class TlsRecordProtection : IDisposable
{
    /// <summary>The largest record fragment TLS allows (2^14 plus the expansion RFC 5246 6.2.3 permits).</summary>
    public const int MaxFragmentLength = (1 << 14) + 2048;

    /// <summary>Sequence number of the next record (it advances when a record opens, or by <see cref="Skip"/>).</summary>
    public ulong Sequence { get; protected set; }

    /// <summary>A record that did not open still used its sequence number at the sender (the likely reading: it was real and damaged).</summary>
    public void Skip() => Sequence++;

    /// <summary>Decrypts and authenticates one record into <paramref name="plaintext"/> (at least the fragment's length). Null on success.</summary>
    public abstract TlsDecryptFailure? Open(byte recordType, ushort version, ReadOnlySpan<byte> fragment, Span<byte> plaintext, out int written);

    public abstract void Dispose();

    public static TlsRecordProtection Create(TlsCipherSuite suite, ushort version, bool encryptThenMac, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> macKey) =>
        suite.Cipher == TlsBulkCipher.AesCbc
            ? new TlsCbcProtection(suite, version, encryptThenMac, key, iv, macKey)
            : new TlsAeadProtection(suite, key, iv);

    /// <summary>The TLS 1.0–1.2 MAC / AEAD header: seq_num(8) + type(1) + version(2) + length(2).</summary>
    protected void WritePseudoHeader(Span<byte> header, byte recordType, ushort version, int length)
    {
        BinaryPrimitives.WriteUInt64BigEndian(header, Sequence);
        header[8] = recordType;
        BinaryPrimitives.WriteUInt16BigEndian(header[9..], version);
        BinaryPrimitives.WriteUInt16BigEndian(header[11..], (ushort)length);
    }
}

/// <summary>
/// AEAD records: TLS 1.2 AES-GCM (4-byte implicit salt + 8-byte explicit nonce in the record, RFC 5288),
/// TLS 1.2 ChaCha20-Poly1305 (IV XOR sequence number, RFC 7905), and every TLS 1.3 suite (IV XOR
/// sequence number, record header as additional data, RFC 8446 5.2-5.3).
/// </summary>
internal sealed class TlsAeadProtection : TlsRecordProtection
{
    private readonly TlsCipherSuite _suite;
    private readonly byte[] _iv;
    private readonly AesGcm? _gcm;
    private readonly ChaCha20Poly1305? _chacha;
    private readonly AesCcm? _ccm;
    private readonly bool _explicitNonce;

    public TlsAeadProtection(TlsCipherSuite suite, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv)
    {
        _suite = suite;
        _iv = iv.ToArray();
        _explicitNonce = suite is { Cipher: TlsBulkCipher.AesGcm, IsTls13: false };
        switch (suite.Cipher)
        {
            case TlsBulkCipher.AesGcm: _gcm = new AesGcm(key, suite.TagLength); break;
            case TlsBulkCipher.ChaCha20Poly1305: _chacha = new ChaCha20Poly1305(key); break;
            default: _ccm = new AesCcm(key); break;
        }
    }

    public override TlsDecryptFailure? Open(byte recordType, ushort version, ReadOnlySpan<byte> fragment, Span<byte> plaintext, out int written)
    {
        written = 0;
        var tagLength = _suite.TagLength;
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[13];
        ReadOnlySpan<byte> ciphertext;
        if (_explicitNonce)
        {
            if (fragment.Length < 8 + tagLength) return TlsDecryptFailure.BadRecord;
            _iv.AsSpan(0, 4).CopyTo(nonce);
            fragment[..8].CopyTo(nonce[4..]);
            ciphertext = fragment[8..^tagLength];
        }
        else
        {
            if (fragment.Length < tagLength + (_suite.IsTls13 ? 1 : 0)) return TlsDecryptFailure.BadRecord;
            _iv.CopyTo(nonce);
            Span<byte> sequence = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(sequence, Sequence);
            for (var i = 0; i < 8; i++) nonce[4 + i] ^= sequence[i];
            ciphertext = fragment[..^tagLength];
        }
        if (_suite.IsTls13)
        {
            // TLSCiphertext header: opaque_type, legacy_record_version 0x0303, length of the whole fragment.
            aad = aad[..5];
            aad[0] = recordType;
            BinaryPrimitives.WriteUInt16BigEndian(aad[1..], TlsVersions.Tls12);
            BinaryPrimitives.WriteUInt16BigEndian(aad[3..], (ushort)fragment.Length);
        }
        else
        {
            WritePseudoHeader(aad, recordType, version, ciphertext.Length);
        }
        var tag = fragment[^tagLength..];
        var output = plaintext[..ciphertext.Length];
        try
        {
            if (_gcm is not null) _gcm.Decrypt(nonce, ciphertext, tag, output, aad);
            else if (_chacha is not null) _chacha.Decrypt(nonce, ciphertext, tag, output, aad);
            else _ccm!.Decrypt(nonce, ciphertext, tag, output, aad);
        }
        catch (CryptographicException)
        {
            // The tag did not verify (AuthenticationTagMismatchException) — wrong keys, or bytes that are not this record.
            return TlsDecryptFailure.BadTag;
        }
        written = ciphertext.Length;
        Sequence++;
        return null;
    }

    public override void Dispose()
    {
        _gcm?.Dispose();
        _chacha?.Dispose();
        _ccm?.Dispose();
    }
}

/// <summary>
/// AES-CBC records with HMAC: MAC-then-encrypt (RFC 5246 6.2.3.2; explicit IV from TLS 1.1, the previous
/// record's last block in TLS 1.0) or encrypt-then-MAC when the extension was negotiated (RFC 7366).
/// </summary>
internal sealed class TlsCbcProtection : TlsRecordProtection
{
    private const int Block = 16;
    private readonly Aes _aes;
    private readonly IncrementalHash _hmac;
    private readonly int _macLength;
    private readonly bool _explicitIv;
    private readonly bool _encryptThenMac;
    // TLS 1.0 only: the CBC chain continues across records.
    private readonly byte[] _chainedIv;

    public TlsCbcProtection(TlsCipherSuite suite, ushort version, bool encryptThenMac, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> macKey)
    {
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
        _hmac = IncrementalHash.CreateHMAC(suite.Mac, macKey);
        _macLength = suite.MacLength;
        _explicitIv = version >= TlsVersions.Tls11;
        _encryptThenMac = encryptThenMac;
        _chainedIv = iv.ToArray();
    }

    public override TlsDecryptFailure? Open(byte recordType, ushort version, ReadOnlySpan<byte> fragment, Span<byte> plaintext, out int written)
    {
        written = 0;
        var ivLength = _explicitIv ? Block : 0;
        Span<byte> header = stackalloc byte[13];
        Span<byte> mac = stackalloc byte[48];
        mac = mac[.._macLength];
        ReadOnlySpan<byte> body = fragment;
        if (_encryptThenMac)
        {
            if (fragment.Length < ivLength + Block + _macLength) return TlsDecryptFailure.BadRecord;
            body = fragment[..^_macLength];
            WritePseudoHeader(header, recordType, version, body.Length);
            _hmac.AppendData(header);
            _hmac.AppendData(body);
            _hmac.GetHashAndReset(mac);
            if (!CryptographicOperations.FixedTimeEquals(mac, fragment[^_macLength..])) return TlsDecryptFailure.BadMac;
        }
        var iv = _explicitIv ? body[..Block] : _chainedIv;
        var ciphertext = body[ivLength..];
        if (ciphertext.Length == 0 || ciphertext.Length % Block != 0) return TlsDecryptFailure.BadPadding;
        var length = _aes.DecryptCbc(ciphertext, iv, plaintext, PaddingMode.None);
        var padding = plaintext[length - 1];
        var contentLength = length - padding - 1 - (_encryptThenMac ? 0 : _macLength);
        if (contentLength < 0) return TlsDecryptFailure.BadPadding;
        foreach (var b in plaintext.Slice(length - padding - 1, padding))
            if (b != padding) return TlsDecryptFailure.BadPadding;
        if (!_encryptThenMac)
        {
            WritePseudoHeader(header, recordType, version, contentLength);
            _hmac.AppendData(header);
            _hmac.AppendData(plaintext[..contentLength]);
            _hmac.GetHashAndReset(mac);
            if (!CryptographicOperations.FixedTimeEquals(mac, plaintext.Slice(contentLength, _macLength))) return TlsDecryptFailure.BadMac;
        }
        if (!_explicitIv) ciphertext[^Block..].CopyTo(_chainedIv);
        written = contentLength;
        Sequence++;
        return null;
    }

    public override void Dispose()
    {
        _aes.Dispose();
        _hmac.Dispose();
    }
}
