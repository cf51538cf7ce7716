using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using TrafficSensor.Features;

using static TrafficSensor.Detection.ProjectionTraining;

namespace TrafficSensor.Detection;

/// <summary>
/// The model of TLS connections judged without keys (<see cref="TlsFeatureSchema"/>): an ML.NET RandomizedPca
/// anomaly detector fitted on benign connections, plus, when trained with labelled web-shell connections, a
/// FastTree classifier; each alerts on its own threshold, calibrated on benign connections held back from
/// training to a target false-positive rate per connection. As for transactions (<see cref="AnomalyModel"/>),
/// features are log-compressed and standardised with floored deviations, and the anomaly score is the
/// distance from the principal subspace, not ML.NET's length-normalised score. Its own file
/// (models/tls-default.zip) and its own schema version.
/// </summary>
public sealed class TlsMetadataModel
{
    public const string Detector = "tls-metadata";
    private const string PcaEntry = "mlnet-pca.zip";
    private const string ClassifierEntry = "mlnet-classifier.zip";
    private const string MetadataEntry = "trafficsensor-tls-model.json";

    /// <summary>Smallest deviation of a feature, in log-compressed units: a value the training traffic never varied in is not an alert by itself.</summary>
    public const double ScaleFloor = 0.5;

    private readonly MLContext _ml;
    private readonly ITransformer _pca;
    private readonly ITransformer? _classifier;
    private readonly ClassifierTrees? _classifierTrees;
    private readonly PrincipalSubspace _subspace;

    public sealed record Metadata(string Name, string FeatureSchemaVersion, string[] FeatureNames, float[] Mean, float[] Scale, float[] RawMean,
        float Threshold, float? ClassifierThreshold, double TargetFalsePositiveRate, int Rank, int TrainingRows, int CalibrationRows,
        int ClassifierPositives, string[] ClassifierFamilies, Dictionary<string, float[]>? FamilyCentroids, DateTime CreatedUtc);

    public Metadata Info { get; }
    public string Name => Info.Name;
    public float Threshold => Info.Threshold;

    private TlsMetadataModel(MLContext ml, ITransformer pca, ITransformer? classifier, Metadata info)
    {
        _ml = ml;
        _pca = pca;
        _classifier = classifier;
        Info = info;
        _subspace = PrincipalSubspace.Of(pca, TlsFeatureSchema.Count, "the TLS model's anomaly detector");
        _classifierTrees = classifier is null ? null : ClassifierTrees.TryOf(classifier, TlsFeatureSchema.Count);
    }

    public static TlsMetadataModel Train(IReadOnlyList<TlsFeatureVector> benign, string name, double targetFalsePositiveRate = 1e-2, int seed = 1,
        IReadOnlyList<(TlsFeatureVector Features, string Family)>? attacks = null)
    {
        if (benign.Count < 40) throw new ModelException($"too few benign TLS connections to train on: {benign.Count} (at least 40)");
        var random = new Random(seed);
        var shuffled = benign.OrderBy(_ => random.Next()).ToList();
        var calibration = shuffled.Take(Math.Max(20, shuffled.Count / 4)).ToList();
        var training = shuffled.Skip(calibration.Count).ToList();
        var n = TlsFeatureSchema.Count;
        var mean = new float[n];
        var scale = new float[n];
        var rawMean = new float[n];
        for (var i = 0; i < n; i++)
        {
            rawMean[i] = (float)training.Average(v => (double)v.Values[i]);
            var values = training.Select(v => (double)FeatureScaling.Compress(v.Values[i])).ToList();
            var m = values.Average();
            mean[i] = (float)m;
            scale[i] = (float)Math.Max(ScaleFloor, Math.Sqrt(values.Sum(x => (x - m) * (x - m)) / Math.Max(1, values.Count - 1)));
        }

        var ml = new MLContext(seed);
        var varying = Enumerable.Range(0, n).Count(i => training.Any(v => v.Values[i] != training[0].Values[i]));
        var pca = ProjectionTraining.FitPca(ml, training.Select(v => Standardise(v, mean, scale)), n, varying, maxRank: 8, seed, out var rank);

        ITransformer? classifier = null;
        Dictionary<string, float[]>? centroids = null;
        if (attacks is { Count: >= 10 })
        {
            classifier = ProjectionTraining.FitClassifier(ml, training.Select(v => Standardise(v, mean, scale)),
                attacks.Select(a => Standardise(a.Features, mean, scale)), n, leaves: 8);
            centroids = ProjectionTraining.FamilyCentroids(attacks, f => Standardise(f, mean, scale), n);
        }

        var info = new Metadata(name, TlsFeatureSchema.Version, TlsFeatureSchema.Names, mean, scale, rawMean, float.PositiveInfinity,
            classifier is null ? null : float.PositiveInfinity, targetFalsePositiveRate, rank, training.Count, calibration.Count,
            attacks?.Count ?? 0, attacks?.Select(a => a.Family).Distinct().Order().ToArray() ?? [], centroids, DateTime.UtcNow);
        var provisional = new TlsMetadataModel(ml, pca, classifier, info);
        var scorer = provisional.CreateScorer();
        var verdicts = calibration.Select(scorer.Score).ToList();
        var threshold = Calibrate(verdicts.Select(v => v.Score), targetFalsePositiveRate);
        // More sure than not as well: on benign connections most probabilities are near 0, and the quantile alone could pass anything.
        float? classifierThreshold = classifier is null ? null : Math.Max(0.5f, Calibrate(verdicts.Select(v => v.Probability ?? 0), targetFalsePositiveRate));
        return new TlsMetadataModel(ml, pca, classifier, info with { Threshold = threshold, ClassifierThreshold = classifierThreshold });
    }

    internal static float[] Standardise(TlsFeatureVector f, float[] mean, float[] scale)
    {
        var z = new float[f.Values.Length];
        for (var i = 0; i < z.Length; i++) z[i] = Math.Clamp((FeatureScaling.Compress(f.Values[i]) - mean[i]) / scale[i], -100f, 100f);
        return z;
    }

    public void Save(string path) => ModelArchive.Save(path, _ml,
    [
        (PcaEntry, _pca, _ml.Data.LoadFromEnumerable(Array.Empty<Row>(), Schema<Row>(TlsFeatureSchema.Count)).Schema),
        (ClassifierEntry, _classifier, _ml.Data.LoadFromEnumerable(Array.Empty<LabeledRow>(), Schema<LabeledRow>(TlsFeatureSchema.Count)).Schema),
    ], MetadataEntry, Info);

    public static TlsMetadataModel Load(string path) => ModelArchive.Open(path, "TLS model", zip =>
    {
        var metaEntry = zip.GetEntry(MetadataEntry) ?? throw new ModelException($"{path} is not a TrafficSensor TLS metadata model (no {MetadataEntry})");
        var info = ModelArchive.ReadMetadata<Metadata>(metaEntry, path);
        if (info.FeatureSchemaVersion != TlsFeatureSchema.Version || !info.FeatureNames.SequenceEqual(TlsFeatureSchema.Names))
            throw new ModelException($"{path} was trained for TLS features '{info.FeatureSchemaVersion}', this sensor computes '{TlsFeatureSchema.Version}': retrain it with 'trafficsensor tls-model'");
        if (info.Mean.Length != TlsFeatureSchema.Count || info.Scale.Length != TlsFeatureSchema.Count || info.RawMean.Length != TlsFeatureSchema.Count)
            throw new ModelException($"{path}: model metadata does not match its feature list");
        var ml = new MLContext(1);
        var pca = ModelArchive.ReadTransformer(ml, zip.GetEntry(PcaEntry) ?? throw new ModelException($"{path} has no anomaly model ({PcaEntry})"));
        var classifier = ModelArchive.ReadClassifier(ml, zip, ClassifierEntry, info.ClassifierThreshold, path);
        return new TlsMetadataModel(ml, pca, classifier, info);
    });

    /// <summary>A scorer for one thread (ML.NET prediction engines are not thread-safe).</summary>
    public Scorer CreateScorer() => new(this);

    /// <summary>The classifier's trees evaluated directly, or null (no classifier, or one they cannot describe).</summary>
    internal ClassifierTrees? ClassifierTrees => _classifierTrees;

    /// <summary>An ML.NET prediction engine of the classifier (for a row <see cref="ClassifierTrees"/> leaves to ML.NET).</summary>
    internal PredictionEngine<LabeledRow, ClassifierPrediction> CreateClassifierEngine() =>
        ClassifierProbability.CreateEngine(_ml, _classifier ?? throw new InvalidOperationException("the model has no classifier"), TlsFeatureSchema.Count);

    /// <summary>Scores connections; owned by one thread.</summary>
    public sealed class Scorer
    {
        private readonly TlsMetadataModel _model;
        private readonly ClassifierProbability? _classifier;

        internal Scorer(TlsMetadataModel model)
        {
            _model = model;
            if (model._classifier is { } classifier) _classifier = new ClassifierProbability(model._classifierTrees, model._ml, classifier, TlsFeatureSchema.Count);
        }

        public Verdict Score(TlsFeatureVector features)
        {
            var m = _model.Info;
            var z = Standardise(features, m.Mean, m.Scale);
            var score = _model._subspace.Residual(z);
            if (float.IsNaN(score)) score = float.MaxValue;
            float? probability = null;
            if (_classifier is not null)
            {
                var p = _classifier.Of(z);
                probability = float.IsNaN(p) ? 0 : p;
            }
            var anomalous = score >= m.Threshold;
            var classified = probability is { } q && q >= m.ClassifierThreshold;
            if (!anomalous && !classified) return new Verdict(score, m.Threshold, false, [], m.Name, probability, m.ClassifierThreshold);
            var resembles = Nearest(m.FamilyCentroids, z);
            // Record sizes do not tell a tunnel from a command channel reliably (on the lab a chopper session was nearest to
            // suo5's centroid): the kind stays web shell, the nearest family is only a hint.
            return new Verdict(score, m.Threshold, true, Explain(features, z, m), m.Name, probability, m.ClassifierThreshold, Detector, AlertKind.WebShell, resembles);
        }
    }

    private static string? Nearest(Dictionary<string, float[]>? centroids, float[] z)
    {
        if (centroids is null) return null;
        return centroids.MinBy(c => c.Value.Select((x, i) => (double)(z[i] - x) * (z[i] - x)).Sum()).Key;
    }

    /// <summary>The features furthest from normal in the direction that points to a web shell: what an analyst reads first.</summary>
    /// An alert of the classifier can rest on no single striking feature: it then names the two that point furthest that way.
    private static List<Reason> Explain(TlsFeatureVector raw, float[] z, Metadata m)
    {
        var ranked = Enumerable.Range(0, z.Length)
            .Select(i => (Index: i, Deviation: TlsFeatureSchema.SuspiciousDirection(i) * z[i]))
            .Where(x => x.Deviation > 0)
            .OrderByDescending(x => x.Deviation)
            .ToList();
        var striking = ranked.Where(x => x.Deviation >= 2).Take(4).ToList();
        return (striking.Count > 0 ? striking : ranked.Take(2))
            .Select(x => new Reason(TlsFeatureSchema.Names[x.Index], raw.Values[x.Index], m.RawMean[x.Index]))
            .ToList();
    }
}
