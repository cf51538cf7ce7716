using System.Diagnostics;

namespace TrafficSensor.Tests.TestSupport;

/// <summary>Runs Wireshark's tshark, the independent oracle for what HTTP transactions a capture holds.</summary>
public static class Tshark
{
    /// <summary>(client, client port, server, server port, method, request-target, status or "-") for every HTTP request tshark sees.</summary>
    public static List<string> Transactions(string pcap)
    {
        var responses = Run(pcap, "http.response", "frame.number", "http.response.code", "http.request_in")
            .Where(f => f.Length >= 3 && f[2] != "")
            .GroupBy(f => f[2]).ToDictionary(g => g.Key, g => g.First()[1]);
        return Run(pcap, "http.request", "frame.number", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport", "http.request.method", "http.request.uri")
            .Select(f => string.Join(' ', First(f[1], f[2]), f[3], First(f[4], f[5]), f[6], f[7], f[8], responses.GetValueOrDefault(f[0], "-")))
            .ToList();
    }

    private static string First(string a, string b) => a != "" ? a : b;

    private static IEnumerable<string[]> Run(string pcap, string filter, params string[] fields)
    {
        var psi = new ProcessStartInfo("tshark")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-n", "-r", pcap, "-Y", filter, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=l" }) psi.ArgumentList.Add(a);
        foreach (var f in fields) { psi.ArgumentList.Add("-e"); psi.ArgumentList.Add(f); }
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("tshark is required for the oracle tests: apt-get install tshark (.ci/run installs it)", e);
        }
        _ = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
    }
}
