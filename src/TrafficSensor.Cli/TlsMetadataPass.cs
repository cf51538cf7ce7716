using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Evaluation;
using TrafficSensor.Output;

namespace TrafficSensor.Cli;

/// <summary>
/// Interim wiring of the TLS metadata model into replay, kept in this one place: until the seam's TLS session
/// hands each TLS connection's end (its parser's record shape, <see cref="Features.TlsConnectionFacts.From"/>) to
/// the analysis thread, replay reads the captures a second time with the sensor's decoder, TCP reassembly and TLS
/// parser (no keys), judges every TLS connection in order of its end with one <see cref="TlsConnectionJudge"/>,
/// and appends the alerts to the alert log after the HTTP ones. Standard input and FIFOs cannot be read twice and are
/// skipped; live capture does not judge TLS connections yet.
/// </summary>
internal static class TlsMetadataPass
{
    public static void Run(IReadOnlyList<string> files, SensorOutputs outputs, EveOptions eve, CaptureFileSetResult captures, bool quiet, CancellationToken cancel)
    {
        if (outputs.TlsModel is not { } model || outputs.Alerts is not { } alerts) return;
        var writer = new TlsAlertWriter(alerts.Log, eve, new EveSource(null, captures.FileOf));
        var judge = new TlsConnectionJudge(model.CreateScorer());
        foreach (var file in files)
        {
            if (cancel.IsCancellationRequested) return;
            // A second pass needs the bytes again: standard input and FIFOs are read once (their TLS connections are not judged).
            if (file == "-" || FileIdentity.Of(file).Kind == FileKind.Stream) continue;
            List<Features.TlsConnectionFacts> connections;
            try
            {
                connections = TlsLabelledCorpus.ReadConnections(file);
            }
            catch (IOException e)
            {
                Console.Warn($"TLS metadata: {e.Message}");
                continue;
            }
            foreach (var c in connections)
            {
                var (_, verdict) = judge.Judge(c);
                if (verdict is { Alert: true }) writer.Write(c, verdict);
            }
        }
        if (!quiet && judge.Judged > 0)
            System.Console.Error.WriteLine($"trafficsensor: {judge.Judged} TLS connection(s) judged without keys by '{model.Name}', {judge.Alerts} alert(s)");
    }
}
