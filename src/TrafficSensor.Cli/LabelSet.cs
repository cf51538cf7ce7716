using System.Text.Json;
using TrafficSensor.Output;

namespace TrafficSensor.Cli;

/// <summary>The traffic lab's labels (NAME.labels.jsonl), matched to transactions by client, server, method and request-target.</summary>
internal sealed class LabelSet
{
    public sealed record Label(string SrcIp, int SrcPort, string DestIp, int DestPort, string HttpMethod, string Url, string Family, string Phase);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly Dictionary<string, Queue<Label>> _byKey = new();

    public int Count { get; private set; }

    public static LabelSet Load(IEnumerable<string> paths)
    {
        var set = new LabelSet();
        foreach (var path in paths)
        {
            if (!File.Exists(path)) throw new FormatException($"labels file not found: {path}");
            var number = 0;
            foreach (var line in File.ReadLines(path))
            {
                number++;
                if (line.Length == 0) continue;
                Label? label;
                try
                {
                    label = JsonSerializer.Deserialize<Label>(line, Json);
                }
                catch (JsonException e)
                {
                    throw new FormatException($"{path}:{number}: not a label (one JSON object per line expected): {e.Message}");
                }
                if (label is null || label.Family is null || label.Url is null) throw new FormatException($"{path}:{number}: incomplete label");
                var key = Key(label.SrcIp, label.SrcPort, label.DestIp, label.DestPort, label.HttpMethod, label.Url);
                if (!set._byKey.TryGetValue(key, out var queue)) set._byKey[key] = queue = new Queue<Label>();
                queue.Enqueue(label);
                set.Count++;
            }
        }
        return set;
    }

    /// <summary>The label of a transaction (each label is used once, in order, for repeated identical requests).</summary>
    public Label? Take(TransactionRecord r)
    {
        var request = r.Transaction.Request;
        if (request is null) return null;
        var key = Key(r.ClientAddress.ToString(), r.ClientPort, r.ServerAddress.ToString(), r.ServerPort, request.Method ?? "", request.Target ?? "");
        return _byKey.TryGetValue(key, out var queue) && queue.Count > 0 ? queue.Dequeue() : null;
    }

    private static string Key(string src, int srcPort, string dst, int dstPort, string method, string url) => $"{src}:{srcPort}>{dst}:{dstPort} {method} {url}";
}
