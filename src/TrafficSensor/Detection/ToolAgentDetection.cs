using TrafficSensor.Features;

namespace TrafficSensor.Detection;

/// <summary>
/// Files a request whose User-Agent names an offensive tool by its default string (sqlmap, Nikto, gobuster, nuclei …:
/// <see cref="AttackToolAgents"/>) as <see cref="AlertKind.Scanner"/>: the tool says what it is, before any sign in
/// its requests does (sqlmap's first, untouched <c>GET /item.php?id=1</c>). A rule, not a model score; off with
/// <see cref="ScanOptions.ToolUserAgents"/>. An operator who sets another User-Agent is not seen by it.
/// </summary>
public static class ToolAgentDetection
{
    /// <summary>The feature name of the rule's reason (not a model feature).</summary>
    public const string ReasonFeature = "tool_user_agent";

    /// <summary>The verdict's detector when the User-Agent alone alerts.</summary>
    public const string Detector = "tool_agent";

    /// <summary>
    /// The verdict to report: the model's when it alerts as anything but a scanner (web-shell evidence wins) or when
    /// the User-Agent names no tool; else a scanner alert naming the tool.
    /// </summary>
    public static Verdict Apply(Verdict verdict, FeatureVector features, ScanOptions options)
    {
        if (!options.ToolUserAgents || features.AttackTool is not { } tool) return verdict;
        if (verdict.Alert && verdict.Kind != AlertKind.Scanner) return verdict;
        var reason = new Reason(ReasonFeature, 1, 0) { Tool = tool };
        // A scan already alerting (counted or scored) keeps its detector; the tool's name leads its reasons.
        return verdict.Alert
            ? verdict with { Reasons = [reason, .. verdict.Reasons.Take(3)] }
            : verdict with { Alert = true, Detector = Detector, Kind = AlertKind.Scanner, Resembles = null, Reasons = [reason] };
    }
}
