using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using TrafficSensor;
using TrafficSensor.Tls;

/// <summary>
/// TLS metadata without keys, per connection: a fresh <see cref="TlsConnectionParser"/> fed a Chromium-sized
/// ClientHello and the server's flight (TLS 1.3: ServerHello only; TLS 1.2: ServerHello, a 2048-bit RSA
/// certificate read with X509Certificate2, ServerHelloDone), then the record's fields (JA3, JA3S, JA4).
/// And framing alone: 1 MiB of encrypted application data in 16 KiB records, counted without buffering.
/// </summary>
[MemoryDiagnoser]
public class TlsMetadataBenchmarks
{
    private byte[] _clientFlight = [];
    private byte[] _server13 = [];
    private byte[] _server12 = [];
    private byte[] _appData = [];
    private readonly TlsCounters _counters = new();
    private readonly MemoryBudget _memory = new(1 << 30);

    [GlobalSetup]
    public void Setup()
    {
        ushort[] ciphers = [0x4a4a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
        var extensions = new List<byte[]>
        {
            Ext(0x0000, V(2, [0, .. V(2, "www.example.org"u8.ToArray())])), Ext(0x0017, []), Ext(0xff01, [0]),
            Ext(0x000a, V(2, U16s(0x2a2a, 0x11ec, 0x001d, 0x0017, 0x0018))), Ext(0x000b, V(1, [0])), Ext(0x0023, []),
            Ext(0x0010, V(2, [.. V(1, "h2"u8.ToArray()), .. V(1, "http/1.1"u8.ToArray())])), Ext(0x0005, [1, 0, 0, 0, 0]),
            Ext(0x000d, V(2, U16s(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601))), Ext(0x0012, []),
            Ext(0x0033, V(2, [.. U16s(0x001d), .. V(2, new byte[32])])), Ext(0x002d, V(1, [1])), Ext(0x002b, V(1, U16s(0x5a5a, 0x0304, 0x0303))),
            Ext(0x001b, V(1, [0, 2])), Ext(0x44cd, new byte[5]), Ext(0xfe0d, new byte[200]), Ext(0x0015, new byte[100]),
        };
        byte[] hello = [3, 3, .. new byte[32], .. V(1, new byte[32]), .. V(2, ciphers.SelectMany(c => U16s(c)).ToArray()), 1, 0, .. V(2, extensions.SelectMany(e => e).ToArray())];
        _clientFlight = Record(22, Hs(1, hello));

        byte[] sh13 = [3, 3, .. new byte[32], .. V(1, new byte[32]), 0x13, 0x01, 0, .. V(2, [.. Ext(0x002b, U16s(0x0304)), .. Ext(0x0033, [0, 0x1d, .. V(2, new byte[32])])])];
        _server13 = [.. Record(22, Hs(2, sh13)), .. Record(20, [1]), .. Record(23, new byte[2000])];

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=www.example.org, O=Example, C=DE", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90));
        byte[] sh12 = [3, 3, .. new byte[32], .. V(1, new byte[32]), 0xc0, 0x2f, 0, .. V(2, [.. Ext(0xff01, [0]), .. Ext(0x0017, [])])];
        byte[] flight = [.. Hs(2, sh12), .. Hs(11, V(3, V(3, cert.RawData))), .. Hs(14, [])];
        _server12 = Record(22, flight);

        _appData = Enumerable.Range(0, 64).SelectMany(_ => Record(23, new byte[16 * 1024])).ToArray();
    }

    [Benchmark]
    public TlsMetadata Tls13Connection() => Parse(_server13);

    /// <summary>A certificate never seen before: read with X509Certificate2.</summary>
    [Benchmark]
    public TlsMetadata Tls12ConnectionWithNewCertificate()
    {
        TlsCertificateInfo.ForgetSeen();
        return Parse(_server12);
    }

    /// <summary>The server's certificate already read on an earlier connection (the usual case).</summary>
    [Benchmark]
    public TlsMetadata Tls12ConnectionWithKnownCertificate() => Parse(_server12);

    [Benchmark]
    public long Framing1MiBOfApplicationData()
    {
        var parser = new TlsConnectionParser(_counters, _memory, new TlsMetadataOptions(), clientIsLow: true);
        parser.FromHigh.OnData(_appData, 0);
        return parser.FromHigh.Records;
    }

    private TlsMetadata Parse(byte[] server)
    {
        var parser = new TlsConnectionParser(_counters, _memory, new TlsMetadataOptions(), clientIsLow: true);
        parser.FromLow.OnData(_clientFlight, 0);
        parser.FromHigh.OnData(server, 0);
        return TlsMetadata.From(parser);
    }

    private static byte[] U16s(params ushort[] values) => values.SelectMany(v => new[] { (byte)(v >> 8), (byte)v }).ToArray();

    private static byte[] V(int prefix, byte[] body) => prefix switch
    {
        1 => [(byte)body.Length, .. body],
        2 => [(byte)(body.Length >> 8), (byte)body.Length, .. body],
        _ => [(byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body],
    };

    private static byte[] Ext(ushort type, byte[] data) => [.. U16s(type), .. V(2, data)];

    private static byte[] Hs(byte type, byte[] body) => [type, .. V(3, body)];

    private static byte[] Record(byte type, byte[] fragment) => [type, 3, 3, (byte)(fragment.Length >> 8), (byte)fragment.Length, .. fragment];
}
