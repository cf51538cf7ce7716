using System.Globalization;

namespace TrafficSensor.Detection;

/// <summary>TLS metadata alert reasons in plain words (see <see cref="ReasonText"/>): what the encrypted connection looked like.</summary>
public static class TlsReasonText
{
    /// <summary>One sentence for a TLS metadata feature; null for a feature of another schema.</summary>
    public static string? Describe(Reason reason)
    {
        var v = reason.Value;
        var normal = reason.Normal;
        string N(double x) => x.ToString(x == Math.Floor(x) ? "0" : "0.##", CultureInfo.InvariantCulture);
        string Share(double x) => x.ToString("0%", CultureInfo.InvariantCulture);
        return reason.Feature switch
        {
            "small_exchange_share" => $"{Share(v)} of the requests and their answers were both small (a command loop or tunnel polling; normally {Share(normal)})",
            "request_interval_regularity" => "the client sent its requests at a steady pace (a heartbeat or polling loop)",
            "request_interval_seconds" => $"requests every {N(v)} s on average (normally {N(normal)} s)",
            "client_server_connections" => $"this client opened {N(v)} connections to this server in the last two minutes (normally {N(normal)})",
            "client_server_short_share" => $"{Share(v)} of this client's recent connections to this server were short (one or two requests; normally {Share(normal)})",
            "client_server_start_regularity" => "this client opens connections to this server at a steady pace",
            "ja4_new_on_server" => "a TLS client fingerprint (JA4) this server has never seen",
            "ja4_rare_on_server" => $"a TLS client fingerprint (JA4) rare on this server ({Share(1 - v)} of its connections)",
            "ja4_other_clients" => v == 0 ? "no other client of this server uses this TLS fingerprint (JA4)" : $"few other clients of this server use this TLS fingerprint ({N(v)})",
            "exchanges" => $"{N(v)} requests on one connection (normally {N(normal)})",
            "request_bytes_cv" or "answer_bytes_cv" => $"the {(reason.Feature.StartsWith("request", StringComparison.Ordinal) ? "requests" : "answers")} all had about the same size (variation {N(v)}, normally {N(normal)})",
            "first_request_bytes" => $"a first request of {N(v)} bytes (normally {N(Math.Round(normal))})",
            "request_bytes_mean" => $"requests of {N(Math.Round(v))} bytes on average (normally {N(Math.Round(normal))})",
            "answer_bytes_mean" or "first_answer_bytes" or "max_answer_bytes" => $"answers of {N(Math.Round(v))} bytes (normally {N(Math.Round(normal))}): little comes back",
            "answer_request_log_ratio" => $"answers {N(Math.Exp(v))} times the size of the requests (normally {N(Math.Exp(normal))})",
            "duration_seconds" => $"a connection of {N(v)} s (normally {N(normal)} s)",
            "client_app_records" or "server_app_records" or "client_app_bytes" or "server_app_bytes" =>
                $"{reason.Feature.Replace('_', ' ')} {N(v)} (normally {N(Math.Round(normal))})",
            _ => null,
        };
    }
}
