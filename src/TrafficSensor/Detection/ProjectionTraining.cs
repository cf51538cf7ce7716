using Microsoft.ML;
using Microsoft.ML.Data;

namespace TrafficSensor.Detection;

/// <summary>
/// What both models (transactions and TLS connections) train the same way with ML.NET: the rows and their
/// schemas, the principal subspace of the benign traffic (RandomizedPca with a rank that fits the features
/// that vary), the FastTree classifier of labelled attacks, each family's centroid and the calibration of thresholds. Stateless.
/// </summary>
public static class ProjectionTraining
{
    /// <summary>ML.NET's input row (public: ML.NET generates code against it).</summary>
    public sealed class Row
    {
        public float[] Features { get; set; } = [];
    }

    /// <summary>A labelled row for the supervised classifier (true = web-shell traffic).</summary>
    public sealed class LabeledRow
    {
        public bool Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    /// <summary>The classifier's output row.</summary>
    public sealed class ClassifierPrediction
    {
        public float Probability { get; set; }
        public float Score { get; set; }
        public bool PredictedLabel { get; set; }
    }

    /// <summary>The schema of <typeparamref name="T"/> (<see cref="Row"/> or <see cref="LabeledRow"/>) with <paramref name="n"/> features.</summary>
    public static SchemaDefinition Schema<T>(int n)
    {
        var schema = SchemaDefinition.Create(typeof(T));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, n);
        return schema;
    }

    /// <summary>
    /// Fits the principal subspace of <paramref name="standardised"/> rows of <paramref name="n"/> features.
    /// The subspace cannot be larger than the number of features that vary in the training traffic (a small
    /// or uniform site has few, and too high a rank gives ML.NET NaNs): the rank starts at
    /// <paramref name="maxRank"/> (or fewer) and halves until the fit succeeds.
    /// </summary>
    public static ITransformer FitPca(MLContext ml, IEnumerable<float[]> standardised, int n, int varying, int maxRank, int seed, out int rank)
    {
        var data = ml.Data.LoadFromEnumerable(standardised.Select(z => new Row { Features = z }), Schema<Row>(n));
        rank = Math.Clamp(Math.Min(maxRank, varying - 1), 1, n - 1);
        for (; ; rank = Math.Max(1, rank / 2))
        {
            try
            {
                // Randomized PCA projects onto rank + oversampling random directions: they too must fit in the varying dimensions.
                var oversampling = Math.Clamp(varying - rank, 0, 20);
                return ml.AnomalyDetection.Trainers.RandomizedPca(featureColumnName: nameof(Row.Features), rank: rank, oversampling: oversampling,
                    ensureZeroMean: true, seed: seed).Fit(data);
            }
            catch (ArgumentOutOfRangeException e) when (rank > 1 && e.Message.Contains("NaN"))
            {
                // retry with a smaller subspace
            }
        }
    }

    /// <summary>A FastTree classifier of benign (false) against attack (true) standardised rows.</summary>
    public static ITransformer FitClassifier(MLContext ml, IEnumerable<float[]> benign, IEnumerable<float[]> attacks, int n, int leaves)
    {
        var rows = benign.Select(z => new LabeledRow { Label = false, Features = z })
            .Concat(attacks.Select(z => new LabeledRow { Label = true, Features = z }));
        return ml.BinaryClassification.Trainers.FastTree(labelColumnName: nameof(LabeledRow.Label), featureColumnName: nameof(LabeledRow.Features),
            numberOfLeaves: leaves, numberOfTrees: 100, minimumExampleCountPerLeaf: 5).Fit(ml.Data.LoadFromEnumerable(rows, Schema<LabeledRow>(n)));
    }

    /// <summary>The smallest threshold that leaves at most a share <paramref name="rate"/> of held-back benign scores at or above it.</summary>
    public static float Calibrate(IEnumerable<float> benignScores, double rate)
    {
        var scores = benignScores.Order().ToList();
        var allowed = (int)Math.Floor(rate * scores.Count);
        return MathF.BitIncrement(scores[Math.Max(0, scores.Count - 1 - allowed)]);
    }

    /// <summary>Each family's mean standardised features: an alert names the family it is nearest to.</summary>
    public static Dictionary<string, float[]> FamilyCentroids<T>(IEnumerable<(T Item, string Family)> attacks, Func<T, float[]> standardise, int n) =>
        attacks.GroupBy(a => a.Family).ToDictionary(g => g.Key, g =>
        {
            var centroid = new float[n];
            foreach (var (item, _) in g)
            {
                var z = standardise(item);
                for (var i = 0; i < n; i++) centroid[i] += z[i] / g.Count();
            }
            return centroid;
        });
}
