using TrafficSensor.Detection;

namespace TrafficSensor.Output;

/// <summary>How a model verdict is filed as an alert: one place for the EVE writer and the metrics.</summary>
public static class AlertClassification
{
    /// <summary>The category of every alert kind, as the EVE alert's <c>category</c> and the metrics' label.</summary>
    public static string Category(AlertKind kind) => kind switch
    {
        AlertKind.Tunnel => "T1505.003 Web Shell (tunnel)",
        AlertKind.BackdoorModule => "T1505.004 IIS Components (backdoor module)",
        AlertKind.CodeUpload => "T1505.003 Web Shell (upload of server-side code)",
        AlertKind.Scanner => "T1595.003 Wordlist Scanning (scanner or probe)",
        _ => "T1505.003 Web Shell",
    };

    public static readonly IReadOnlyList<string> Categories = Enum.GetValues<AlertKind>().Select(Category).ToArray();

    /// <summary>Severities, 1 (confident) to 3 (doubtful), as the metrics' label values.</summary>
    public static readonly IReadOnlyList<int> Severities = [1, 2, 3];

    public static int SignatureId(AlertKind kind) => 9_150_501 + (int)kind;

    public static string Signature(AlertKind kind, string? resembles) => kind switch
    {
        AlertKind.Tunnel => "TrafficSensor web-shell tunnel traffic" + Like(resembles),
        AlertKind.BackdoorModule => "TrafficSensor backdoor server module triggered on an ordinary page",
        AlertKind.CodeUpload => "TrafficSensor upload of server-side code to the web application",
        AlertKind.Scanner => "TrafficSensor path scanning (directory brute force, vulnerability scanner or web-shell stager probing)",
        _ => "TrafficSensor web-shell command traffic" + Like(resembles),
    };

    private static string Like(string? family) => family is null ? "" : $" (resembles {family})";

    /// <summary>
    /// 1 when the transaction carries evidence that holds on any site (code, commands, command output, a
    /// framed answer, an uploaded script), or both detectors agree, or the score is twice the threshold;
    /// 3 for a scan without such evidence or a score barely over the threshold from one detector alone;
    /// else 2.
    /// </summary>
    public static int Severity(Verdict verdict, Features.FeatureVector? features)
    {
        var evidence = features is not null && AlertKinds.HasDirectEvidence(features);
        if (evidence || verdict.Detector == "both" || verdict.Score >= 2 * verdict.Threshold) return 1;
        if (verdict.Kind == AlertKind.Scanner) return 3;
        var margin = Math.Max(verdict.Score / verdict.Threshold, (verdict.Probability ?? 0) / (verdict.ClassifierThreshold ?? float.PositiveInfinity));
        return margin < 1.25 ? 3 : 2;
    }

    /// <summary>The key of an alert thread: one per client and path, or one per client for a scanner guessing paths.</summary>
    public static (Decoding.IpAddress Client, Decoding.IpAddress Server, ushort Port, string Path) ThreadKey(TransactionRecord record)
    {
        if (record.Verdict?.Kind == AlertKind.Scanner) return (record.ClientAddress, record.ServerAddress, record.ServerPort, "*");
        var target = record.Transaction.Request?.Target ?? "";
        var q = target.IndexOf('?');
        return (record.ClientAddress, record.ServerAddress, record.ServerPort, q >= 0 ? target[..q] : target);
    }
}
