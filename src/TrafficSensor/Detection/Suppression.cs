using System.Net;
using System.Text;

namespace TrafficSensor.Detection;

/// <summary>
/// An allow-list entry of the configuration: alerts matching every condition it sets are suppressed
/// (not written as alerts, counted under its name). Conditions look only at what an operator can see
/// in an alert — the server and port, the request path, the client, the strongest reason's feature
/// name and the detector — never at feature internals.
/// </summary>
/// <param name="Name">Label value of trafficsensor_alerts_suppressed_total: letters, digits, '_', '-' and '.'.</param>
/// <param name="Server">Server address or network (CIDR), or null for any.</param>
/// <param name="Port">Server port, or null for any.</param>
/// <param name="Path">Glob on the request path (query excluded; '*' any run of characters, '?' one), or null for any.</param>
/// <param name="Client">Client address or network (CIDR), or null for any.</param>
/// <param name="Reasons">Feature names: the alert's strongest reason must be one of them; null for any.</param>
/// <param name="Detector">"anomaly", "classifier", "both", "scan" or "tool_agent": the detector that raised the alert; null for any.</param>
public sealed record SuppressionRule(string Name, IPNetwork? Server = null, int? Port = null, string? Path = null, IPNetwork? Client = null,
    IReadOnlyList<string>? Reasons = null, string? Detector = null)
{
    public const int MaxNameLength = 64;

    /// <summary>What a rule is compared with: the facts of one alerting transaction.</summary>
    public readonly record struct Alert(IPAddress Server, int Port, string? Target, IPAddress Client, string? StrongestReason, string? Detector);

    public bool Matches(in Alert alert)
    {
        if (Server is { } server && !server.Contains(alert.Server)) return false;
        if (Port is { } port && port != alert.Port) return false;
        if (Client is { } client && !client.Contains(alert.Client)) return false;
        if (Reasons is { } reasons && (alert.StrongestReason is null || !reasons.Contains(alert.StrongestReason, StringComparer.Ordinal))) return false;
        if (Detector is { } detector && !string.Equals(detector, alert.Detector, StringComparison.Ordinal)) return false;
        if (Path is { } glob && (alert.Target is null || !Glob.Matches(glob, RequestPath.Normalise(alert.Target)))) return false;
        return true;
    }
}

/// <summary>The configured rules in order; the first that matches names the suppression. Immutable, so any thread may ask.</summary>
public sealed class SuppressionRules(IReadOnlyList<SuppressionRule> rules)
{
    public static readonly SuppressionRules None = new([]);

    public IReadOnlyList<SuppressionRule> Rules { get; } = rules;

    public IReadOnlyList<string> Names => Rules.Select(r => r.Name).ToList();

    /// <summary>The name of the first rule that matches the alert, or null when it stands.</summary>
    public string? Match(in SuppressionRule.Alert alert)
    {
        foreach (var rule in Rules)
            if (rule.Matches(alert)) return rule.Name;
        return null;
    }
}

/// <summary>
/// The path a web server would serve for a request-target, so a suppression for "/healthz*" cannot be
/// borrowed by "/healthz/../uploads/shell.php" or "/%68ealthz": the query is cut, percent-escapes
/// decoded, '\' read as '/' (IIS), ";parameters" of each segment dropped (Tomcat), and "." and ".."
/// segments resolved (RFC 3986 remove_dot_segments), as the servers the sensor protects do.
/// An absolute-form target ("http://host/path") is reduced to its path.
/// </summary>
public static class RequestPath
{
    public static string Normalise(string target)
    {
        var query = target.IndexOfAny(['?', '#']);
        var path = query >= 0 ? target[..query] : target;
        if (path.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || path.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var slash = path.IndexOf('/', path.IndexOf("//", StringComparison.Ordinal) + 2);
            path = slash < 0 ? "/" : path[slash..];
        }
        path = PercentDecode(path).Replace('\\', '/');
        var segments = new List<string>();
        foreach (var raw in path.Split('/'))
        {
            var semicolon = raw.IndexOf(';');
            var segment = semicolon >= 0 ? raw[..semicolon] : raw;
            if (segment is "" or ".") continue;
            if (segment == "..")
            {
                if (segments.Count > 0) segments.RemoveAt(segments.Count - 1);
                continue;
            }
            segments.Add(segment);
        }
        var normalised = "/" + string.Join('/', segments);
        return path.EndsWith('/') && segments.Count > 0 ? normalised + "/" : normalised;
    }

    private static string PercentDecode(string path)
    {
        if (!path.Contains('%')) return path;
        var bytes = new List<byte>(path.Length);
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '%' && i + 2 < path.Length && Uri.IsHexDigit(path[i + 1]) && Uri.IsHexDigit(path[i + 2]))
            {
                bytes.Add((byte)Convert.ToInt32(path.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(path[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}

/// <summary>Shell-style globs: '*' any run of characters ('/' included), '?' exactly one; case-sensitive, as paths are.</summary>
public static class Glob
{
    /// <summary>Greedy match with one remembered star: O(text × pattern) at worst, no recursion, no regex.</summary>
    public static bool Matches(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
