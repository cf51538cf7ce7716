using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Lab;

/// <summary>One line of a lab HTTPS capture's NAME.expect.jsonl (pcaps/tls/lab/README.md): a TLS connection or a decrypted HTTP transaction, as tshark reports it.</summary>
public sealed record TlsLabExpectation(
    string Type, int Stream, string Client, string Server,
    // type "tls"
    string? ClientRandom = null, string? Sni = null, string? Ja3 = null, string? Ja3Full = null, string[]? ClientAlpn = null,
    string? Version = null, string? CipherSuite = null, string? Alpn = null, string? Ja3s = null, string? Ja3sFull = null,
    // type "http"
    string? Protocol = null, int? H2Stream = null, int? Frame = null, string? Method = null, string? Uri = null, string? Host = null, int? Status = null)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public static List<TlsLabExpectation> Read(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<TlsLabExpectation>(l, Json)!).ToList();
}

/// <summary>
/// The lab's HTTPS captures (pcaps/tls/lab): each capture, its NSS key log, its labels (written by
/// the clients that sent the requests) and its tshark expectation agree with each other, and
/// tshark re-run on the capture with the key log gives the committed expectation. Runs on the
/// committed samples and, when TRAFFICSENSOR_TLS_LAB_CAPTURES names a directory (a fresh
/// make-samples.sh or make-corpus.sh run), on those captures too.
/// </summary>
public class TlsLabCaptureTests
{
    private static string SamplesDir => Path.Combine(TestPaths.ProjectPcaps, "tls", "lab");

    private static IEnumerable<string> ExpectationFiles()
    {
        var dirs = new List<string> { SamplesDir };
        if (Environment.GetEnvironmentVariable("TRAFFICSENSOR_TLS_LAB_CAPTURES") is { Length: > 0 } extra) dirs.Add(extra);
        return dirs.Where(Directory.Exists).SelectMany(d => Directory.EnumerateFiles(d, "*.expect.jsonl")).Order();
    }

    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (var f in ExpectationFiles()) data.Add(Path.GetRelativePath(TestPaths.RepositoryRoot, f));
        return data;
    }

    private static string Base(string relative) => Path.Combine(TestPaths.RepositoryRoot, relative[..^".expect.jsonl".Length]);

    [Fact]
    public void Samples_cover_every_family_both_versions_the_suites_and_both_http_versions()
    {
        var files = ExpectationFiles().Where(f => f.StartsWith(SamplesDir, StringComparison.Ordinal)).ToList();
        var expectations = files.SelectMany(TlsLabExpectation.Read).ToList();
        var labels = files.SelectMany(f => LabelledCaptures.Read(f.Replace(".expect.jsonl", ".labels.jsonl"))).ToList();

        Assert.Equal(["antsword", "behinder", "benign", "chopper", "cmd", "godzilla", "iis-module", "regeorg", "suo5", "weevely", "wso"],
            labels.Select(l => l.Family).Distinct().Order());
        // The six lab servers, each reached over TLS by benign users.
        Assert.Equal(["apache-php", "iis", "shop", "tomcat", "weblogic", "wiki"], labels.Where(l => l.Family == "benign").Select(l => l.App!).Distinct().Order());
        var tls = expectations.Where(e => e.Type == "tls").ToList();
        Assert.Equal(["TLS 1.2", "TLS 1.3"], tls.Select(e => e.Version!).Distinct().Order());
        // TLS 1.3: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305. TLS 1.2: ECDHE-RSA-AES128-GCM, ChaCha20-Poly1305 (RSA and
        // ECDSA), AES128-CBC-SHA256 (encrypt-then-MAC), AES128-CBC-SHA with RSA key exchange and ECDHE-ECDSA (MAC-then-encrypt).
        string[] suites = ["0x1301", "0x1302", "0x1303", "0xc02f", "0xcca8", "0xcca9", "0xc027", "0x002f", "0xc009"];
        Assert.Empty(suites.Except(tls.Select(e => e.CipherSuite!)));
        // Encrypt-then-MAC (extension 22 in the ServerHello) negotiated on some CBC connections and refused on others.
        var cbc = tls.Where(e => e.CipherSuite is "0xc027" or "0x002f" or "0xc009").Select(e => e.Ja3sFull!.Split(',')[2].Split('-').Contains("22")).Distinct();
        Assert.Equal([false, true], cbc.Order());
        // Resumed sessions: TLS 1.3 PSK (pre_shared_key, 41, in the ServerHello) and TLS 1.2 abbreviated handshakes.
        Assert.Contains(tls, e => e.Version == "TLS 1.3" && e.Ja3sFull!.Split(',')[2].Split('-').Contains("41"));
        Assert.All(tls.Where(e => e.ClientAlpn!.Contains("h2")), e => Assert.Equal("h2", e.Alpn));
        Assert.Equal(["HTTP/1.1", "HTTP/2"], expectations.Where(e => e.Type == "http").Select(e => e.Protocol!).Distinct().Order());
        Assert.All(Directory.EnumerateFiles(SamplesDir, "*.pcap"), p => Assert.InRange(new FileInfo(p).Length, 1, 600_000));
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Every_labelled_request_is_a_decrypted_transaction_and_vice_versa(string expectPath)
    {
        var name = Base(expectPath);
        var expected = TlsLabExpectation.Read(name + ".expect.jsonl");
        var labels = LabelledCaptures.Read(name + ".labels.jsonl");
        Assert.NotEmpty(labels);
        var transactions = expected.Where(e => e.Type == "http")
            .Select(e => $"{e.Client} {e.Server} {e.Method} {e.Uri}").Order().ToList();
        var labelled = labels.Select(l => $"{l.SrcIp}:{l.SrcPort} {l.DestIp}:{l.DestPort} {l.HttpMethod} {l.Url}").Order().ToList();
        Assert.Equal(labelled, transactions);
        // Every transaction was answered (the lab's servers answer all; a missing status means tshark lost the response).
        Assert.All(expected.Where(e => e.Type == "http"), e => Assert.NotNull(e.Status));
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Every_connection_names_its_server_and_its_transactions_ride_on_it(string expectPath)
    {
        var name = Path.GetFileName(Base(expectPath));
        var expected = TlsLabExpectation.Read(Base(expectPath) + ".expect.jsonl");
        var connections = expected.Where(e => e.Type == "tls").ToDictionary(e => e.Stream);
        Assert.NotEmpty(connections);
        foreach (var c in connections.Values)
        {
            Assert.EndsWith(".lab.example", c.Sni);
            Assert.Matches("^[0-9a-f]{64}$", c.ClientRandom);
            // tshark's JA3/JA3S hashes are the MD5 of their strings.
            Assert.Equal(Md5(c.Ja3Full!), c.Ja3);
            Assert.Equal(Md5(c.Ja3sFull!), c.Ja3s);
            if (name.Contains("tls12")) Assert.Equal("TLS 1.2", c.Version);
            if (name.Contains("tls13")) Assert.Equal("TLS 1.3", c.Version);
            // An h2 run's clients offer h2 and get it (suo5's own socket offers http/1.1 only, which Java's TLS leaves unanswered).
            if (name.Contains("-h2") && c.ClientAlpn!.Contains("h2")) Assert.Equal("h2", c.Alpn);
        }
        foreach (var t in expected.Where(e => e.Type == "http"))
        {
            Assert.True(connections.TryGetValue(t.Stream, out var c), $"transaction on stream {t.Stream} without a TLS handshake");
            Assert.Equal((c.Client, c.Server), (t.Client, t.Server));
            // The client named the server in the SNI by the same name it sends as Host (:authority in HTTP/2).
            Assert.Equal(c.Sni, t.Host!.Split(':')[0]);
            Assert.Equal(c.Alpn == "h2" ? "HTTP/2" : "HTTP/1.1", t.Protocol);
            Assert.Equal(t.Protocol == "HTTP/2", t.H2Stream is not null);
        }
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void The_key_log_holds_the_secrets_of_every_connection_and_nothing_else(string expectPath)
    {
        var expected = TlsLabExpectation.Read(Base(expectPath) + ".expect.jsonl");
        var lines = File.ReadAllLines(Base(expectPath) + ".keys");
        Assert.All(lines, l => Assert.Matches("^(CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET) [0-9a-f]{64} [0-9a-f]{64,96}$", l));
        var byRandom = lines.Select(l => l.Split(' ')).GroupBy(p => p[1]).ToDictionary(g => g.Key, g => g.Select(p => p[0]).ToHashSet());
        var connections = expected.Where(e => e.Type == "tls").ToList();
        foreach (var c in connections)
        {
            Assert.True(byRandom.TryGetValue(c.ClientRandom!, out var labels), $"no keys for {c.Client} → {c.Server}");
            string[] needed = c.Version == "TLS 1.3"
                ? ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"]
                : ["CLIENT_RANDOM"];
            Assert.Empty(needed.Except(labels));
        }
        Assert.Empty(byRandom.Keys.Except(connections.Select(c => c.ClientRandom!)));
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Tshark_rerun_with_the_key_log_gives_the_committed_expectation(string expectPath)
    {
        var name = Base(expectPath);
        var script = Path.Combine(SamplesDir, "expect.py");
        var (code, output, error) = ExternalTool.Run("python3", [script, name + ".pcap", name + ".keys"], timeoutSeconds: 300);
        Assert.True(code == 0, error);
        Assert.Equal(File.ReadAllLines(name + ".expect.jsonl"), output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Without_keys_tshark_sees_the_handshakes_but_no_transaction()
    {
        // The oracle depends on the keys: the same capture without them yields the TLS facts only.
        var name = Base(Path.GetRelativePath(TestPaths.RepositoryRoot, ExpectationFiles().First()));
        var (code, output, error) = ExternalTool.Run("python3", [Path.Combine(SamplesDir, "expect.py"), name + ".pcap"], timeoutSeconds: 300);
        Assert.True(code == 0, error);
        var withKeys = TlsLabExpectation.Read(name + ".expect.jsonl").Where(e => e.Type == "tls").Select(e => (e.Stream, e.Sni, e.Ja3, e.Ja3s)).ToList();
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(lines, l => l.Contains("\"type\":\"http\""));
        var tmp = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(tmp, lines);
            Assert.Equal(withKeys, TlsLabExpectation.Read(tmp).Select(e => (e.Stream, e.Sni, e.Ja3, e.Ja3s)).ToList());
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    private static string Md5(string s) => Convert.ToHexStringLower(MD5.HashData(Encoding.ASCII.GetBytes(s)));
}
