using System.Collections.Frozen;

namespace TrafficSensor.Features;

/// <summary>
/// The names and order of the features. A model records the schema version it was trained with;
/// loading a model made for another version fails with a clear message.
/// </summary>
public static class FeatureSchema
{
    public const string Version = "ts-features-6";

    public static readonly string[] Names =
    [
        // lexical
        "url_length", "path_depth", "query_length", "parameter_count", "max_parameter_length",
        "max_parameter_entropy", "request_body_entropy", "request_base64_share", "request_hex_share", "longest_encoded_run",
        "code_tokens", "command_tokens", "request_binary_share",
        // structural
        "method_post", "method_other", "script_extension", "static_extension", "script_in_asset_directory",
        "request_form", "request_multipart", "request_binary", "request_json",
        "request_body_log", "response_body_log", "response_request_ratio",
        "status_3xx", "status_4xx", "status_5xx",
        "no_referer", "no_cookie", "no_accept_language", "no_accept", "header_count", "parser_anomalies",
        "response_html", "response_plain_or_none", "response_binary", "extension_type_mismatch",
        "empty_post", "unusual_headers",
        // content evidence
        "uploads_server_code", "response_command_output", "response_framed", "response_base64_share",
        "response_entropy", "response_binary_share", "response_hidden_comment",
        // behaviour of the server's path and of the client's session on it
        "path_new_on_known_server", "path_other_clients", "path_post_share", "path_unlinked",
        "response_size_deviation", "session_requests_log", "session_interval_regularity", "unknown_cookie_name",
        "unknown_parameters", "session_evidence", "client_error_paths",
        // threads: a client's burst of opaque POSTs to a lone script, SQL injection, a client's evidence carried to its probes
        "opaque_post_thread", "sql_injection", "client_evidence",
        // a tunnel's connect: an opaque POST to a script naming the host and port the server is to open
        "network_target",
    ];

    /// <summary>Each name's position: extraction sets about 60 features by name per transaction, and a
    /// linear search over the names cost ≈5 % of a replay with the model (docs/performance.md).
    /// Declared right after <see cref="Names"/>: the fields below call <see cref="IndexOf"/> while the class initialises.</summary>
    private static readonly FrozenDictionary<string, int> Positions =
        Names.Select((name, i) => (name, i)).ToFrozenDictionary(x => x.name, x => x.i, StringComparer.Ordinal);

    public static int Count => Names.Length;

    /// <summary>
    /// Features that are evidence of a web shell on any site: server code or commands in the request,
    /// command output or framed answers in the response, a script in an asset directory, a cookie only
    /// the attacker sends. Absent from benign traffic whatever the application, so even one occurrence
    /// counts (a client refused on more paths than a browsing user ever is: a scanner). The other features describe traffic (lengths, methods, content types, headers) and vary
    /// from one application to the next: a value the training sites never had is not evidence by itself.
    /// </summary>
    public static readonly string[] EvidenceNames =
    [
        "code_tokens", "command_tokens", "uploads_server_code", "response_command_output", "response_framed", "response_hidden_comment",
        "unknown_cookie_name", "response_binary", "script_in_asset_directory", "extension_type_mismatch", "session_evidence", "parser_anomalies",
        "client_error_paths", "opaque_post_thread", "sql_injection", "client_evidence", "network_target",
    ];

    public static bool IsEvidence(int index) => Array.IndexOf(EvidenceNames, Names[index]) >= 0;

    /// <summary>Whether the feature at <paramref name="index"/> is direct evidence (see <see cref="DirectEvidence"/>).</summary>
    public static bool IsDirectEvidence(int index) => Array.IndexOf(DirectEvidence, index) >= 0;

    /// <summary>
    /// Whether one occurrence of the feature must clear the anomaly threshold by itself: direct evidence, and a
    /// client's direct evidence carried to a script nobody else asked for (<c>client_evidence</c>: never set on a
    /// benign transaction of the corpus's 19 applications). With the looser evidence floor one occurrence scored
    /// 13.9 against a threshold of 14.0 set by benign transactions with one weaker sign (a few refused paths), so
    /// a stager's probes for the file it wrote alerted or not on how the classifier's trees fell.
    /// </summary>
    public static bool AlertsAlone(int index) => IsDirectEvidence(index) || index == ClientEvidence;

    private static readonly int ClientEvidence = IndexOf("client_evidence");

    /// <summary>Evidence in the transaction's own bytes (code, command lines, command output, framed or hidden answers, uploaded scripts).</summary>
    private static readonly string[] ContentEvidence =
        ["code_tokens", "command_tokens", "uploads_server_code", "response_command_output", "response_framed", "response_hidden_comment", "sql_injection",
            "network_target"];

    /// <summary>
    /// What a session carries forward to its later requests: content evidence and binary answers from a
    /// script. Not the unknown cookie: one false reading would follow a benign session for the rest of its
    /// life (measured: a script-set cookie made 227 false alerts on one site).
    /// </summary>
    public static readonly int[] SessionEvidence = [.. ContentEvidence.Append("response_binary").Select(IndexOf)];

    /// <summary>
    /// What makes an alert confident and lets the classifier alert without the anomaly model's support:
    /// content evidence and a base64-carrying cookie nobody else sends (a backdoor module's trigger).
    /// </summary>
    public static readonly int[] DirectEvidence = [.. ContentEvidence.Append("unknown_cookie_name").Select(IndexOf)];

    /// <summary>Whether any of the features at <paramref name="indices"/> is present.</summary>
    public static bool AnyOf(float[] values, int[] indices)
    {
        foreach (var i in indices)
            if (values[i] > 0) return true;
        return false;
    }

    /// <summary>The feature's position in <see cref="Names"/>, or -1.</summary>
    public static int IndexOf(string name) => Positions.TryGetValue(name, out var i) ? i : -1;
}

/// <summary>
/// Lengths and counts are heavy-tailed on real sites (analytics beacons carry 1 KB query strings, CSS
/// combiners 40 parameters) but narrow in any one training capture: models see every feature
/// compressed with sign(x)·log(1 + |x|), so a long URL is a few deviations out, not a hundred, while a
/// feature that is always 0 in benign traffic still stands out when it is 1.
/// </summary>
public static class FeatureScaling
{
    /// <remarks>
    /// Most features of most transactions are 0, and sign(0)·log(1 + 0) is that 0 itself, sign included
    /// (log 1 is +0 exactly): it is returned without the logarithm, the same bits.
    /// </remarks>
    public static float Compress(float x) => x == 0 ? x : MathF.CopySign(MathF.Log(1 + MathF.Abs(x)), x);
}

/// <summary>The features of one transaction, in <see cref="FeatureSchema"/> order.</summary>
public sealed class FeatureVector
{
    public FeatureVector() => Values = new float[FeatureSchema.Count];

    public float[] Values { get; }

    /// <summary>
    /// Not a model feature: when the request was refused (4xx), the distinct paths its client was refused on
    /// by the server within the scan window, this one included (else 0). The scan rule counts it
    /// (<see cref="Detection.ScanDetection"/>); the model sees the windowless <c>client_error_paths</c>.
    /// </summary>
    public int RecentRefusedPaths { get; set; }

    /// <summary>
    /// Not a model feature: the offensive tool the request's User-Agent names by its default string
    /// (<see cref="AttackToolAgents"/>), else null. The tool rule reports it (<see cref="Detection.ToolAgentDetection"/>).
    /// </summary>
    public string? AttackTool { get; set; }

    public float this[string name]
    {
        get => Values[FeatureSchema.IndexOf(name)];
        set => Values[FeatureSchema.IndexOf(name)] = value;
    }
}
