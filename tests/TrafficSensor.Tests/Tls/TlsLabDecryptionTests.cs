using System.Collections.Concurrent;
using System.Text.Json;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;
using TrafficSensor.Protocols;
using TrafficSensor.Tests.TestSupport;
using TrafficSensor.Tls;
using TrafficSensor.Tls.Decryption;

namespace TrafficSensor.Tests.Tls;

/// <summary>
/// The HTTPS lab's captures (pcaps/tls/lab: every web-shell family and the benign users over TLS 1.2 and
/// 1.3, several suites, four TLS stacks, HTTP/1.1 and HTTP/2) replayed with their key logs: the sensor's
/// transactions are exactly those tshark decrypts (NAME.expect.jsonl, written by expect.py from tshark
/// with -o tls.keylog_file), HTTP/2 ones logged as app_proto http2, (the Host as sent: :authority for HTTP/2), and its TLS records are tshark's
/// connections with the same SNI and JA3.
/// </summary>
public class TlsLabDecryptionTests
{
    private static readonly string Folder = Path.Combine(TestPaths.ProjectPcaps, "tls", "lab");


    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        if (!Directory.Exists(Folder)) return data;
        foreach (var f in Directory.GetFiles(Folder, "*.pcap").Where(f => File.Exists(Path.ChangeExtension(f, ".expect.jsonl"))).Order())
            data.Add(Path.GetFileNameWithoutExtension(f));
        return data;
    }

    [Fact]
    public void The_lab_has_https_captures() => Assert.True(Captures().Count >= 5);

    [Theory]
    [MemberData(nameof(Captures))]
    public void With_the_key_log_the_transactions_are_tsharks(string name)
    {
        var expectedHttp = new List<string>();
        var expectedTls = new List<string>();
        foreach (var line in File.ReadLines(Path.Combine(Folder, name + ".expect.jsonl")))
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            var type = e.GetProperty("type").GetString();
            if (type == "http")
            {
                var proto = e.GetProperty("protocol").GetString() == "HTTP/2" ? "http2" : "http";
                expectedHttp.Add($"{e.GetProperty("client").GetString()} {e.GetProperty("server").GetString()} {proto} " +
                                 $"{e.GetProperty("method").GetString()} {e.GetProperty("uri").GetString()} {e.GetProperty("host").GetString()} " +
                                 $"{(e.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : 0)}");
            }
            else if (type == "tls")
                expectedTls.Add($"{e.GetProperty("client").GetString()} {e.GetProperty("server").GetString()} " +
                                $"{(e.TryGetProperty("sni", out var sni) ? sni.GetString() : null)} {e.GetProperty("ja3").GetString()}");
        }
        Assert.NotEmpty(expectedHttp);

        var keys = Path.Combine(Folder, name + ".keys");
        var records = new AllRecords();
        var options = new SensorOptions { Tls = new TlsOptions { KeyLogFile = keys, KeyLog = TlsKeyLog.Load(keys, follow: false) } };
        new SensorPipeline(options, records).Replay([Path.Combine(Folder, name + ".pcap")]);

        var http = records.Records.OfType<TransactionRecord>().Where(r => r.Transaction.Request is not null)
            .Select(r => $"{r.ClientAddress}:{r.ClientPort} {r.ServerAddress}:{r.ServerPort} {r.AppProto} {r.Transaction.Request!.Method} " +
                         $"{r.Transaction.Request.Target} {r.Transaction.Request.Header("Host")} {r.Transaction.Response?.Status ?? 0}");
        AssertSameLines(expectedHttp, http.ToList());
        Assert.All(records.Records.OfType<TransactionRecord>(), r => Assert.NotNull(r.Tls));

        var tls = records.Records.OfType<TlsRecord>()
            .Select(r => $"{r.ClientAddress}:{r.ClientPort} {r.ServerAddress}:{r.ServerPort} {r.Metadata.Sni} {r.Metadata.Ja3?.Hash}");
        AssertSameLines(expectedTls, tls.ToList());
    }

    /// <summary>Equal as multisets; the message names the lines only one side has.</summary>
    private static void AssertSameLines(List<string> expected, List<string> actual)
    {
        var missing = new List<string>(expected);
        var extra = new List<string>();
        foreach (var line in actual)
            if (!missing.Remove(line)) extra.Add(line);
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"tshark only: {string.Join(" | ", missing.Take(5))}\nsensor only: {string.Join(" | ", extra.Take(5))}");
    }
}
