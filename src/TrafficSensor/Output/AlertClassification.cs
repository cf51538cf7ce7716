using TrafficSensor.Detection;

namespace TrafficSensor.Output;

/// <summary>How a model verdict is filed as an alert: one place for the EVE writer and the metrics.</summary>
public static class AlertClassification
{
    public const string Category = "T1505.003 Web Shell";
    public const int SignatureId = 9_150_501;
    public const string Signature = "TrafficSensor anomalous server-side component traffic (possible web shell / tunnel / backdoor module)";

    /// <summary>1 (high) when the score is at least twice the threshold, else 2 (medium).</summary>
    public static int Severity(Verdict verdict) => verdict.Score >= 2 * verdict.Threshold ? 1 : 2;
}
