using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Protocols;
using TrafficSensor.Tls;

namespace TrafficSensor.Pipeline;

/// <summary>
/// Judges each ended TLS connection with the TLS metadata model, in capture order; owned by the analysis
/// thread (<see cref="AnalysisWorker"/>), as is the judge's per-client and per-server state.
/// </summary>
internal sealed class TlsConnectionAnalyzer(TlsMetadataModel model)
{
    private readonly TlsConnectionJudge _judge = new(model.CreateScorer());

    public long Judged => _judge.Judged;
    public long Alerts => _judge.Alerts;

    /// <summary>The alert to write, or null when the connection is not judged (side unknown, no record) or does not alert.</summary>
    public AppRecord? Analyze(TlsConnectionEnd end)
    {
        if (TlsConnectionFacts.From(end.Key, end.Parser) is not { } connection) return null;
        var (_, verdict) = _judge.Judge(connection);
        return verdict is { Alert: true } ? new TlsConnectionAlert(end, connection, verdict) : null;
    }
}
