using TrafficSensor.Tests.TestSupport;
using TrafficSensor.Tls;

namespace TrafficSensor.Tests.Tls;

/// <summary>
/// SNI, JA3 and JA3S of every hello in the real handshake captures (pcaps/tls/handshakes: openssl
/// TLS 1.0–1.3, HelloRetryRequest, client certificate, resumption, curl and Chromium against nginx)
/// equal tshark's: the expectation committed by make-handshakes.sh, and tshark run now.
/// </summary>
public class TlsTsharkTests
{
    private static readonly string Folder = Path.Combine(TestPaths.ProjectPcaps, "tls", "handshakes");

    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Folder, "*.pcap").Order()) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Hellos_equal_the_committed_tshark_reading(string capture)
    {
        var lines = File.ReadAllLines(Path.Combine(Folder, "tshark.tsv")).Where(l => l.Split('\t')[0] == capture).Select(l => l.Split('\t')[1..]);
        var expected = Expected(lines);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Ours(capture));
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Hellos_equal_tshark_now(string capture)
    {
        var (code, output, error) = ExternalTool.Run("tshark", ["-n", "-r", Path.Combine(Folder, capture), "-Y", "tls.handshake.type == 1 || tls.handshake.type == 2",
            "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=/s",
            "-e", "tcp.stream", "-e", "tls.handshake.type", "-e", "tls.handshake.extensions_server_name", "-e", "tls.handshake.ja3_full",
            "-e", "tls.handshake.ja3", "-e", "tls.handshake.ja3s_full", "-e", "tls.handshake.ja3s"]);
        Assert.True(code == 0, error);
        var expected = Expected(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')));
        Assert.Equal(expected, Ours(capture));
    }

    [Fact]
    public void Certificates_sent_in_clear_have_openssls_fields()
    {
        var rows = File.ReadAllLines(Path.Combine(Folder, "certificates.tsv")).Select(l => l.Split('\t')).ToDictionary(f => f[0]);
        var seen = 0;
        foreach (var capture in Directory.GetFiles(Folder, "*.pcap"))
        {
            foreach (var stream in TlsCaptureHarness.Read(capture).Streams)
            {
                if (stream.Version == TlsWire.Tls13 || stream.ServerHello is null) continue;
                var resumed = stream.ServerHello.ExtensionTypes.Count > 0 && stream.ServerCertificate is null;
                if (!resumed)
                {
                    Assert.NotNull(stream.ServerCertificate);
                    AssertCertificate(rows["server"], stream.ServerCertificate);
                    seen++;
                }
                if (Path.GetFileName(capture) == "openssl-client-cert.pcap")
                {
                    Assert.NotNull(stream.ClientCertificate);
                    AssertCertificate(rows["client"], stream.ClientCertificate);
                }
            }
        }
        Assert.True(seen >= 5, $"{seen} certificates compared");
    }

    [Fact]
    public void Versions_alpn_and_hello_retry_are_read()
    {
        var versions = TlsCaptureHarness.Read(Path.Combine(Folder, "openssl-versions.pcap")).Streams.Select(s => TlsWire.VersionName(s.Version)).ToList();
        Assert.Equal(["TLSv1", "TLS 1.1", "TLS 1.2", "TLS 1.2", "TLS 1.3", "TLS 1.3"], versions);

        var hrr = TlsCaptureHarness.Read(Path.Combine(Folder, "openssl-hrr.pcap")).Streams.Single();
        Assert.NotNull(hrr.HelloRetryRequest);
        Assert.Equal(2, hrr.ClientHellos.Count);
        Assert.Equal(TlsWire.Tls13, hrr.Version);
        Assert.True(hrr.IsHandshakeDone);

        var curl = TlsCaptureHarness.Read(Path.Combine(Folder, "curl-nginx.pcap")).Streams;
        Assert.Equal(["h2", "http/1.1"], curl[0].ClientHello!.AlpnNames);
        Assert.Null(curl[0].ServerHello!.Alpn); // TLS 1.3: the server's choice is in EncryptedExtensions, unreadable without keys
        Assert.Equal("http/1.1", curl[1].ServerHello!.Alpn);
        Assert.Equal(["TLS 1.3", "TLS 1.2"], curl.Select(s => TlsWire.VersionName(s.Version)));

        var chromium = TlsCaptureHarness.Read(Path.Combine(Folder, "chromium-nginx.pcap")).Streams.First();
        Assert.Matches("^t13d[0-9]{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$", TlsFingerprints.Ja4(chromium.ClientHello!));
        Assert.Contains(chromium.ClientHello!.CipherSuites, TlsWire.IsGrease); // Chromium sends GREASE, which JA3 leaves out (checked against tshark)
    }

    private static void AssertCertificate(string[] row, TlsCertificateInfo cert)
    {
        Assert.Equal(row[1], cert.Subject);
        Assert.Equal(row[2], cert.IssuerDn);
        Assert.Equal(row[3].TrimStart('0'), cert.Serial.Replace(":", "").TrimStart('0'));
        Assert.Equal(row[4].ToLowerInvariant(), cert.Fingerprint);
        Assert.Equal(row[5], cert.NotBefore);
        Assert.Equal(row[6], cert.NotAfter);
    }

    /// <summary>Per TCP stream, in order: "CH sni ja3-string ja3-hash" and "SH ja3s-string ja3s-hash" lines.</summary>
    private static List<string> Expected(IEnumerable<string[]> rows)
    {
        var byStream = new SortedDictionary<int, List<string>>();
        foreach (var f in rows)
        {
            var list = byStream.TryGetValue(int.Parse(f[0]), out var l) ? l : byStream[int.Parse(f[0])] = new List<string>();
            var types = f[1].Split(' ');
            if (types.Contains("1"))
            {
                var ja3 = f[3].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var hash = f[4].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                for (var i = 0; i < ja3.Length; i++) list.Add($"{f[0]} CH {f[2]} {ja3[i]} {hash[i]}");
            }
            if (types.Contains("2"))
            {
                var ja3s = f[5].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var hash = f[6].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                for (var i = 0; i < ja3s.Length; i++) list.Add($"{f[0]} SH {ja3s[i]} {hash[i]}");
            }
        }
        return byStream.Values.SelectMany(v => v).ToList();
    }

    private static List<string> Ours(string capture)
    {
        var result = new List<string>();
        var streams = TlsCaptureHarness.Read(Path.Combine(Folder, capture)).Streams;
        for (var i = 0; i < streams.Count; i++)
        {
            // tshark lists the messages of a stream in frame order: the hellos alternate client, server.
            var clients = streams[i].ClientHellos;
            var servers = streams[i].ServerHellos;
            for (var k = 0; k < Math.Max(clients.Count, servers.Count); k++)
            {
                if (k < clients.Count)
                {
                    var ja3 = TlsFingerprints.Ja3(clients[k]);
                    result.Add($"{i} CH {clients[k].ServerName} {ja3.Text} {ja3.Hash}");
                }
                if (k < servers.Count)
                {
                    var ja3s = TlsFingerprints.Ja3S(servers[k]);
                    result.Add($"{i} SH {ja3s.Text} {ja3s.Hash}");
                }
            }
        }
        return result;
    }
}
