using TrafficSensor.Tls;

namespace TrafficSensor.Features;

/// <summary>One request and its answer as TLS shows them: a run of client application records and the server's that follow.</summary>
public readonly record struct TlsExchange(long RequestBytes, long AnswerBytes, long StartMicros);

/// <summary>
/// The record-size and timing features of one TLS connection (the first part of <see cref="TlsFeatureSchema"/>),
/// from its records alone. Application data is content type 23; in TLS 1.3 every encrypted record carries that
/// type, so the server's records before the client's first one (its encrypted handshake flight) and the
/// client's first one (its Finished) are left out: what remains is what the application sent. A request is
/// a run of client records, its answer the server's records until the client sends again. Pure: the same
/// records give the same features.
/// </summary>
public static class TlsShapeFeatures
{
    /// <summary>An exchange whose request and answer are both at most this long is "small" (a command and its output, a tunnel poll).</summary>
    public const int SmallExchangeBytes = 1500;

    /// <summary>The application records of a connection, in order (see the class comment for TLS 1.3).</summary>
    public static List<TlsRecordFact> ApplicationRecords(TlsConnectionFacts c)
    {
        var result = new List<TlsRecordFact>();
        var clientSeen = false;
        foreach (var r in c.Records)
        {
            if (r.ContentType != TlsWire.ApplicationData) continue;
            if (c.IsTls13 && !clientSeen)
            {
                if (r.FromClient) clientSeen = true; // the client's Finished
                continue;                            // or the server's encrypted handshake
            }
            result.Add(r);
        }
        return result;
    }

    public static List<TlsExchange> Exchanges(IReadOnlyList<TlsRecordFact> application)
    {
        var exchanges = new List<TlsExchange>();
        long request = 0, answer = 0, start = 0;
        var open = false;
        foreach (var r in application)
        {
            if (r.FromClient)
            {
                if (open && answer > 0)
                {
                    exchanges.Add(new TlsExchange(request, answer, start));
                    open = false;
                }
                if (!open) (request, answer, start, open) = (0, 0, r.TimestampMicros, true);
                request += r.Length;
            }
            else if (open) answer += r.Length;
        }
        if (open) exchanges.Add(new TlsExchange(request, answer, start));
        return exchanges;
    }

    /// <summary>Writes the shape and timing features of <paramref name="c"/> into <paramref name="f"/>.</summary>
    public static void Compute(TlsConnectionFacts c, TlsFeatureVector f)
    {
        var application = ApplicationRecords(c);
        var exchanges = Exchanges(application);
        f["client_app_records"] = application.Count(r => r.FromClient);
        f["server_app_records"] = application.Count(r => !r.FromClient);
        f["client_app_bytes"] = application.Where(r => r.FromClient).Sum(r => (float)r.Length);
        f["server_app_bytes"] = application.Where(r => !r.FromClient).Sum(r => (float)r.Length);
        f["exchanges"] = exchanges.Count;
        f["duration_seconds"] = c.Records.Count == 0 ? 0 : (c.EndMicros - c.StartMicros) / 1e6f;
        if (exchanges.Count == 0) return;
        f["first_request_bytes"] = exchanges[0].RequestBytes;
        f["first_answer_bytes"] = exchanges[0].AnswerBytes;
        var requests = exchanges.Select(e => (double)e.RequestBytes).ToList();
        var answers = exchanges.Select(e => (double)e.AnswerBytes).ToList();
        f["request_bytes_mean"] = (float)requests.Average();
        f["request_bytes_cv"] = (float)Variation(requests);
        f["answer_bytes_mean"] = (float)answers.Average();
        f["answer_bytes_cv"] = (float)Variation(answers);
        f["max_answer_bytes"] = (float)answers.Max();
        f["answer_request_log_ratio"] = (float)exchanges.Average(e => Math.Log((e.AnswerBytes + 1.0) / (e.RequestBytes + 1.0)));
        f["small_exchange_share"] = (float)exchanges.Count(e => e.RequestBytes <= SmallExchangeBytes && e.AnswerBytes <= SmallExchangeBytes) / exchanges.Count;
        if (exchanges.Count < 2) return;
        var gaps = new List<double>(exchanges.Count - 1);
        for (var i = 1; i < exchanges.Count; i++) gaps.Add((exchanges[i].StartMicros - exchanges[i - 1].StartMicros) / 1e6);
        f["request_interval_seconds"] = (float)gaps.Average();
        f["request_interval_regularity"] = (float)Regularity(gaps);
    }

    /// <summary>Coefficient of variation (population deviation over mean); 0 for fewer than two values or a zero mean.</summary>
    public static double Variation(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        var mean = values.Average();
        if (mean <= 0) return 0;
        var variance = values.Sum(v => (v - mean) * (v - mean)) / values.Count;
        return Math.Sqrt(variance) / mean;
    }

    /// <summary>1 / (1 + variation) of intervals, from three intervals on (fewer say nothing about regularity): 1 is a metronome.</summary>
    public static double Regularity(IReadOnlyList<double> intervals) => intervals.Count < 3 ? 0 : 1 / (1 + Variation(intervals));
}
