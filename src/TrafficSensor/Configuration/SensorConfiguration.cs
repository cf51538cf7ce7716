using TrafficSensor.Detection;

namespace TrafficSensor.Configuration;

/// <summary>
/// Everything one configuration file sets (deploy/trafficsensor.yaml documents every key): the
/// sensor's <see cref="SensorOptions"/> section by section, where its output goes, which model
/// scores, and the alert suppression rules. Built-in defaults for whatever the file leaves out;
/// command-line options override the file.
/// </summary>
public sealed record SensorConfiguration
{
    /// <summary>The file it was read from, or null for the built-in defaults.</summary>
    public string? Source { get; init; }

    /// <summary>Sections capture, decoding, flows, reassembly, http and pipeline.</summary>
    public SensorOptions Sensor { get; init; } = new();

    public OutputSettings Outputs { get; init; } = new();

    public DetectionSettings Detection { get; init; } = new();

    public SuppressionRules Suppressions { get; init; } = SuppressionRules.None;
}

/// <summary>Section "outputs": the CLI's -t, -a, --stats, --metrics and --status-interval.</summary>
public sealed record OutputSettings
{
    /// <summary>Default endpoint of <c>live</c>'s metrics.</summary>
    public const string DefaultMetrics = "127.0.0.1:9464";

    /// <summary>One JSON line per transaction to this file ("-" for stdout); null: the CLI's default.</summary>
    public string? Transactions { get; init; }
    /// <summary>EVE alerts to this file ("-" for stdout); null: the CLI's default.</summary>
    public string? Alerts { get; init; }
    /// <summary>Run statistics as JSON at the end of the run.</summary>
    public string? Stats { get; init; }
    /// <summary><c>live</c>'s Prometheus endpoint ADDRESS:PORT, or "off". <c>replay</c> serves metrics only with --metrics.</summary>
    public string Metrics { get; init; } = DefaultMetrics;
    /// <summary><c>live</c>: seconds between status lines on stderr; 0 = none.</summary>
    public int StatusInterval { get; init; } = 60;
}

/// <summary>Section "detection": the CLI's --model and --no-model.</summary>
public sealed record DetectionSettings
{
    /// <summary>Model file; null for the bundled models/default.zip.</summary>
    public string? Model { get; init; }
    /// <summary>False: transactions are reconstructed and logged, not scored (--no-model).</summary>
    public bool Enabled { get; init; } = true;
}
