using System.Buffers.Binary;

namespace TrafficSensor.Tests.Tls;

/// <summary>Builds TLS records and hello messages byte by byte (RFC 8446 layouts) for tests.</summary>
internal static class TlsMessages
{
    public static byte[] U16(ushort v) => [(byte)(v >> 8), (byte)v];

    public static byte[] Vector(int prefix, params byte[][] parts)
    {
        var body = parts.SelectMany(p => p).ToArray();
        var header = prefix switch
        {
            1 => new[] { (byte)body.Length },
            2 => U16((ushort)body.Length),
            _ => new[] { (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length },
        };
        return [.. header, .. body];
    }

    public static byte[] U16List(int prefix, IEnumerable<ushort> values) => Vector(prefix, values.Select(U16).ToArray());

    public static byte[] Extension(ushort type, byte[] data) => [.. U16(type), .. Vector(2, data)];

    public static byte[] Sni(string host) => Extension(0x0000, Vector(2, [0], Vector(2, System.Text.Encoding.ASCII.GetBytes(host))));

    public static byte[] Alpn(params string[] names) =>
        Extension(0x0010, Vector(2, names.Select(n => Vector(1, System.Text.Encoding.ASCII.GetBytes(n))).ToArray()));

    public static byte[] AlpnRaw(byte[] first) => Extension(0x0010, Vector(2, Vector(1, first)));

    /// <summary>A ClientHello handshake message (with its 4-byte header).</summary>
    public static byte[] ClientHello(IEnumerable<ushort> ciphers, IEnumerable<byte[]> extensions, ushort version = 0x0303, byte fill = 0x11)
    {
        byte[] body = [.. U16(version), .. Enumerable.Repeat(fill, 32), .. Vector(1, new byte[32]), .. U16List(2, ciphers), .. Vector(1, [0]),
            .. Vector(2, extensions.ToArray())];
        return Handshake(1, body);
    }

    public static byte[] ServerHello(ushort cipher, IEnumerable<byte[]> extensions, ushort version = 0x0303, byte[]? random = null)
    {
        byte[] body = [.. U16(version), .. random ?? Enumerable.Repeat((byte)0x22, 32).ToArray(), .. Vector(1, new byte[32]), .. U16(cipher), 0,
            .. Vector(2, extensions.ToArray())];
        return Handshake(2, body);
    }

    public static byte[] Handshake(byte type, byte[] body) => [type, .. Vector(3, body)];

    public static byte[] Record(byte type, byte[] fragment, ushort version = 0x0303)
    {
        var r = new byte[5 + fragment.Length];
        r[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(1), version);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(3), (ushort)fragment.Length);
        fragment.CopyTo(r, 5);
        return r;
    }

    /// <summary>The specification's example ClientHello (JA4.md): 15 ciphers, 16 extensions, h2, its signature algorithms, with GREASE mixed in.</summary>
    public static byte[] Ja4SpecClientHello()
    {
        ushort[] ciphers = [0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
        ushort[] sigs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
        var extensions = new List<byte[]> { Extension(0x1a1a, []) };
        foreach (ushort type in new ushort[] { 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015 })
        {
            extensions.Add(type switch
            {
                0x0000 => Sni("example.org"),
                0x0010 => Alpn("h2", "http/1.1"),
                0x000d => Extension(0x000d, U16List(2, sigs)),
                0x002b => Extension(0x002b, U16List(1, [0x3a3a, 0x0304, 0x0303])),
                0x000a => Extension(0x000a, U16List(2, [0x2a2a, 0x001d, 0x0017, 0x0018])),
                0x000b => Extension(0x000b, Vector(1, [0])),
                _ => Extension(type, []),
            });
        }
        return ClientHello(ciphers, extensions);
    }
}
