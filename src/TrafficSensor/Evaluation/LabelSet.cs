using System.Text.Json;
using System.Text.Json.Serialization;
using TrafficSensor.Output;

namespace TrafficSensor.Evaluation;

/// <summary>
/// One labelled request of a lab capture (a line of NAME.labels.jsonl). <see cref="App"/> names the
/// application that answered (for leave-one-application-out), <see cref="Variant"/> the tool variant
/// (for leave-one-variant-out) and <see cref="Session"/> the attack session; each falls back to what
/// older label files imply (the server, the family, the family and client).
/// </summary>
public sealed record Label(string SrcIp, int SrcPort, string DestIp, int DestPort, string HttpMethod, string Url, string Family, string Phase)
{
    public const string BenignFamily = "benign";

    /// <summary>Path-guessing tools (dirb, gobuster): labelled attacks, but not web shells.</summary>
    public const string ScannerFamily = "scanner";

    [JsonPropertyName("app")] public string? AppField { get; init; }
    [JsonPropertyName("variant")] public string? VariantField { get; init; }
    [JsonPropertyName("session")] public string? SessionField { get; init; }

    [JsonIgnore] public bool IsBenign => Family == BenignFamily;
    /// <summary>A scanner's request: counted apart from web shells (a scanner is not a web shell, and a sensor need not alert on one).</summary>
    [JsonIgnore] public bool IsScanner => Family == ScannerFamily;
    [JsonIgnore] public string App => AppField ?? $"{DestIp}:{DestPort}";
    [JsonIgnore] public string Variant => VariantField ?? Family;
    [JsonIgnore] public string Session => SessionField ?? $"{Family} {SrcIp}>{DestIp}:{DestPort}";
}

/// <summary>The traffic lab's labels, matched to transactions by client, server, method and request-target.</summary>
public sealed class LabelSet
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly Dictionary<string, Queue<Label>> _byKey = new();

    public int Count { get; private set; }

    /// <summary>Every label not yet taken.</summary>
    public IEnumerable<Label> Remaining => _byKey.Values.SelectMany(q => q);

    /// <exception cref="FormatException">A file is missing or a line is not a label (the message names file and line).</exception>
    public static LabelSet Load(IEnumerable<string> paths)
    {
        var set = new LabelSet();
        var all = new List<Label>();
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
                all.Add(label);
            }
        }
        // A server whose labels name its application in some lines (the attack operators') and not in
        // others (older benign clients) is one application: name it so everywhere.
        var apps = all.Where(l => l.AppField is not null).GroupBy(l => (l.DestIp, l.DestPort)).ToDictionary(g => g.Key, g => g.First().AppField);
        foreach (var original in all)
        {
            var label = original.AppField is null && apps.TryGetValue((original.DestIp, original.DestPort), out var app) ? original with { AppField = app } : original;
            var key = Key(label.SrcIp, label.SrcPort, label.DestIp, label.DestPort, label.HttpMethod, label.Url);
            if (!set._byKey.TryGetValue(key, out var queue)) set._byKey[key] = queue = new Queue<Label>();
            queue.Enqueue(label);
            set.Count++;
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
