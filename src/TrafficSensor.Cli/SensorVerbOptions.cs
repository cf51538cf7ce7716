using CommandLine;
using TrafficSensor.Configuration;

namespace TrafficSensor.Cli;

/// <summary>The options <c>replay</c> and <c>live</c> share: outputs, model, limits.</summary>
public abstract class SensorVerbOptions
{
    [Option("config", HelpText = "YAML configuration file (see deploy/trafficsensor.yaml); options given on the command line override it.")]
    public string? Config { get; set; }

    /// <summary>The configuration file's settings (built-in defaults without --config), after <see cref="ApplyConfiguration"/>.</summary>
    public SensorConfiguration Configuration { get; private set; } = new();

    /// <summary>
    /// Reads --config and fills every option not given on the command line from it. Returns an error
    /// message (naming the file, line and key) when the file cannot be used.
    /// </summary>
    public string? ApplyConfiguration()
    {
        if (Config is null) return null;
        try
        {
            Configuration = ConfigurationLoader.Load(Config);
        }
        catch (ConfigurationException e)
        {
            return e.Message;
        }
        var c = Configuration;
        Bpf ??= c.Sensor.Capture.Bpf;
        Transactions ??= c.Outputs.Transactions;
        Alerts ??= c.Outputs.Alerts;
        Stats ??= c.Outputs.Stats;
        Model ??= c.Detection.Model;
        NoModel |= !c.Detection.Enabled;
        TlsKeyLog ??= c.Sensor.Tls.KeyLogFile;
        ApplyConfiguration(c);
        return null;
    }

    /// <summary>The verb's own options taken from the configuration when not given on the command line.</summary>
    protected virtual void ApplyConfiguration(SensorConfiguration configuration)
    {
    }

    [Option("bpf", HelpText = "Berkeley packet filter applied before decoding, e.g. \"tcp port 80\".")]
    public string? Bpf { get; set; }

    [Option('t', "transactions", HelpText = "Append one EVE JSON line per HTTP transaction to FILE ('-' for stdout). Default: stdout when no model is used.")]
    public string? Transactions { get; set; }

    [Option('a', "alerts", HelpText = "Append EVE alerts to FILE ('-' for stdout). Default: stdout when a model is used (also with -t FILE), unless -t - takes stdout.")]
    public string? Alerts { get; set; }

    [Option("model", HelpText = "Anomaly model file (default: the bundled models/default.zip).")]
    public string? Model { get; set; }

    [Option("no-model", HelpText = "Do not score transactions: reconstruct and log them only.")]
    public bool NoModel { get; set; }

    [Option("state", HelpText = "Learned-state file: what the sensor learned about the network (paths, sessions, names, each site's normal) is read from FILE at the start, if it exists, and written back at the end, so a restart does not start from nothing.")]
    public string? State { get; set; }

    [Option("stats", HelpText = "Write the run statistics as JSON to FILE at the end of the run ('-': one line on stdout, when stdout carries nothing else).")]
    public string? Stats { get; set; }

    [Option("workers", HelpText = "Flow worker threads (default: cores - 1, at least 1).")]
    public int? Workers { get; set; }

    [Option("max-flows", HelpText = "Flows tracked by all workers together (each holds its share) before the most idle is evicted (default 262144).")]
    public int? MaxFlows { get; set; }

    [Option("memcap-mb", HelpText = "Out-of-order reassembly memory of all workers together, MiB (default 256).")]
    public int? MemcapMb { get; set; }

    [Option("depth-mb", HelpText = "Stream bytes per direction handed to the HTTP parser, MiB; 0 = unlimited (default 64).")]
    public int? DepthMb { get; set; }

    [Option("overlap", HelpText = "TCP overlap policy: first (default) or last.")]
    public OverlapPolicy? Overlap { get; set; }

    [Option("sensor-name", HelpText = "The sensor's name in every record (EVE 'host'). Default: the machine's host name.")]
    public string? SensorName { get; set; }

    [Option("http-headers", HelpText = "Also log every header of the request, response or both (none, request, response, both; at most 64 per message, values cut at 1024 characters). Default: none.")]
    public Output.HeaderDump? HttpHeaders { get; set; }

    [Option("body-excerpt", HelpText = "Bytes of the request and response bodies shown on alerts (printable ASCII, other bytes as '.'); 0 = none. Default: 256.")]
    public int? BodyExcerpt { get; set; }

    [Option("tls-keylog", HelpText = "Decrypt TLS with the NSS key log FILE (the format SSLKEYLOGFILE makes browsers, curl and OpenSSL write); live re-reads it as it grows.")]
    public string? TlsKeyLog { get; set; }

    /// <summary>The key log read from --tls-keylog by <see cref="Validate"/> (once), or null.</summary>
    private Tls.Decryption.TlsKeyLog? _keyLog;

    /// <summary>Whether the key log is re-read as it grows (live capture: clients log keys as they connect).</summary>
    protected virtual bool FollowsKeyLog => false;

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
        if (BodyExcerpt is < 0 or > 65536) return "--body-excerpt must be between 0 and 65536";
        if (SensorName is { Length: 0 }) return "--sensor-name must not be empty";
        if (TlsKeyLog is not null && _keyLog is null)
        {
            try
            {
                _keyLog = Tls.Decryption.TlsKeyLog.Load(TlsKeyLog, FollowsKeyLog, Configuration.Sensor.Tls.MaxKeyLogBytes);
            }
            catch (Tls.Decryption.TlsKeyLogException e)
            {
                return "--tls-keylog: " + e.Message;
            }
        }
        if (MetricsAddress is { } m && !MetricsEndpoint.TryParse(m, out _, out _))
            return $"--metrics must be IPv4-ADDRESS:PORT, localhost:PORT or [::]:PORT (e.g. 127.0.0.1:9464, 0.0.0.0:9464), not '{m}'";
        return null;
    }

    /// <summary>The configuration's options (built-in defaults without --config) with the command line's on top.</summary>
    public virtual SensorOptions ToSensorOptions()
    {
        var defaults = Configuration.Sensor;
        return defaults with
        {
            Capture = defaults.Capture with { Bpf = Bpf ?? defaults.Capture.Bpf },
            Flows = MaxFlows is { } maxFlows ? defaults.Flows with { MaxFlows = maxFlows } : defaults.Flows,
            Reassembly = defaults.Reassembly with
            {
                MemoryCapBytes = MemcapMb is { } m ? (long)m << 20 : defaults.Reassembly.MemoryCapBytes,
                MaxDepthPerDirection = DepthMb is { } d ? (long)d << 20 : defaults.Reassembly.MaxDepthPerDirection,
                Overlap = Overlap ?? defaults.Reassembly.Overlap,
            },
            Pipeline = Workers is { } w ? defaults.Pipeline with { Workers = w } : defaults.Pipeline,
            Tls = defaults.Tls with { KeyLogFile = TlsKeyLog, KeyLog = _keyLog },
            Eve = defaults.Eve with
            {
                SensorName = SensorName ?? defaults.Eve.SensorName,
                Headers = HttpHeaders ?? defaults.Eve.Headers,
                BodyExcerptBytes = BodyExcerpt ?? defaults.Eve.BodyExcerptBytes,
            },
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
