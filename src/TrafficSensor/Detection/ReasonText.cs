using System.Globalization;

namespace TrafficSensor.Detection;

/// <summary>Alert reasons in plain words, for the analyst who reads the alert before the features.</summary>
public static class ReasonText
{
    public static string KindName(AlertKind kind) => kind switch
    {
        AlertKind.WebShell => "web_shell",
        AlertKind.Tunnel => "tunnel",
        AlertKind.BackdoorModule => "backdoor_module",
        AlertKind.CodeUpload => "code_upload",
        _ => "scanner",
    };

    /// <summary>One sentence on what the feature's value means, with the normal it is compared to.</summary>
    public static string Describe(Reason reason)
    {
        var v = reason.Value;
        var normal = reason.ServerNormal ?? reason.Normal;
        var against = reason.ServerNormal is null ? "in the training traffic" : $"on this server ({reason.ServerTransactions} earlier transactions)";
        string N(double x) => x.ToString(x == Math.Floor(x) ? "0" : "0.##", CultureInfo.InvariantCulture);
        string Share(double x) => x.ToString("0%", CultureInfo.InvariantCulture);
        return reason.Feature switch
        {
            "code_tokens" => $"server-side code in the request ({N(v)} constructs such as eval(, base64_decode or Runtime.getRuntime)",
            "command_tokens" => $"operating-system commands in the request ({N(v)}, such as whoami, uname or ls -la)",
            "uploads_server_code" => "the request uploads server-side code (a script file or <?php / <% markup)",
            "response_command_output" => $"the answer contains command output ({N(v)} markers such as uid=…(…), directory listings or uname output)",
            "response_framed" => "the answer is wrapped in markers, the way web-shell clients cut out their results",
            "response_hidden_comment" => "the answer hides base64 data in an HTML comment",
            "unknown_cookie_name" => "a cookie the server never set and no other client sends (the trigger of cookie-keyed backdoor modules)",
            "response_binary" => "binary bytes answered as text: an encrypted channel behind a script",
            "script_in_asset_directory" => "a script in a directory for images, uploads or other static files",
            "extension_type_mismatch" => "the file's extension and the answer's content type disagree (a script disguised as an image)",
            "session_evidence" => "earlier requests of this client to this path already carried web-shell evidence",
            "parser_anomalies" => $"{N(v)} HTTP protocol violations (hand-written clients, evasion)",
            "path_new_on_known_server" => "one of the first requests to a path this server never served before",
            "path_other_clients" => v == 0 ? "no other client uses this path" : $"few other clients use this path ({N(Math.Round(Math.Exp(v) - 1))})",
            "path_unlinked" => "no page links to this path and the request has no referring page",
            "path_post_share" => $"{Share(v)} of the requests to this path are POSTs (normally {Share(normal)})",
            "unknown_parameters" => $"{N(v)} parameter names no other client of this server uses",
            "unusual_headers" => $"{N(v)} request headers that neither browsers nor other clients of this server send",
            "method_other" => "a method no other client of this server uses",
            ScanDetection.ReasonFeature => $"refused on {N(v)} distinct paths of this server in {N(Math.Round(reason.WindowMinutes ?? 0, 1))} minutes (at least {N(reason.Normal)} make a scan: guessing paths)",
            ToolAgentDetection.ReasonFeature => $"User-Agent names the attack tool {reason.Tool}",
            "client_error_paths" => $"this client was refused on {N(Math.Round(Math.Exp(v) - 1) + Features.FeatureExtractor.ClientErrorPathAllowance)} different paths of this server (guessing paths)",
            "opaque_post_thread" => $"a burst of POSTs without a form or document (empty, raw binary or encoded; {N(v)} more in the last 30 s) from one client to a script nobody else uses: a tunnel or an encrypted shell",
            "sql_injection" => $"SQL injected into {N(v)} parameter(s): a value closes a number or string and goes on in SQL",
            "network_target" => "a POST without a form or document names a host and port for the server to connect to: a tunnel opening a connection",
            "client_evidence" => "this client already sent web-shell evidence to this server and now requests a script no other client asked for",
            "session_interval_regularity" => "the client polls this path at regular intervals with small answers (tunnel or heartbeat)",
            "session_requests_log" => $"{N(Math.Round(Math.Exp(v) - 1))} earlier requests of this client to this path",
            "empty_post" => "a POST without a body",
            "request_binary" => "a raw binary request body",
            "longest_encoded_run" => $"an encoded blob of {N(Math.Round(Math.Exp(v) - 1))} characters in the request (normally {N(Math.Round(Math.Exp(normal) - 1))} {against})",
            _ => TlsReasonText.Describe(reason) ?? $"{reason.Feature.Replace('_', ' ')} is {N(v)} (normally {N(normal)} {against})",
        };
    }
}
