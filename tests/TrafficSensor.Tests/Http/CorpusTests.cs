using System.Text.Json;
using TrafficSensor.Http;
using TrafficSensor.Output;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Http;

/// <summary>
/// The evasion corpus (issue 10), in the style of suricata-verify: each Corpus/http/CASE/ holds a capture
/// of raw bytes sent to a real nginx 1.22 + php-fpm 8.2 and expected.json, made from nginx's access log
/// and what PHP received (make-corpus.py records them). The sensor must write every request the server
/// logged, with its method, target, version and status, the parameters and files PHP saw, and flag
/// what a stricter server would refuse.
/// </summary>
public class CorpusTests
{
    public static string CorpusRoot => Path.Combine(TestPaths.RepositoryRoot, "tests", "TrafficSensor.Tests", "Corpus", "http");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.EnumerateDirectories(CorpusRoot).Where(d => File.Exists(Path.Combine(d, "expected.json"))).Order())
            data.Add(Path.GetFileName(dir));
        return data;
    }

    [Fact]
    public void The_corpus_is_present() => Assert.True(Directory.GetFiles(CorpusRoot, "expected.json", SearchOption.AllDirectories).Length >= 14);

    /// <summary>
    /// Requests in connection order, with the response that answers each: a response written apart
    /// from its request (pipelining deeper than the pending limit) joins it by tx_id.
    /// </summary>
    public static List<(HttpTransaction Request, HttpMessage? Response, HttpAnomalies Anomalies)> Requests(IReadOnlyList<TransactionRecord> records)
    {
        var byKey = new Dictionary<(long, int), (HttpTransaction Request, HttpMessage? Response, HttpAnomalies Anomalies)>();
        foreach (var r in records.Where(r => r.Transaction.Request is not null))
            byKey[(r.FlowId, r.Transaction.Index)] = (r.Transaction, r.Transaction.Response, r.Transaction.AllAnomalies);
        foreach (var r in records.Where(r => r.Transaction.Request is null))
        {
            Assert.True(r.Transaction.Anomalies.Contains(HttpAnomaly.TooManyPendingRequests), "a response without its request");
            var key = (r.FlowId, r.Transaction.Index);
            Assert.True(byKey.ContainsKey(key), $"no request {r.Transaction.Index} for a split response");
            var entry = byKey[key];
            Assert.Null(entry.Response);
            var anomalies = entry.Anomalies;
            anomalies.Add(r.Transaction.AllAnomalies);
            byKey[key] = (entry.Request, r.Transaction.Response, anomalies);
        }
        return byKey.OrderBy(p => p.Key.Item1).ThenBy(p => p.Key.Item2).Select(p => p.Value).ToList();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_sensor_sees_what_the_server_saw(string name)
    {
        var folder = Path.Combine(CorpusRoot, name);
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected.json")));
        var (records, stats) = SensorRun.Files([Path.Combine(folder, "input.pcap")]);
        if (expected.RootElement.TryGetProperty("decode_errors", out var errors))
            foreach (var error in errors.EnumerateObject())
                Assert.Equal(error.Value.GetInt64(), stats.DecodeErrors.GetValueOrDefault(error.Name));
        var actual = Requests(records);
        var transactions = expected.RootElement.GetProperty("transactions").EnumerateArray().ToList();
        Assert.Equal(transactions.Count, actual.Count);
        var anomalies = expected.RootElement.GetProperty("anomalies");

        for (var i = 0; i < transactions.Count; i++)
        {
            var want = transactions[i];
            var (tx, response, flags) = actual[i];
            var request = tx.Request!;
            var where = $"{name} #{i}";
            Assert.True(want.GetProperty("http_method").GetString() == request.Method, $"{where}: method {request.Method}");
            Assert.True(want.GetProperty("url").GetString() == request.Target, $"{where}: url {request.Target}");
            Assert.True(want.GetProperty("protocol").GetString() == request.Protocol, $"{where}: protocol {request.Protocol}");
            var status = want.GetProperty("status");
            Assert.True(status.ValueKind == JsonValueKind.Null ? response is null : response?.Status == status.GetInt32(), $"{where}: status {response?.Status}");
            if (want.TryGetProperty("php_parameters", out var parameters))
                foreach (var p in parameters.EnumerateArray())
                    Assert.True(tx.Parameters.Any(q => q.Name == p.GetString()), $"{where}: PHP saw parameter {p}, the sensor did not");
            if (want.TryGetProperty("php_files", out var files))
                foreach (var f in files.EnumerateArray())
                    Assert.True(tx.Parameters.Any(q => q.FileName?.StartsWith(f.GetString()!, StringComparison.Ordinal) == true), $"{where}: PHP stored file {f}, the sensor did not log it");
            if (anomalies.TryGetProperty(i.ToString(), out var names))
                foreach (var n in names.EnumerateArray())
                    Assert.True(flags.Names().Contains(n.GetString()), $"{where}: {n} not flagged ({string.Join(",", flags.Names())})");
        }
    }
}
