using System.Collections.Concurrent;

namespace TrafficSensor.Lab;

/// <summary>What the benign clients sent and got back, for the end-of-run table that shows the mix is realistic.</summary>
public sealed class MixStats
{
    private readonly ConcurrentBag<(string Client, string Agent, string App, string Method, int Status, string Type, int Size)> _benign = new();

    private readonly ConcurrentDictionary<(string Variant, string Phase, int Status), (int Count, long Bytes)> _operators = new();

    /// <summary>Operators' answers by variant, phase and status: shows each emulator answered (and with how much).</summary>
    public void RecordOperator(string variant, string phase, int status, int size) =>
        _operators.AddOrUpdate((variant, phase, status), (1, size), (_, v) => (v.Count + 1, v.Bytes + size));

    public void Record(string family, string client, string agent, string app, string method, int status, string? contentType, int size)
    {
        if (family == "benign") _benign.Add((client, agent, app, method, status, (contentType ?? "-").Split(';')[0], size));
    }

    public void Print(TextWriter w)
    {
        foreach (var g in _operators.OrderBy(o => o.Key.Variant).GroupBy(o => o.Key.Variant))
            w.WriteLine($"operator {g.Key}: " + string.Join("  ", g.Select(o => $"{o.Key.Phase}/{o.Key.Status} x{o.Value.Count} avg {o.Value.Bytes / o.Value.Count}B")));
        var rows = _benign.ToList();
        if (rows.Count == 0) return;
        w.WriteLine($"benign mix: {rows.Count} requests, {rows.Select(r => r.Client).Distinct().Count()} client addresses, {rows.Select(r => r.Agent).Distinct().Count()} user agents, {rows.Select(r => r.App).Distinct().Count()} applications");
        void Group(string title, Func<(string Client, string Agent, string App, string Method, int Status, string Type, int Size), string> key) =>
            w.WriteLine($"  {title,-14} " + string.Join("  ", rows.GroupBy(key).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {100.0 * g.Count() / rows.Count:0.#}%")));
        Group("application", r => r.App);
        Group("method", r => r.Method);
        Group("status", r => r.Status.ToString());
        Group("content type", r => r.Type);
        var sizes = rows.Select(r => r.Size).Order().ToArray();
        int P(double q) => sizes[(int)Math.Min(sizes.Length - 1, q * sizes.Length)];
        w.WriteLine($"  {"body size",-14} min {sizes[0]}  p25 {P(0.25)}  median {P(0.5)}  p75 {P(0.75)}  p95 {P(0.95)}  max {sizes[^1]} bytes");
    }
}
