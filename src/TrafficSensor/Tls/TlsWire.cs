using System.Buffers.Binary;

namespace TrafficSensor.Tls;

/// <summary>TLS wire constants (RFC 5246, RFC 8446) the metadata parser needs.</summary>
public static class TlsWire
{
    public const byte ChangeCipherSpec = 20;
    public const byte Alert = 21;
    public const byte Handshake = 22;
    public const byte ApplicationData = 23;
    public const byte Heartbeat = 24;

    public const byte ClientHelloType = 1;
    public const byte ServerHelloType = 2;
    public const byte EncryptedExtensionsType = 8;
    public const byte CertificateType = 11;
    public const byte ServerHelloDoneType = 14;

    public const ushort ExtServerName = 0x0000;
    public const ushort ExtSupportedGroups = 0x000a;
    public const ushort ExtEcPointFormats = 0x000b;
    public const ushort ExtSignatureAlgorithms = 0x000d;
    public const ushort ExtAlpn = 0x0010;
    public const ushort ExtEncryptThenMac = 0x0016;
    public const ushort ExtSupportedVersions = 0x002b;

    public const ushort Ssl2 = 0x0002;
    public const ushort Ssl3 = 0x0300;
    public const ushort Tls10 = 0x0301;
    public const ushort Tls11 = 0x0302;
    public const ushort Tls12 = 0x0303;
    public const ushort Tls13 = 0x0304;

    /// <summary>Largest record fragment a peer may send: 2^14 plus the expansion TLSCiphertext allows (RFC 5246 6.2.3).</summary>
    public const int MaxRecordFragment = (1 << 14) + 2048;

    /// <summary>ServerHello.random of a HelloRetryRequest: SHA-256 of "HelloRetryRequest" (RFC 8446 4.1.3).</summary>
    public static ReadOnlySpan<byte> HelloRetryRequestRandom =>
    [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ];

    /// <summary>GREASE values (RFC 8701): 0x?A?A with both bytes equal. Fingerprints leave them out.</summary>
    public static bool IsGrease(ushort value) => (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);

    /// <summary>The version as Suricata's EVE writes it (SSLVersionToString).</summary>
    public static string VersionName(ushort version) => version switch
    {
        0 => "UNDETERMINED",
        Ssl2 => "SSLv2",
        Ssl3 => "SSLv3",
        Tls10 => "TLSv1",
        Tls11 => "TLS 1.1",
        Tls12 => "TLS 1.2",
        Tls13 => "TLS 1.3",
        _ => "0x" + version.ToString("x4"),
    };
}

/// <summary>Reads big-endian TLS fields from a span; every read is bounds-checked and fails softly.</summary>
internal ref struct TlsSpanReader(ReadOnlySpan<byte> data)
{
    private ReadOnlySpan<byte> _rest = data;

    public readonly int Remaining => _rest.Length;

    public bool TryU8(out byte value)
    {
        value = 0;
        if (_rest.Length < 1) return false;
        value = _rest[0];
        _rest = _rest[1..];
        return true;
    }

    public bool TryU16(out ushort value)
    {
        value = 0;
        if (_rest.Length < 2) return false;
        value = BinaryPrimitives.ReadUInt16BigEndian(_rest);
        _rest = _rest[2..];
        return true;
    }

    public bool TryU24(out int value)
    {
        value = 0;
        if (_rest.Length < 3) return false;
        value = (_rest[0] << 16) | (_rest[1] << 8) | _rest[2];
        _rest = _rest[3..];
        return true;
    }

    public bool TryBytes(int length, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (length < 0 || _rest.Length < length) return false;
        value = _rest[..length];
        _rest = _rest[length..];
        return true;
    }

    /// <summary>A vector with a 1-, 2- or 3-byte length prefix.</summary>
    public bool TryVector(int prefixBytes, out ReadOnlySpan<byte> value)
    {
        value = default;
        int length;
        switch (prefixBytes)
        {
            case 1: { if (!TryU8(out var l)) return false; length = l; break; }
            case 2: { if (!TryU16(out var l)) return false; length = l; break; }
            default: if (!TryU24(out length)) return false; break;
        }
        return TryBytes(length, out value);
    }
}
