using CsCheck;
using Microsoft.ML;
using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Pipeline;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Detection;

/// <summary>
/// The bundled models' classifiers evaluated from their trees give ML.NET's probability to the bit: on the
/// standardised features of every lab transaction (as trained and with a site centre), on those rows with
/// features replaced by random values, and on random TLS rows. Any difference would change records.
/// </summary>
public class ClassifierTreesTests
{

    /// <summary>Standardised features of every lab sample transaction, with and without its server's learned centre.</summary>
    private static readonly Lazy<float[][]> LabRows = new(() =>
    {
        var output = new CollectingOutput();
        new SensorPipeline(new SensorOptions(), output).Replay(CaptureFileSet.Resolve([Path.Combine(TestPaths.ProjectPcaps, "lab", "samples")]));
        var extractor = new FeatureExtractor(new BehaviourState());
        var m = TestModels.Default.Metadata;
        var rows = new List<float[]>();
        foreach (var r in output.Records.Where(r => r.Transaction.Request is not null))
        {
            var f = extractor.Extract(r.Transaction, r.ClientAddress, r.ServerAddress, r.ServerPort);
            rows.Add(AnomalyModel.Standardise(f.Values, m.Mean, m.Scale));
            // A site centre halfway to the transaction itself moves descriptive features across other thresholds.
            var centre = f.Values.Select(FeatureScaling.Compress).ToArray();
            rows.Add(AnomalyModel.Standardise(f.Values, m.Mean, m.Scale, centre, 0.5f));
        }
        return [.. rows];
    });

    [Fact]
    public void Both_bundled_models_have_trees_evaluated_directly()
    {
        Assert.NotNull(TestModels.Default.ClassifierTrees);
        Assert.NotNull(TestModels.Tls.ClassifierTrees);
    }

    [Fact]
    public void Every_lab_transaction_gets_ML_NETs_probability_exactly()
    {
        var trees = TestModels.Default.ClassifierTrees!;
        var engine = TestModels.Default.CreateClassifierEngine();
        var rows = LabRows.Value;
        Assert.True(rows.Length > 1000, $"only {rows.Length} lab rows");
        var alerting = 0;
        foreach (var z in rows)
        {
            Assert.True(trees.Covers(z));
            var expected = engine.Predict(new ProjectionTraining.LabeledRow { Features = z });
            Assert.Equal(BitConverter.SingleToInt32Bits(expected.Score), BitConverter.SingleToInt32Bits(trees.Score(z)));
            Assert.Equal(BitConverter.SingleToInt32Bits(expected.Probability), BitConverter.SingleToInt32Bits(trees.Probability(z)));
            if (expected.Probability >= 0.5f) alerting++;
        }
        // Both sides of the decision are exercised: the lab holds web-shell sessions and benign traffic.
        Assert.InRange(alerting, 1, rows.Length - 1);
    }

    [Fact]
    public void Lab_rows_with_random_features_get_ML_NETs_probability_exactly()
    {
        var trees = TestModels.Default.ClassifierTrees!;
        var engine = TestModels.Default.CreateClassifierEngine();
        var rows = LabRows.Value;
        var changes = Gen.Select(Gen.Int[0, FeatureSchema.Count - 1], Gen.OneOf(Gen.Float[-100f, 100f], Gen.Float[-3f, 3f], Gen.Const(0f))).Array[1, 8];
        Gen.Select(Gen.Int[0, rows.Length - 1], changes).Sample((row, change) =>
        {
            var z = (float[])rows[row].Clone();
            foreach (var (i, v) in change) z[i] = v;
            AssertSameProbability(engine, trees, z);
        }, iter: 5000);
    }

    [Fact]
    public void Random_TLS_rows_get_ML_NETs_probability_exactly()
    {
        var trees = TestModels.Tls.ClassifierTrees!;
        var engine = TestModels.Tls.CreateClassifierEngine();
        var value = Gen.OneOf(Gen.Float[-100f, 100f], Gen.Float[-3f, 3f], Gen.Const(0f));
        value.Array[TlsFeatureSchema.Count].Sample(z => AssertSameProbability(engine, trees, z), iter: 5000);
    }

    private static void AssertSameProbability(PredictionEngine<ProjectionTraining.LabeledRow, ProjectionTraining.ClassifierPrediction> engine, ClassifierTrees trees, float[] z)
    {
        float expected;
        // CsCheck samples on several threads; a prediction engine serves one at a time.
        lock (engine) expected = engine.Predict(new ProjectionTraining.LabeledRow { Features = z }).Probability;
        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(trees.Probability(z)));
    }

    [Fact]
    public void A_row_with_a_NaN_is_left_to_ML_NET()
    {
        var z = new float[FeatureSchema.Count];
        Assert.True(TestModels.Default.ClassifierTrees!.Covers(z));
        z[3] = float.NaN;
        Assert.False(TestModels.Default.ClassifierTrees!.Covers(z));
        Assert.False(TestModels.Default.ClassifierTrees!.Covers(new float[FeatureSchema.Count + 1]));
    }
}
