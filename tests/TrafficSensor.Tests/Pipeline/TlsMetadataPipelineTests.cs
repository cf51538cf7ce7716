using System.Collections.Concurrent;
using TrafficSensor.Detection;
using TrafficSensor.Evaluation;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;
using TrafficSensor.Protocols;
using TrafficSensor.Tests.TestSupport;
using TrafficSensor.Tls;

namespace TrafficSensor.Tests.Pipeline;

/// <summary>
/// The TLS metadata model in the pipeline (replay and live alike): TLS connections are followed to their end
/// without keys and judged on the analysis thread in capture order. The alerts are those the model gives when
/// the same connections are read on their own (TlsLabelledCorpus, the training path), the same for any number
/// of flow workers, and only alerts are written for them.
/// </summary>
public class TlsMetadataPipelineTests
{
    private static readonly string ModelPath = Path.Combine(TestPaths.RepositoryRoot, "models", "tls-default.zip");


    private static List<AppRecord> Replay(string pcap, TlsMetadataModel model, int workers)
    {
        var records = new AllRecords();
        var options = new SensorOptions { Pipeline = new PipelineOptions { Workers = workers } };
        new SensorPipeline(options, records) { TlsModel = model }.Replay([pcap]);
        return records.Records.ToList();
    }

    [Theory]
    [InlineData("webshells-php-tls13-gcm")]
    [InlineData("benign-tls13")]
    [InlineData("webshells-variants-tls12-gcm")]
    public void Connections_are_judged_at_their_end_as_the_model_judges_them_alone(string name)
    {
        var pcap = Path.Combine(TestPaths.ProjectPcaps, "tls", "lab", name + ".pcap");
        var model = TlsMetadataModel.Load(ModelPath);

        var judge = new TlsConnectionJudge(model.CreateScorer());
        var alone = TlsLabelledCorpus.ReadConnections(pcap)
            .Where(c => judge.Judge(c).Verdict is { Alert: true })
            .Select(c => $"{c.Client}:{c.ClientPort} {c.Server}:{c.ServerPort}").Order().ToList();

        var one = Replay(pcap, model, 1);
        var alerts = one.OfType<TlsConnectionAlert>().Select(a => $"{a.ClientAddress}:{a.ClientPort} {a.ServerAddress}:{a.ServerPort}").Order().ToList();
        Assert.Equal(alone, alerts);
        Assert.All(one.OfType<TlsConnectionAlert>(), a => Assert.Equal(TlsMetadataModel.Detector, a.Verdict.Detector));
        Assert.Empty(one.OfType<TlsConnectionEnd>()); // handed to the judge, never written

        var two = Replay(pcap, model, 2);
        Assert.Equal(one.Select(Describe), two.Select(Describe));
    }

    [Fact]
    public void Web_shell_sessions_over_tls_alert_without_keys()
    {
        var pcap = Path.Combine(TestPaths.ProjectPcaps, "tls", "lab", "webshells-php-tls13-gcm.pcap");
        var records = Replay(pcap, TlsMetadataModel.Load(ModelPath), 1);
        Assert.NotEmpty(records.OfType<TlsConnectionAlert>());
        Assert.Empty(records.OfType<TransactionRecord>()); // no keys: nothing decrypted
    }

    private static string Describe(AppRecord r) => r switch
    {
        TlsConnectionAlert a => $"alert {a.ClientAddress}:{a.ClientPort} {a.Verdict.Score:R}",
        TlsRecord t => $"tls {t.ClientAddress}:{t.ClientPort} {t.Metadata.Ja4}",
        _ => r.GetType().Name,
    };
}
