namespace TrafficSensor.Features;

/// <summary>
/// Each feature's position in <see cref="FeatureSchema.Names"/>, resolved once by name: extraction sets ≈60 features per
/// transaction, and looking each name up at run time cost ≈2 % of a replay with the model (docs/performance.md, fifth round).
/// A test checks that every feature has its field here and each field holds its name's position.
/// </summary>
public static class FeatureIndex
{
    public static readonly int UrlLength = FeatureSchema.IndexOf("url_length");
    public static readonly int PathDepth = FeatureSchema.IndexOf("path_depth");
    public static readonly int QueryLength = FeatureSchema.IndexOf("query_length");
    public static readonly int ParameterCount = FeatureSchema.IndexOf("parameter_count");
    public static readonly int MaxParameterLength = FeatureSchema.IndexOf("max_parameter_length");
    public static readonly int MaxParameterEntropy = FeatureSchema.IndexOf("max_parameter_entropy");
    public static readonly int RequestBodyEntropy = FeatureSchema.IndexOf("request_body_entropy");
    public static readonly int RequestBase64Share = FeatureSchema.IndexOf("request_base64_share");
    public static readonly int RequestHexShare = FeatureSchema.IndexOf("request_hex_share");
    public static readonly int LongestEncodedRun = FeatureSchema.IndexOf("longest_encoded_run");
    public static readonly int CodeTokens = FeatureSchema.IndexOf("code_tokens");
    public static readonly int CommandTokens = FeatureSchema.IndexOf("command_tokens");
    public static readonly int RequestBinaryShare = FeatureSchema.IndexOf("request_binary_share");
    public static readonly int MethodPost = FeatureSchema.IndexOf("method_post");
    public static readonly int MethodOther = FeatureSchema.IndexOf("method_other");
    public static readonly int ScriptExtension = FeatureSchema.IndexOf("script_extension");
    public static readonly int StaticExtension = FeatureSchema.IndexOf("static_extension");
    public static readonly int ScriptInAssetDirectory = FeatureSchema.IndexOf("script_in_asset_directory");
    public static readonly int RequestForm = FeatureSchema.IndexOf("request_form");
    public static readonly int RequestMultipart = FeatureSchema.IndexOf("request_multipart");
    public static readonly int RequestBinary = FeatureSchema.IndexOf("request_binary");
    public static readonly int RequestJson = FeatureSchema.IndexOf("request_json");
    public static readonly int RequestBodyLog = FeatureSchema.IndexOf("request_body_log");
    public static readonly int ResponseBodyLog = FeatureSchema.IndexOf("response_body_log");
    public static readonly int ResponseRequestRatio = FeatureSchema.IndexOf("response_request_ratio");
    public static readonly int Status3xx = FeatureSchema.IndexOf("status_3xx");
    public static readonly int Status4xx = FeatureSchema.IndexOf("status_4xx");
    public static readonly int Status5xx = FeatureSchema.IndexOf("status_5xx");
    public static readonly int NoReferer = FeatureSchema.IndexOf("no_referer");
    public static readonly int NoCookie = FeatureSchema.IndexOf("no_cookie");
    public static readonly int NoAcceptLanguage = FeatureSchema.IndexOf("no_accept_language");
    public static readonly int NoAccept = FeatureSchema.IndexOf("no_accept");
    public static readonly int HeaderCount = FeatureSchema.IndexOf("header_count");
    public static readonly int ParserAnomalies = FeatureSchema.IndexOf("parser_anomalies");
    public static readonly int ResponseHtml = FeatureSchema.IndexOf("response_html");
    public static readonly int ResponsePlainOrNone = FeatureSchema.IndexOf("response_plain_or_none");
    public static readonly int ResponseBinary = FeatureSchema.IndexOf("response_binary");
    public static readonly int ExtensionTypeMismatch = FeatureSchema.IndexOf("extension_type_mismatch");
    public static readonly int EmptyPost = FeatureSchema.IndexOf("empty_post");
    public static readonly int UnusualHeaders = FeatureSchema.IndexOf("unusual_headers");
    public static readonly int UploadsServerCode = FeatureSchema.IndexOf("uploads_server_code");
    public static readonly int ResponseCommandOutput = FeatureSchema.IndexOf("response_command_output");
    public static readonly int ResponseFramed = FeatureSchema.IndexOf("response_framed");
    public static readonly int ResponseBase64Share = FeatureSchema.IndexOf("response_base64_share");
    public static readonly int ResponseEntropy = FeatureSchema.IndexOf("response_entropy");
    public static readonly int ResponseBinaryShare = FeatureSchema.IndexOf("response_binary_share");
    public static readonly int ResponseHiddenComment = FeatureSchema.IndexOf("response_hidden_comment");
    public static readonly int PathNewOnKnownServer = FeatureSchema.IndexOf("path_new_on_known_server");
    public static readonly int PathOtherClients = FeatureSchema.IndexOf("path_other_clients");
    public static readonly int PathPostShare = FeatureSchema.IndexOf("path_post_share");
    public static readonly int PathUnlinked = FeatureSchema.IndexOf("path_unlinked");
    public static readonly int ResponseSizeDeviation = FeatureSchema.IndexOf("response_size_deviation");
    public static readonly int SessionRequestsLog = FeatureSchema.IndexOf("session_requests_log");
    public static readonly int SessionIntervalRegularity = FeatureSchema.IndexOf("session_interval_regularity");
    public static readonly int UnknownCookieName = FeatureSchema.IndexOf("unknown_cookie_name");
    public static readonly int UnknownParameters = FeatureSchema.IndexOf("unknown_parameters");
    public static readonly int SessionEvidence = FeatureSchema.IndexOf("session_evidence");
    public static readonly int ClientErrorPaths = FeatureSchema.IndexOf("client_error_paths");
    public static readonly int OpaquePostThread = FeatureSchema.IndexOf("opaque_post_thread");
    public static readonly int SqlInjection = FeatureSchema.IndexOf("sql_injection");
    public static readonly int ClientEvidence = FeatureSchema.IndexOf("client_evidence");
    public static readonly int NetworkTarget = FeatureSchema.IndexOf("network_target");
}
