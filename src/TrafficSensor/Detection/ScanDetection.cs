using TrafficSensor.Features;

namespace TrafficSensor.Detection;

/// <summary>
/// Section "scan": when a client's refused requests read as a scan. Counted, not scored (the way Zeek's
/// scan detection works): a client refused (4xx) on at least <see cref="MinRefusedPaths"/> distinct paths
/// of one server within <see cref="Window"/> is guessing, and its refused requests from then on alert as
/// <see cref="AlertKind.Scanner"/>, unless the model files them as something else.
/// </summary>
public sealed record ScanOptions
{
    /// <summary>
    /// Distinct refused paths that make a scan. Measured on the evaluation corpus (96,426 benign transactions
    /// of 19 applications): no benign client is refused on more than 17 distinct paths of a server within
    /// 5 minutes (REST APIs probing optional resources, WebDAV clients, Flask's 404s); dirb, gobuster and the
    /// lab's other scanners pass 30 in their first seconds. At most <see cref="BehaviourState.MaxErrorPathsTracked"/>
    /// (a client's paths beyond it are not remembered); 0 turns the rule off.
    /// </summary>
    public int MinRefusedPaths { get; init; } = 30;

    /// <summary>
    /// The time (packet time) within which the refused paths count together: a scan slower than
    /// <see cref="MinRefusedPaths"/> per window is not seen. Longer windows let benign clients add up (measured
    /// benign maximum: 10 paths in 1 minute, 17 in 5, 18 in 10, 31 in 30); the lab's scanners reach the
    /// threshold as quickly with a 1-minute window as with a 30-minute one.
    /// </summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMicroseconds(BehaviourState.DefaultScanWindowMicros);

    /// <summary>
    /// Whether a request whose User-Agent names an offensive tool by its default string (sqlmap, Nikto, gobuster,
    /// nuclei …) alerts as a scanner (<see cref="ToolAgentDetection"/>). None of the evaluation corpus's 96,426
    /// benign transactions carries such a User-Agent; turn it off where an authorised scanner runs all day, or
    /// suppress it for that client (<c>detector: tool_agent</c>).
    /// </summary>
    public bool ToolUserAgents { get; init; } = true;
}

/// <summary>Files a client's refused requests as a scan once it has been refused on enough distinct paths (see <see cref="ScanOptions"/>).</summary>
public static class ScanDetection
{
    /// <summary>The feature name of the scan rule's reason (not a model feature: the rule's own count).</summary>
    public const string ReasonFeature = "scan_refused_paths";

    /// <summary>The verdict's detector when the count alone alerts.</summary>
    public const string Detector = "scan";

    /// <summary>
    /// The verdict to report: the model's when it alerts as anything but a scanner (web-shell evidence wins)
    /// or when the transaction is no scan; else a scanner alert from the count.
    /// </summary>
    public static Verdict Apply(Verdict verdict, FeatureVector features, ScanOptions options)
    {
        var refused = features.RecentRefusedPaths;
        if (options.MinRefusedPaths <= 0 || refused < options.MinRefusedPaths) return verdict;
        if (verdict.Alert && verdict.Kind != AlertKind.Scanner) return verdict;
        if (AlertKinds.HasDirectEvidence(features)) return verdict;
        var reason = new Reason(ReasonFeature, refused, options.MinRefusedPaths) { WindowMinutes = options.Window.TotalMinutes };
        // A scan the model alerted on too keeps its detector and reasons after the count.
        return verdict.Alert
            ? verdict with { Reasons = [reason, .. verdict.Reasons.Take(3)] }
            : verdict with { Alert = true, Detector = Detector, Kind = AlertKind.Scanner, Resembles = null, Reasons = [reason] };
    }
}
