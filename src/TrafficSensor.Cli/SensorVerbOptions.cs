using CommandLine;

namespace TrafficSensor.Cli;

/// <summary>The options <c>replay</c> and <c>live</c> share: outputs, model, limits.</summary>
public abstract class SensorVerbOptions
{
    [Option("bpf", HelpText = "Berkeley packet filter applied before decoding, e.g. \"tcp port 80\".")]
    public string? Bpf { get; set; }

    [Option('t', "transactions", HelpText = "Write one EVE-style JSON line per HTTP transaction to FILE ('-' for stdout). Default: stdout when no model is used.")]
    public string? Transactions { get; set; }

    [Option('a', "alerts", HelpText = "Write EVE alerts to FILE ('-' for stdout). Default: stdout when a model is used and --transactions is not.")]
    public string? Alerts { get; set; }

    [Option("model", HelpText = "Anomaly model file (default: the bundled models/default.zip).")]
    public string? Model { get; set; }

    [Option("no-model", HelpText = "Do not score transactions: reconstruct and log them only.")]
    public bool NoModel { get; set; }

    [Option("stats", HelpText = "Write the run statistics as JSON to FILE ('-' for stdout) at the end of the run.")]
    public string? Stats { get; set; }

    [Option("workers", HelpText = "Flow worker threads (default: cores - 1, at least 1).")]
    public int? Workers { get; set; }

    [Option("max-flows", HelpText = "Flows tracked per worker before the most idle is evicted (default 262144).")]
    public int? MaxFlows { get; set; }

    [Option("memcap-mb", HelpText = "Out-of-order reassembly memory of all workers together, MiB (default 256).")]
    public int? MemcapMb { get; set; }

    [Option("depth-mb", HelpText = "Stream bytes per direction handed to the HTTP parser, MiB; 0 = unlimited (default 64).")]
    public int? DepthMb { get; set; }

    [Option("overlap", HelpText = "TCP overlap policy: first (default) or last.")]
    public OverlapPolicy? Overlap { get; set; }

    [Option('q', "quiet", HelpText = "Do not print the summary on stderr.")]
    public bool Quiet { get; set; }

    /// <summary>The Prometheus endpoint, or null for none.</summary>
    public abstract string? MetricsAddress { get; }

    /// <summary>A usage error, or null when the options make sense together.</summary>
    public virtual string? Validate()
    {
        if (Workers is < 1 or > 64) return "--workers must be between 1 and 64";
        if (MaxFlows is < 1) return "--max-flows must be at least 1";
        if (MemcapMb is < 1) return "--memcap-mb must be at least 1";
        if (DepthMb is < 0) return "--depth-mb must be 0 or more";
        if (MetricsAddress is { } m && !MetricsEndpoint.TryParse(m, out _, out _))
            return $"--metrics must be IPv4-ADDRESS:PORT, localhost:PORT or [::]:PORT (e.g. 127.0.0.1:9464, 0.0.0.0:9464), not '{m}'";
        return null;
    }

    public virtual SensorOptions ToSensorOptions()
    {
        var defaults = new SensorOptions();
        return defaults with
        {
            Capture = defaults.Capture with { Bpf = Bpf },
            Flows = MaxFlows is { } maxFlows ? defaults.Flows with { MaxFlows = maxFlows } : defaults.Flows,
            Reassembly = defaults.Reassembly with
            {
                MemoryCapBytes = MemcapMb is { } m ? (long)m << 20 : defaults.Reassembly.MemoryCapBytes,
                MaxDepthPerDirection = DepthMb is { } d ? (long)d << 20 : defaults.Reassembly.MaxDepthPerDirection,
                Overlap = Overlap ?? defaults.Reassembly.Overlap,
            },
            Pipeline = Workers is { } w ? defaults.Pipeline with { Workers = w } : defaults.Pipeline,
        };
    }
}

/// <summary>Parses "ADDRESS:PORT" for the metrics endpoint; IPv6 addresses in brackets.</summary>
public static class MetricsEndpoint
{
    public const string Default = "127.0.0.1:9464";

    public static bool TryParse(string text, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            return false;
        var address = text[..colon];
        if (address.StartsWith('[') && address.EndsWith(']')) address = address[1..^1];
        if (!System.Net.IPAddress.TryParse(address, out var ip) && address != "localhost") return false;
        // HttpListener spells "every address" as "+". Its managed implementation cannot parse an IPv6
        // literal in a prefix ("Invalid port in prefix"), so only [::] (every address) is accepted for IPv6.
        if (ip is not null && (ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any)))
        {
            host = "+";
            return true;
        }
        if (ip?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) return false;
        host = address;
        return true;
    }
}
