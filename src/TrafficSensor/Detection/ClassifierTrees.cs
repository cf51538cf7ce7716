using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Trainers.FastTree;

namespace TrafficSensor.Detection;

/// <summary>
/// A trained FastTree classifier with its Platt calibrator, evaluated directly from the trees' public parameters
/// laid out in flat arrays: ML.NET's prediction engine spent ≈6 % of a replay with the model in its row, VBuffer
/// and closure machinery around the same tree walk (docs/performance.md, fifth round). ML.NET still trains and
/// stores the model; this only reads it, with ML.NET's arithmetic to the bit (Microsoft.ML.FastTree 5.0):
/// <list type="bullet">
/// <item>a tree sends a row left when <c>value &lt;= threshold</c> (floats; a NaN goes right), and a tree that is a single
/// leaf outputs 0 (<c>InternalRegressionTree.GetOutput</c>);</item>
/// <item>the score is the sum of the trees' leaf values in tree order, in a double starting at 0.0, with neither the tree
/// weights nor the ensemble's bias (<c>InternalTreeEnsemble.GetOutput(in VBuffer)</c>), cast to float;</item>
/// <item>the probability is <c>(float)(1 / (1 + Math.Exp(slope * score + offset)))</c> with the float score widened to
/// double, and NaN for a NaN score (<c>PlattCalibrator.PredictProbability</c>).</item>
/// </list>
/// A row with a NaN is left to ML.NET (a trained tree may replace a missing value with a per-node default that the public
/// parameters do not show), and so is a model this class does not describe (categorical splits, another calibrator): see
/// <see cref="TryOf"/>. A test compares both on every lab transaction and on random rows, bit for bit. Immutable: shared by scorers.
/// </summary>
internal sealed class ClassifierTrees
{
    // Nodes of all trees, numbered one after the other; a child below 0 is ~(index into _leafValues).
    private readonly int[] _feature;
    private readonly float[] _threshold;
    private readonly int[] _left;
    private readonly int[] _right;
    private readonly double[] _leafValues;
    // Each tree's first node, or ~leaf for a tree without splits (its leaf's value is 0, as ML.NET's output for it).
    private readonly int[] _roots;
    private readonly double _slope;
    private readonly double _offset;
    private readonly int _features;

    private ClassifierTrees(int[] feature, float[] threshold, int[] left, int[] right, double[] leafValues, int[] roots, double slope, double offset, int features)
    {
        (_feature, _threshold, _left, _right, _leafValues, _roots) = (feature, threshold, left, right, leafValues, roots);
        (_slope, _offset, _features) = (slope, offset, features);
    }

    /// <summary>
    /// The trees of <paramref name="classifier"/> when it is a FastTree binary classifier with a Platt calibrator and only
    /// numerical splits on features below <paramref name="features"/>; null otherwise (the caller keeps ML.NET's engine).
    /// </summary>
    public static ClassifierTrees? TryOf(ITransformer classifier, int features)
    {
        if (classifier is not IPredictionTransformer<CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator>> { Model: { } model })
            return null;
        var ensemble = model.SubModel.TrainedTreeEnsemble;
        var (feature, threshold, left, right) = (new List<int>(), new List<float>(), new List<int>(), new List<int>());
        var leafValues = new List<double>();
        var roots = new int[ensemble.Trees.Count];
        for (var t = 0; t < roots.Length; t++)
        {
            var tree = ensemble.Trees[t];
            var splits = tree.NumberOfNodes;
            if (splits == 0)
            {
                roots[t] = ~leafValues.Count;
                leafValues.Add(0.0);
                continue;
            }
            if (tree.CategoricalSplitFlags.Any(c => c) || tree.LeafValues.Count != splits + 1) return null;
            int nodeBase = feature.Count, leafBase = leafValues.Count;
            int Map(int child) => child >= 0 ? nodeBase + child : ~(leafBase + ~child);
            for (var n = 0; n < splits; n++)
            {
                var f = tree.NumericalSplitFeatureIndexes[n];
                if (f < 0 || f >= features) return null;
                feature.Add(f);
                threshold.Add(tree.NumericalSplitThresholds[n]);
                left.Add(Map(tree.LeftChild[n]));
                right.Add(Map(tree.RightChild[n]));
            }
            leafValues.AddRange(tree.LeafValues);
            roots[t] = nodeBase;
        }
        return new ClassifierTrees([.. feature], [.. threshold], [.. left], [.. right], [.. leafValues], roots,
            model.Calibrator.Slope, model.Calibrator.Offset, features);
    }

    /// <summary>Whether <see cref="Probability"/> answers for <paramref name="z"/> (false: a NaN, or another length; ask ML.NET).</summary>
    public bool Covers(ReadOnlySpan<float> z)
    {
        if (z.Length != _features) return false;
        foreach (var x in z)
            if (float.IsNaN(x)) return false;
        return true;
    }

    /// <summary>The calibrated probability ML.NET's prediction engine gives for <paramref name="z"/> (which <see cref="Covers"/>).</summary>
    public float Probability(ReadOnlySpan<float> z)
    {
        var score = Score(z);
        if (float.IsNaN(score)) return score;
        return (float)(1 / (1 + Math.Exp(_slope * score + _offset)));
    }

    /// <summary>The ensemble's uncalibrated output (ML.NET's "Score" column).</summary>
    public float Score(ReadOnlySpan<float> z)
    {
        double output = 0.0;
        foreach (var root in _roots)
        {
            var node = root;
            while (node >= 0) node = z[_feature[node]] <= _threshold[node] ? _left[node] : _right[node];
            output += _leafValues[~node];
        }
        return (float)output;
    }
}

/// <summary>
/// One thread's way to a classifier's probability: its trees evaluated directly (<see cref="ClassifierTrees"/>), and for
/// a row they leave to ML.NET, a prediction engine created on first need (an engine serves one thread).
/// </summary>
internal sealed class ClassifierProbability(ClassifierTrees? trees, MLContext ml, ITransformer classifier, int features)
{
    private PredictionEngine<ProjectionTraining.LabeledRow, ProjectionTraining.ClassifierPrediction>? _engine;
    private readonly ProjectionTraining.LabeledRow _row = new();

    public float Of(float[] z)
    {
        if (trees is not null && trees.Covers(z)) return trees.Probability(z);
        _row.Features = z;
        return (_engine ??= CreateEngine(ml, classifier, features)).Predict(_row).Probability;
    }

    /// <summary>ML.NET's prediction engine of <paramref name="classifier"/>, which takes rows of <paramref name="features"/> values.</summary>
    public static PredictionEngine<ProjectionTraining.LabeledRow, ProjectionTraining.ClassifierPrediction> CreateEngine(MLContext ml, ITransformer classifier, int features) =>
        ml.Model.CreatePredictionEngine<ProjectionTraining.LabeledRow, ProjectionTraining.ClassifierPrediction>(classifier,
            inputSchemaDefinition: ProjectionTraining.Schema<ProjectionTraining.LabeledRow>(features));
}
