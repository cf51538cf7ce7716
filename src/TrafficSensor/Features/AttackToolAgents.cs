using System.Buffers;

namespace TrafficSensor.Features;

/// <summary>
/// Offensive tools that name themselves in their default User-Agent: sqlmap ("sqlmap/1.7.2#stable
/// (https://sqlmap.org)" unless run with --random-agent), Nikto, gobuster, wfuzz, ffuf ("Fuzz Faster U Fool"),
/// feroxbuster, nuclei, WPScan, DirBuster, the Nmap Scripting Engine, masscan, zgrab, and the Acunetix and
/// Netsparker scanners' product tokens. Generic clients (curl, python-requests, Go-http-client, Java, wget)
/// are not tools: monitors, health checks and APIs use them every minute. Stateless, so any thread may ask.
/// </summary>
public static class AttackToolAgents
{
    /// <summary>Each tool's token as its default User-Agent spells it (matched case-insensitively), and the tool's name.</summary>
    private static readonly (string Token, string Tool)[] Tools =
    [
        ("sqlmap/", "sqlmap"),
        ("Nikto/", "Nikto"),
        ("gobuster/", "gobuster"),
        ("Wfuzz/", "wfuzz"),
        ("Fuzz Faster U Fool", "ffuf"),
        ("feroxbuster/", "feroxbuster"),
        ("Nuclei - Open-source project", "nuclei"),
        ("projectdiscovery/nuclei", "nuclei"),
        ("WPScan v", "WPScan"),
        ("DirBuster", "DirBuster"),
        ("Nmap Scripting Engine", "Nmap Scripting Engine"),
        ("masscan/", "masscan"),
        ("zgrab/", "zgrab"),
        ("Acunetix", "Acunetix"),
        ("Netsparker", "Netsparker"),
    ];

    // One precompiled multi-string search (no regex, no backtracking): linear in the header's length.
    private static readonly SearchValues<string> Tokens = SearchValues.Create(Tools.Select(t => t.Token).ToArray(), StringComparison.OrdinalIgnoreCase);

    /// <summary>The tool a User-Agent names by its default string, or null for any other client.</summary>
    public static string? Named(ReadOnlySpan<char> userAgent)
    {
        var at = userAgent.IndexOfAny(Tokens);
        if (at < 0) return null;
        var rest = userAgent[at..];
        foreach (var (token, tool) in Tools)
            if (rest.StartsWith(token, StringComparison.OrdinalIgnoreCase)) return tool;
        return null;
    }
}
