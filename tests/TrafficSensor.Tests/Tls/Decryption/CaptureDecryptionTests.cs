using System.Text;
using TrafficSensor.Tests.TestSupport;
using TrafficSensor.Tls.Decryption;

namespace TrafficSensor.Tests.Tls.Decryption;

/// <summary>
/// Real connections (pcaps/tls/keylog/, made by make-captures.sh: openssl s_server, curl or s_client with
/// their NSS key logs): every suite decrypts to what the client sent and the server answered, byte for
/// byte what tshark decrypts from the same capture and key log.
/// </summary>
public sealed class CaptureDecryptionTests
{
    public static readonly string Directory = Path.Combine(TestPaths.ProjectPcaps, "tls", "keylog");
    private const string Body = "hello over TLS: the decryptor must read exactly this line.\n";

    private static IEnumerable<string> Names() =>
        System.IO.Directory.GetFiles(Directory, "*.pcap").Select(p => Path.GetFileNameWithoutExtension(p)).Order(StringComparer.Ordinal);

    public static TheoryData<string> Captures() => new(Names());

    [Fact]
    public void Every_suite_the_brief_names_has_a_capture()
    {
        var names = Names().ToHashSet();
        string[] expected =
        [
            "tls12-ecdhe-rsa-aes128-gcm-sha256", "tls12-ecdhe-rsa-aes256-gcm-sha384", "tls12-ecdhe-rsa-chacha20-poly1305",
            "tls12-ecdhe-rsa-aes128-sha-etm", "tls12-ecdhe-rsa-aes128-sha-noetm", "tls12-aes256-sha256-etm", "tls12-aes256-sha256-noetm",
            "tls12-ecdhe-rsa-aes256-sha384-etm", "tls12-ecdhe-rsa-aes256-sha384-noetm", "tls11-ecdhe-rsa-aes128-sha-noetm",
            "tls10-ecdhe-rsa-aes256-sha-noetm", "tls13-aes128-gcm-sha256", "tls13-aes256-gcm-sha384", "tls13-chacha20-poly1305-sha256",
            "tls13-keyupdate", "tls13-aes128-ccm-sha256", "tls13-aes128-ccm8-sha256",
        ];
        Assert.Subset(names, expected.ToHashSet());
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void The_connection_decrypts_to_the_request_and_response_tshark_sees(string name)
    {
        var connection = TlsTestConnection.FromPcap(Path.Combine(Directory, name + ".pcap"));
        var keyLog = TlsKeyLog.Load(Path.Combine(Directory, name + ".keys"), follow: false);
        var counters = new TlsDecryptionCounters();
        using var decryptor = new TlsConnectionDecryptor(keyLog, counters, 64 * 1024);

        var result = connection.Decrypt(decryptor);

        Assert.Empty(counters.Failures.NonZero());
        Assert.All(result.Records, r => Assert.Equal(TlsDecryptOutcome.Decrypted, r.Outcome));
        var request = Encoding.Latin1.GetString(result.ClientApplicationData.ToArray());
        var response = Encoding.Latin1.GetString(result.ServerApplicationData.ToArray());
        Assert.StartsWith("GET /hello.txt HTTP/1.", request);
        Assert.EndsWith("\r\n\r\n", request);
        Assert.StartsWith("HTTP/1.0 200 ok\r\n", response);
        Assert.EndsWith("\r\n\r\n" + Body, response);

        var (flushLeft, indented) = TsharkFollow(Path.Combine(Directory, name + ".tshark.txt"));
        // tshark's follow output puts the side it calls node 0 flush left; which side that is varies, the bytes do not.
        var mine = new[] { request, response }.Order(StringComparer.Ordinal);
        var theirs = new[] { Encoding.Latin1.GetString(flushLeft), Encoding.Latin1.GetString(indented) }.Order(StringComparer.Ordinal);
        Assert.Equal(theirs, mine);
    }

    [Fact]
    public void Key_updates_both_ways_are_followed()
    {
        var connection = TlsTestConnection.FromPcap(Path.Combine(Directory, "tls13-keyupdate.pcap"));
        var keyLog = TlsKeyLog.Load(Path.Combine(Directory, "tls13-keyupdate.keys"), follow: false);
        Assert.Equal(3, keyLog.IgnoredLines - 1); // OpenSSL's *_TRAFFIC_SECRET_N lines (+ EXPORTER_SECRET): derived, not read
        var counters = new TlsDecryptionCounters();
        using var decryptor = new TlsConnectionDecryptor(keyLog, counters, 64 * 1024);
        var result = connection.Decrypt(decryptor);
        Assert.Empty(counters.Failures.NonZero());
        // s_client sent 'K' (update_requested) then 'k'; the server answered the first with its own.
        Assert.Equal([1, 0], KeyUpdates(result.ClientHandshake));
        Assert.Equal([0], KeyUpdates(result.ServerHandshake));
        Assert.StartsWith("GET /hello.txt HTTP/1.0\r\n\r\n", Encoding.Latin1.GetString(result.ClientApplicationData.ToArray()));
        Assert.EndsWith(Body, Encoding.Latin1.GetString(result.ServerApplicationData.ToArray()));
    }

    /// <summary>The request_update byte of every KeyUpdate message (type 24) in a direction's decrypted handshake bytes.</summary>
    private static List<int> KeyUpdates(List<byte> handshake)
    {
        var updates = new List<int>();
        for (var p = 0; p + 4 <= handshake.Count;)
        {
            var length = handshake[p + 1] << 16 | handshake[p + 2] << 8 | handshake[p + 3];
            if (handshake[p] == 24) updates.Add(handshake[p + 4]);
            p += 4 + length;
        }
        return updates;
    }

    /// <summary>The two sides' bytes in tshark's "-z follow,tls,raw" output (hex lines; one side's indented by a tab).</summary>
    internal static (byte[] FlushLeft, byte[] Indented) TsharkFollow(string path)
    {
        var flushLeft = new List<byte>();
        var indented = new List<byte>();
        foreach (var line in File.ReadAllLines(path))
        {
            var hex = line.Trim();
            if (hex.Length == 0 || hex.Length % 2 != 0 || !hex.All(Uri.IsHexDigit)) continue;
            (line.StartsWith('\t') ? indented : flushLeft).AddRange(Convert.FromHexString(hex));
        }
        Assert.NotEmpty(flushLeft);
        Assert.NotEmpty(indented);
        return (flushLeft.ToArray(), indented.ToArray());
    }
}
