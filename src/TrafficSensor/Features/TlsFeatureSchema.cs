namespace TrafficSensor.Features;

/// <summary>
/// The metadata features of one TLS connection, computed without keys (record sizes and times, the
/// client's fingerprint, the client's other connections to the server). A schema of its own: a TLS
/// metadata model records this version and refuses to load against another.
/// </summary>
public static class TlsFeatureSchema
{
    public const string Version = "ts-tls-features-1";

    public static readonly string[] Names =
    [
        // record-size shape (application-data records; TLS 1.3's encrypted handshake left out, see TlsShapeFeatures)
        "client_app_records", "server_app_records", "client_app_bytes", "server_app_bytes",
        "exchanges", "first_request_bytes", "first_answer_bytes",
        "request_bytes_mean", "request_bytes_cv", "answer_bytes_mean", "answer_bytes_cv", "max_answer_bytes",
        "answer_request_log_ratio", "small_exchange_share",
        // timing
        "duration_seconds", "request_interval_seconds", "request_interval_regularity",
        // the client's connections to this server
        "client_server_connections", "client_server_short_share", "client_server_start_regularity",
        // the client's fingerprint on this server
        "ja4_new_on_server", "ja4_rare_on_server", "ja4_other_clients",
    ];

    public static int Count => Names.Length;

    public static int IndexOf(string name)
    {
        var i = Array.IndexOf(Names, name);
        return i >= 0 ? i : throw new ArgumentException($"no TLS feature named {name}", nameof(name));
    }

    /// <summary>
    /// The direction in which a feature's deviation points to a web shell (+1 more, −1 less, 0 either):
    /// an alert's reasons say "few other clients of this server use this fingerprint", never "the answers
    /// were larger than usual" (a download is not a web shell).
    /// </summary>
    public static int SuspiciousDirection(int index) => Names[index] switch
    {
        "ja4_other_clients" or "first_answer_bytes" or "answer_bytes_mean" or "max_answer_bytes" or "request_bytes_cv" or "answer_bytes_cv" => -1,
        _ => 1,
    };
}

/// <summary>The features of one TLS connection, in <see cref="TlsFeatureSchema"/> order.</summary>
public sealed class TlsFeatureVector
{
    public float[] Values { get; } = new float[TlsFeatureSchema.Count];

    public float this[string name]
    {
        get => Values[TlsFeatureSchema.IndexOf(name)];
        set => Values[TlsFeatureSchema.IndexOf(name)] = value;
    }
}
