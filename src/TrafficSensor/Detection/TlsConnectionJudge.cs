using TrafficSensor.Features;

namespace TrafficSensor.Detection;

/// <summary>
/// Judges TLS connections without keys as they end: their metadata features (with the client's other
/// connections and the server's fingerprints), the TLS metadata model's verdict, and what the server learns
/// from a connection that did not alert (its JA4 joins the server's usual ones). Owned by the analysis
/// thread (the behaviour state and the scorer are not thread-safe).
/// </summary>
public sealed class TlsConnectionJudge(TlsMetadataModel.Scorer? scorer, TlsBehaviourState? state = null)
{
    public TlsBehaviourState State { get; } = state ?? new TlsBehaviourState();

    public long Judged { get; private set; }
    public long Alerts { get; private set; }

    public (TlsFeatureVector Features, Verdict? Verdict) Judge(TlsConnectionFacts connection)
    {
        var features = State.Observe(connection);
        var verdict = scorer?.Score(features);
        Judged++;
        if (verdict is { Alert: true }) Alerts++;
        else State.LearnFingerprint(connection);
        return (features, verdict);
    }
}
