using System.Diagnostics;

namespace TrafficSensor.Tests.TestSupport;

/// <summary>Runs Wireshark's tshark, the independent oracle for what HTTP transactions a capture holds.</summary>
public static class Tshark
{
    /// <summary>(client, client port, server, server port, method, request-target, status or "-") for every HTTP request tshark sees.</summary>
    /// <remarks>
    /// tshark reports every request of a frame (pipelining) on one row, with its fields joined, and
    /// links only the first response to a frame of pipelined requests (http.request_in); the others
    /// carry no link. Those are paired by HTTP's own rule: a response answers the oldest unanswered
    /// request of its TCP connection. Interim 1xx responses answer nothing. Fields are joined with a
    /// space, which a request-target cannot contain; of repeated address fields (tunnels) the last,
    /// innermost one is the packet's.
    /// </remarks>
    public static List<string> Transactions(string pcap)
    {
        var requests = new List<Request>();
        foreach (var f in Run(pcap, "http.request", "frame.number", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport", "http.request.method", "http.request.uri"))
        {
            var methods = Split(f[8]);
            var targets = Split(f[9]);
            for (var k = 0; k < methods.Length; k++)
                requests.Add(new Request(int.Parse(f[0]), Last(f[1]),
                    string.Join(' ', Last(f[2], f[3]), Last(f[4]), Last(f[5], f[6]), Last(f[7]), methods[k], k < targets.Length ? targets[k] : "-")));
        }

        var lastAnswered = new Dictionary<string, int>();
        foreach (var f in Run(pcap, "http.response", "frame.number", "tcp.stream", "http.response.code", "http.request_in"))
        {
            var codes = Split(f[2]);
            var links = Split(f[3]);
            for (var i = 0; i < codes.Length; i++)
            {
                var code = int.Parse(codes[i]);
                if (code is >= 100 and < 200 && code != 101) continue;
                var stream = Last(f[1]);
                var index = i < links.Length
                    ? requests.FindIndex(r => r.Frame == int.Parse(links[i]) && r.Status is null)
                    : requests.FindIndex(lastAnswered.GetValueOrDefault(stream, -1) + 1, r => r.Stream == stream && r.Status is null);
                if (index < 0) continue;
                requests[index].Status = codes[i];
                lastAnswered[stream] = index;
            }
        }
        return requests.Select(r => r.Tuple + " " + (r.Status ?? "-")).ToList();
    }

    private sealed record Request(int Frame, string Stream, string Tuple)
    {
        public string? Status { get; set; }
    }

    private static string[] Split(string field) => field.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static string Last(string a, string b = "") => (a != "" ? Split(a) : Split(b)).LastOrDefault() ?? "";

    internal static IEnumerable<string[]> Run(string pcap, string filter, params string[] fields)
    {
        var psi = new ProcessStartInfo("tshark")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-n", "-r", pcap, "-Y", filter, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=/s" }) psi.ArgumentList.Add(a);
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
