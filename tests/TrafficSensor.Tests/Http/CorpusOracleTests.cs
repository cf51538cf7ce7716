using System.Text.Json;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Http;

/// <summary>
/// The tshark oracle on the evasion corpus: every request tshark finds, the sensor finds too (with the
/// same status), except where expected.json names tshark's reading as the evasion itself
/// ("tshark_reads": tshark keeps a decoy the server never ran). The sensor finds more than tshark
/// here (long methods, HTTP/0.9 lines, requests after a hole): those are checked against the server
/// by <see cref="CorpusTests"/>.
/// </summary>
public class CorpusOracleTests
{
    [Theory]
    [MemberData(nameof(CorpusTests.Cases), MemberType = typeof(CorpusTests))]
    public void Every_request_tshark_finds_the_sensor_finds(string name)
    {
        var folder = Path.Combine(CorpusTests.CorpusRoot, name);
        var pcap = Path.Combine(folder, "input.pcap");
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected.json")));
        var decoys = expected.RootElement.TryGetProperty("tshark_reads", out var reads)
            ? reads.EnumerateArray().Select(r => r.GetString()!).ToHashSet() : [];

        var (records, _) = SensorRun.Files([pcap]);
        var first = records.FirstOrDefault(r => r.Transaction.Request is not null);
        var sensor = CorpusTests.Requests(records)
            .Select(r => $"{first!.ClientAddress} {first.ClientPort} {first.ServerAddress} {first.ServerPort} {r.Request.Request!.Method} {r.Request.Request.Target} {r.Response?.Status.ToString() ?? "-"}")
            .ToList();
        var missed = new List<string>();
        foreach (var tuple in Tshark.Transactions(pcap))
        {
            var i = sensor.IndexOf(tuple);
            if (i >= 0) sensor.RemoveAt(i);
            else if (!decoys.Any(tuple.Contains)) missed.Add(tuple);
        }
        Assert.Empty(missed);
    }
}
