using TrafficSensor.Detection;
using TrafficSensor.Evaluation;
using TrafficSensor.Features;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Evaluation;

/// <summary>Leave-one-family-out of the TLS metadata model on the committed lab HTTPS sample (pcaps/tls/model).</summary>
public class TlsHoldOutTests
{
    private static readonly string Folder = Path.Combine(TestPaths.ProjectPcaps, "tls", "model");

    private static readonly Lazy<List<LabelledTlsConnection>> Sample = new(() => TlsLabelledCorpus.Load([Folder], out _));

    [Fact]
    public void Every_connection_of_the_sample_is_labelled_by_the_lab()
    {
        var data = Sample.Value;
        Assert.True(data.Count >= 100);
        Assert.All(data, d => Assert.NotNull(d.Label));
        var families = data.Where(d => !d.Label!.IsBenign).Select(d => d.Label!.Family).Distinct().Order().ToList();
        Assert.Equal(["chopper", "cmd", "godzilla", "iis-module", "regeorg", "suo5"], families);
    }

    [Fact]
    public void Each_family_is_held_out_of_training_and_tested_with_held_out_benign_connections()
    {
        var data = Sample.Value;
        var results = TlsHoldOut.LeaveOneFamilyOut(data, 5e-3);
        var attacks = data.Where(d => !d.Label!.IsBenign).ToList();
        Assert.Equal(attacks.Select(a => a.Label!.Family).Distinct().Count(), results.Count);
        foreach (var r in results)
        {
            Assert.Equal(attacks.Count(a => a.Label!.Family == r.Family), r.Connections);
            Assert.InRange(r.Caught, 0, r.Connections);
            Assert.InRange(r.SessionsCaught, 0, r.Sessions);
            Assert.Equal(data.Count(d => d.Label!.IsBenign && TlsHoldOut.IsHeldOutBenign(d.Facts)), r.Benign);
            Assert.InRange(r.FalsePositives, 0, r.Benign);
        }
        Assert.True(results[0].Benign >= 20, $"{results[0].Benign} held-out benign connections");
        // Web-shell command loops over one long connection stand out from browsing even when their family was never seen.
        Assert.True(results.Sum(r => r.Caught) > results.Sum(r => r.Connections) / 2, string.Join("; ", results));
    }

    [Fact]
    public void A_saved_model_loads_and_judges_as_before_and_its_alerts_give_plain_reasons()
    {
        var data = Sample.Value;
        var model = TlsHoldOut.Train(data, "tls-test", 5e-3);
        var path = Path.Combine(Path.GetTempPath(), $"tm-tls-model-{Guid.NewGuid():N}.zip");
        try
        {
            model.Save(path);
            var loaded = TlsMetadataModel.Load(path);
            var (a, b) = (model.CreateScorer(), loaded.CreateScorer());
            foreach (var d in data)
            {
                var (x, y) = (a.Score(d.Features), b.Score(d.Features));
                Assert.Equal(x.Score, y.Score, 4);
                Assert.Equal(x.Alert, y.Alert);
            }
            var alert = data.Select(d => b.Score(d.Features)).First(v => v.Alert);
            Assert.Equal(TlsMetadataModel.Detector, alert.Detector);
            Assert.NotEmpty(alert.Reasons);
            Assert.All(alert.Reasons, r => Assert.NotNull(TlsReasonText.Describe(r)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_tls_alert_is_an_eve_alert_with_the_ml_section_and_reasons_in_words()
    {
        var data = Sample.Value;
        var model = TlsHoldOut.Train(data, "tls-test", 5e-3);
        var judge = new TlsConnectionJudge(model.CreateScorer());
        var path = Path.Combine(Path.GetTempPath(), $"tm-tls-alerts-{Guid.NewGuid():N}.json");
        try
        {
            using (var log = TrafficSensor.Output.JsonLinesLog.Open(path))
            {
                var writer = new TrafficSensor.Output.TlsAlertWriter(log);
                foreach (var d in data)
                {
                    var (_, verdict) = judge.Judge(d.Facts);
                    writer.Write(d.Facts, verdict!);
                }
            }
            var lines = File.ReadAllLines(path);
            Assert.Equal(judge.Alerts, lines.Length);
            Assert.True(lines.Length > 0);
            using var doc = System.Text.Json.JsonDocument.Parse(lines[0]);
            var root = doc.RootElement;
            Assert.Equal("alert", root.GetProperty("event_type").GetString());
            Assert.Equal("tls", root.GetProperty("app_proto").GetString());
            Assert.StartsWith("t13", root.GetProperty("tls").GetProperty("ja4").GetString());
            var ml = root.GetProperty("ml");
            Assert.Equal("tls-metadata", ml.GetProperty("detector").GetString());
            Assert.True(ml.GetProperty("score").GetDouble() >= 0);
            Assert.All(ml.GetProperty("reasons").EnumerateArray(), r => Assert.DoesNotContain("_", r.GetProperty("text").GetString()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_bundled_model_loads_for_this_schema_and_judges_the_sample()
    {
        var model = TlsMetadataModel.Load(Path.Combine(TestPaths.RepositoryRoot, "models", "tls-default.zip"));
        Assert.Equal(TlsFeatureSchema.Version, model.Info.FeatureSchemaVersion);
        var scorer = model.CreateScorer();
        var verdicts = Sample.Value.Select(d => (d.Label!, Verdict: scorer.Score(d.Features))).ToList();
        // Trained on the corpus the sample was cut from: web-shell connections alert, most benign ones do not.
        Assert.Contains(verdicts, v => !v.Item1.IsBenign && v.Verdict.Alert);
        Assert.True(verdicts.Count(v => v.Item1.IsBenign && v.Verdict.Alert) < verdicts.Count(v => v.Item1.IsBenign) / 10);
    }

    [Fact]
    public void A_model_for_other_features_is_refused_with_a_clear_message()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tm-not-a-model-{Guid.NewGuid():N}.zip");
        try
        {
            File.WriteAllText(path, "not a zip");
            var e = Assert.Throws<ModelException>(() => TlsMetadataModel.Load(path));
            Assert.Contains("not a usable TLS model", e.Message);
            Assert.Throws<ModelException>(() => TlsMetadataModel.Load(Path.Combine(TestPaths.RepositoryRoot, "models", "default.zip")));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
