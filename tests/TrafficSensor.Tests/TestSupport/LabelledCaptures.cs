using System.Text.Json;
using TrafficSensor.Output;

namespace TrafficSensor.Tests.TestSupport;

/// <summary>A line of a lab's NAME.labels.jsonl as the lab tests read it (the sensor reads the same files through Evaluation.LabelSet).</summary>
public sealed record LabLabel(string SrcIp, int SrcPort, string DestIp, int DestPort, string HttpMethod, string Url, string Family, string Phase,
    string? Variant = null, string? App = null);

/// <summary>Reads lab labels and compares the requests they name with the requests the sensor finds in the capture.</summary>
public static class LabelledCaptures
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static List<LabLabel> Read(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<LabLabel>(l, Json)!).ToList();

    private static string Key(string ip, int port, string dip, int dport, string? method, string? url) => $"{ip}:{port} {dip}:{dport} {method} {url}";

    /// <summary>The labelled requests, one key each (client, server, method, request-target), sorted.</summary>
    public static List<string> Requests(IEnumerable<LabLabel> labels) =>
        labels.Select(l => Key(l.SrcIp, l.SrcPort, l.DestIp, l.DestPort, l.HttpMethod, l.Url)).Order().ToList();

    /// <summary>The requests the sensor found, keyed as <see cref="Requests(IEnumerable{LabLabel})"/>.</summary>
    public static List<string> Requests(IEnumerable<TransactionRecord> records) =>
        records.Where(r => r.Transaction.Request is not null)
            .Select(r => Key(r.ClientAddress.ToString(), r.ClientPort, r.ServerAddress.ToString(), r.ServerPort, r.Transaction.Request!.Method, r.Transaction.Request.Target))
            .Order().ToList();
}
