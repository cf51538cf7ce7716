using Microsoft.ML;
using Microsoft.ML.Data;
using System.Runtime.CompilerServices;

namespace TrafficSensor.Detection;

/// <summary>
/// The principal subspace of a fitted ML.NET PCA (its centre and orthonormal axes) and the distance of a
/// standardised vector from it: the anomaly score of both models (transactions and TLS connections),
/// computed directly rather than through ML.NET's length-normalised score. Immutable: shared by scorers.
/// </summary>
internal sealed class PrincipalSubspace
{
    private readonly float[] _center;
    private readonly float[][] _axes;

    private PrincipalSubspace(float[] center, float[][] axes)
    {
        _center = center;
        _axes = axes;
    }

    /// <param name="what">Names the model in the error when the transformer is not a PCA.</param>
    public static PrincipalSubspace Of(ITransformer transformer, int dimensions, string what)
    {
        // A freshly trained and a loaded transformer differ in their generic type; the model inside is the same.
        if (transformer is not IPredictionTransformer<object> { Model: Microsoft.ML.Trainers.PcaModelParameters pca })
            throw new ModelException($"{what} is not an ML.NET PCA model ({transformer.GetType().Name})");
        var mean = default(VBuffer<float>);
        pca.GetMean(ref mean);
        VBuffer<float>[] vectors = [];
        pca.GetEigenVectors(ref vectors, out var rank);
        var center = new float[dimensions];
        if (mean.Length == dimensions) mean.CopyTo(center);
        var axes = vectors.Take(rank).Select(v =>
        {
            var axis = new float[dimensions];
            v.CopyTo(axis);
            return axis;
        }).ToArray();
        return new PrincipalSubspace(center, axes);
    }

    /// <summary>Distance from the principal subspace: ‖d − Σ⟨d, vₖ⟩vₖ‖ with d = z − centre.</summary>
    [SkipLocalsInit] // d[i] is written for every i before any is read
    public float Residual(float[] z)
    {
        double norm2 = 0;
        // On the stack: called for every transaction, on the analysis thread (the schema has ≈60 features).
        var d = z.Length <= 256 ? stackalloc double[z.Length] : new double[z.Length];
        for (var i = 0; i < z.Length; i++)
        {
            d[i] = z[i] - _center[i];
            norm2 += d[i] * d[i];
        }
        double projected2 = 0;
        foreach (var axis in _axes)
        {
            double c = 0;
            for (var i = 0; i < d.Length; i++) c += d[i] * axis[i];
            projected2 += c * c;
        }
        return (float)Math.Sqrt(Math.Max(0, norm2 - projected2));
    }
}
