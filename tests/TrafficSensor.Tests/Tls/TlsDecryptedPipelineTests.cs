using System.Collections.Concurrent;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;
using TrafficSensor.Protocols;
using TrafficSensor.Tests.TestSupport;
using TrafficSensor.Tls;
using TrafficSensor.Tls.Decryption;

namespace TrafficSensor.Tests.Tls;

/// <summary>
/// The wiring end to end: with the key log, every key-log capture (pcaps/tls/keylog) gives the HTTP
/// requests tshark decrypts (-o tls.keylog_file), each stamped with its connection's TLS context, and
/// TLS 1.3 connections also log the certificate the decryption revealed.
/// </summary>
public class TlsDecryptedPipelineTests
{

    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        var folder = Path.Combine(TestPaths.ProjectPcaps, "tls", "keylog");
        if (!Directory.Exists(folder)) return data;
        foreach (var f in Directory.GetFiles(folder, "*.pcap").Where(f => File.Exists(Path.ChangeExtension(f, ".keys"))).Order()) data.Add(Path.GetFileNameWithoutExtension(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Decrypted_requests_equal_tsharks_and_carry_the_tls_context(string name)
    {
        var folder = Path.Combine(TestPaths.ProjectPcaps, "tls", "keylog");
        var pcap = Path.Combine(folder, name + ".pcap");
        var keys = Path.Combine(folder, name + ".keys");
        var (code, output, error) = ExternalTool.Run("tshark", ["-n", "-r", pcap, "-o", "tls.keylog_file:" + keys, "-Y", "http.request",
            "-T", "fields", "-E", "separator=/t", "-e", "http.request.method", "-e", "http.request.uri"]);
        Assert.True(code == 0, error);
        var expected = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Replace('\t', ' ')).ToList();
        Assert.NotEmpty(expected);

        var records = new AllRecords();
        var options = new SensorOptions { Tls = new TlsOptions { KeyLogFile = keys, KeyLog = TlsKeyLog.Load(keys, follow: false) } };
        new SensorPipeline(options, records).Replay([pcap]);
        var tls = records.Records.OfType<TlsRecord>().ToList();
        var http = records.Records.OfType<TransactionRecord>().Where(r => r.Transaction.Request is not null).ToList();

        Assert.Equal(expected, http.Select(r => $"{r.Transaction.Request!.Method} {r.Transaction.Request.Target}"));
        Assert.All(http, r =>
        {
            var connection = tls.Single(t => t.FlowId == r.FlowId);
            Assert.NotNull(r.Tls);
            Assert.Equal(connection.Metadata.Version, r.Tls.Version);
            Assert.Equal(connection.Metadata.Sni, r.Tls.Sni);
            Assert.Equal(connection.Metadata.Ja4, r.Tls.Ja4);
        });
        // With keys the certificate is logged whatever the version (TLS 1.3 sends it encrypted).
        Assert.All(tls, t => Assert.NotNull(t.Metadata.ServerCertificate));
    }
}
