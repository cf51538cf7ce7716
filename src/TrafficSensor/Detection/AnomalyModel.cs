using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using TrafficSensor.Features;

using static TrafficSensor.Detection.ProjectionTraining;

namespace TrafficSensor.Detection;

/// <summary>A model file that cannot be used: corrupt, not a TrafficSensor model, or made for other features.</summary>
public sealed class ModelException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A feature that made a transaction stand out. <see cref="Normal"/> is the model's training mean;
/// <see cref="ServerNormal"/>, when known, the same feature's mean over this server's own earlier
/// non-alerting transactions (<see cref="ServerTransactions"/> of them).
/// </summary>
public readonly record struct Reason(string Feature, float Value, float Normal, float? ServerNormal = null, long ServerTransactions = 0)
{
    /// <summary>For a count over a time window (the scan rule's): the window, in minutes.</summary>
    public double? WindowMinutes { get; init; }

    /// <summary>For the tool rule's reason: the offensive tool the User-Agent names.</summary>
    public string? Tool { get; init; }
}

/// <summary>The anomaly verdict on one transaction.</summary>
/// <param name="Kind">What an alert is most likely part of (null when not alerting).</param>
/// <param name="Resembles">The web-shell family of the training data an alert is closest to, when the model knows families.</param>
public sealed record Verdict(float Score, float Threshold, bool Alert, IReadOnlyList<Reason> Reasons, string Model,
    float? Probability = null, float? ClassifierThreshold = null, string? Detector = null, AlertKind? Kind = null, string? Resembles = null);

/// <summary>
/// An ML.NET RandomizedPca anomaly model of benign transactions. Features are standardised with the
/// benign mean and a floored deviation (a feature constant in benign traffic — code tokens, command
/// output — must stand out when it appears, not vanish as a zero-variance column would in ML.NET's
/// normaliser). The anomaly score is the distance of a transaction from the principal subspace ML.NET
/// found (the residual, or "squared prediction error" of PCA monitoring, square-rooted), computed from
/// the model's mean and eigenvectors. ML.NET's own PCA score divides that distance by the vector's
/// length, so a transaction that is unusual in a common direction too (a large page) dilutes its
/// unusual parts (a command in a cookie): measured on the lab, it let an IIS-module command pass.
/// The alert threshold is the score quantile that gives the target false-positive rate on benign
/// transactions held back from training.
/// </summary>
public sealed class AnomalyModel
{
    private const string ModelEntry = "mlnet-model.zip";
    private const string MetadataEntry = "trafficsensor-model.json";
    private const string ClassifierEntry = "mlnet-classifier.zip";
    private readonly MLContext _ml;
    private readonly ITransformer _transformer;
    private readonly ITransformer? _classifier;

    private readonly PrincipalSubspace _subspace;
    private readonly ClassifierTrees? _classifierTrees;

    private AnomalyModel(MLContext ml, ITransformer transformer, ITransformer? classifier, ModelMetadata metadata)
    {
        _ml = ml;
        _transformer = transformer;
        _classifier = classifier;
        Metadata = metadata;
        _subspace = PrincipalSubspace.Of(transformer, FeatureSchema.Count, "the anomaly model");
        _classifierTrees = classifier is null ? null : ClassifierTrees.TryOf(classifier, FeatureSchema.Count);
    }

    /// <summary>The classifier's trees evaluated directly, or null (no classifier, or one they cannot describe).</summary>
    internal ClassifierTrees? ClassifierTrees => _classifierTrees;


    public ModelMetadata Metadata { get; }
    public string Name => Metadata.Name;
    public float Threshold => Metadata.Threshold;

    public sealed record ModelMetadata(string Name, string FeatureSchemaVersion, string[] FeatureNames, float[] Mean, float[] Scale,
        float Threshold, double TargetFalsePositiveRate, int Rank, int TrainingRows, int CalibrationRows, DateTime CreatedUtc,
        float? ClassifierThreshold = null, int ClassifierPositives = 0, string[]? ClassifierFamilies = null)
    {
        /// <summary>Each training family's mean standardised features: an alert names the family it is nearest to.</summary>
        public Dictionary<string, float[]>? FamilyCentroids { get; init; }

        /// <summary>Training means of the features as computed (Mean and Scale are of their compressed values): the "normal" of explanations.</summary>
        public float[]? RawMean { get; init; }
    }

    /// <param name="attacks">Labelled web-shell transactions (with their family): when given, a FastTree classifier is
    /// trained beside the anomaly model and each alerts on its own calibrated threshold.</param>
    public static AnomalyModel Train(IReadOnlyList<FeatureVector> benign, string name, double targetFalsePositiveRate = 1e-3, int seed = 1,
        IReadOnlyList<(FeatureVector Features, string Family)>? attacks = null) =>
        Train(benign.Select(v => new TrainingExample(v)).ToList(), name, targetFalsePositiveRate, seed,
            attacks?.Select(a => (new TrainingExample(a.Features), a.Family)).ToList());

    /// <summary>
    /// Trains on examples that carry the site centre their server had learned when they were seen (see
    /// <see cref="SiteAdaptiveScorer.Contexts"/>), so the model is fitted to what it will be given.
    /// </summary>
    public static AnomalyModel Train(IReadOnlyList<TrainingExample> benign, string name, double targetFalsePositiveRate, int seed,
        IReadOnlyList<(TrainingExample Example, string Family)>? attacks)
    {
        if (benign.Count < 50) throw new ModelException($"too little benign traffic to train on: {benign.Count} transactions (at least 50)");
        var random = new Random(seed);
        var shuffled = benign.OrderBy(_ => random.Next()).ToList();
        var calibrationCount = Math.Max(20, shuffled.Count / 4);
        var calibration = shuffled.Take(calibrationCount).ToList();
        var training = shuffled.Skip(calibrationCount).ToList();

        var n = FeatureSchema.Count;
        var mean = new float[n];
        var scale = new float[n];
        var rawMean = new float[n];
        for (var i = 0; i < n; i++)
        {
            rawMean[i] = (float)training.Average(v => (double)v.Features.Values[i]);
            var values = training.Select(v => (double)Compress(v.Features.Values[i])).ToList();
            var m = values.Average();
            var sd = Math.Sqrt(values.Sum(x => (x - m) * (x - m)) / Math.Max(1, values.Count - 1));
            mean[i] = (float)m;
            // Floored deviations: an evidence feature that never occurs in benign traffic must stand out
            // when it does (a tight floor); a descriptive one that happened not to vary on the training
            // sites must not make every other site's ordinary difference an alert (a floor of half a
            // unit of log-compressed value: a count going from 0 to 1 is about 1.4 deviations).
            // Direct evidence (code, command lines, command output, SQL injection, a backdoor's cookie) has the
            // tightest floor: one occurrence alone must clear the threshold, which benign transactions with one
            // weaker sign (a few refused paths, an image answered as a page) set (measured leave-one-variant-out:
            // a lone injected parameter or command cookie scored 13.9 under a threshold of 14.0). So has a client's
            // evidence carried to a script nobody else asked for (FeatureSchema.AlertsAlone).
            scale[i] = (float)Math.Max(sd, FeatureSchema.AlertsAlone(i) ? DirectEvidenceScaleFloor * (1 + Math.Abs(m))
                : FeatureSchema.IsEvidence(i) ? 0.05 * (1 + Math.Abs(m)) : DescriptiveScaleFloor);
        }

        var ml = new MLContext(seed);
        var varying = Enumerable.Range(0, n).Count(i => training.Any(v => v.Features.Values[i] != training[0].Features.Values[i]));
        var transformer = ProjectionTraining.FitPca(ml, training.Select(v => v.Standardise(mean, scale)), n, varying, maxRank: 12, seed, out var rank);

        var provisional = new ModelMetadata(name, FeatureSchema.Version, FeatureSchema.Names, mean, scale, float.PositiveInfinity, targetFalsePositiveRate, rank, training.Count, calibration.Count, DateTime.UtcNow)
        {
            RawMean = rawMean,
        };

        ITransformer? classifier = null;
        if (attacks is { Count: >= 10 })
        {
            classifier = ProjectionTraining.FitClassifier(ml, training.Select(v => v.Standardise(mean, scale)),
                attacks.Select(a => a.Example.Standardise(mean, scale)), n, leaves: 16);
            provisional = provisional with
            {
                FamilyCentroids = ProjectionTraining.FamilyCentroids(attacks, example => example.Standardise(mean, scale), n),
                ClassifierThreshold = float.PositiveInfinity,
                ClassifierPositives = attacks.Count,
                ClassifierFamilies = attacks.Select(a => a.Family).Distinct().Order().ToArray(),
            };
        }

        var model = new AnomalyModel(ml, transformer, classifier, provisional);
        var scorer = model.CreateScorer();
        var verdicts = calibration.Select(v => scorer.Score(v.Features, v.SiteCentre, v.SiteWeight)).ToList();
        var threshold = Calibrate(verdicts.Select(v => v.Score), targetFalsePositiveRate);
        // The classifier must also be more sure than not: on benign traffic its probabilities are
        // mostly exactly 0, so the calibration quantile alone can be 0 and would pass anything.
        float? classifierThreshold = classifier is null ? null : Math.Max(0.5f, Calibrate(verdicts.Select(v => v.Probability ?? 0), targetFalsePositiveRate));
        return new AnomalyModel(ml, transformer, classifier, provisional with { Threshold = threshold, ClassifierThreshold = classifierThreshold });
    }

    /// <summary>A transaction to train on, with its server's learned centre when it was seen (null: none yet).</summary>
    public sealed record TrainingExample(FeatureVector Features, float[]? SiteCentre = null, float SiteWeight = 0)
    {
        internal float[] Standardise(float[] mean, float[] scale) => AnomalyModel.Standardise(Features.Values, mean, scale, SiteCentre, SiteWeight);
    }

    /// <summary>The share of the anomaly threshold a transaction must reach for the classifier alone to alert on it.</summary>
    public const float ClassifierCorroboration = 0.5f;

    /// <summary>The smallest deviation of a direct-evidence feature, in log-compressed units (one occurrence ≈ 35 deviations).</summary>
    public const double DirectEvidenceScaleFloor = 0.02;

    /// <summary>The smallest deviation of a descriptive feature, in log-compressed units.</summary>
    public const double DescriptiveScaleFloor = 0.5;

    public void Save(string path) => ModelArchive.Save(path, _ml,
    [
        (ModelEntry, _transformer, _ml.Data.LoadFromEnumerable(Array.Empty<Row>(), Schema<Row>(FeatureSchema.Count)).Schema),
        (ClassifierEntry, _classifier, _ml.Data.LoadFromEnumerable(Array.Empty<LabeledRow>(), Schema<LabeledRow>(FeatureSchema.Count)).Schema),
    ], MetadataEntry, Metadata);

    public static AnomalyModel Load(string path) => ModelArchive.Open(path, "model", zip =>
    {
        var metaEntry = zip.GetEntry(MetadataEntry) ?? throw new ModelException($"{path} is not a TrafficSensor model (no {MetadataEntry})");
        var metadata = ModelArchive.ReadMetadata<ModelMetadata>(metaEntry, path);
        if (metadata.FeatureSchemaVersion != FeatureSchema.Version || !metadata.FeatureNames.SequenceEqual(FeatureSchema.Names))
            throw new ModelException($"{path} was trained for features '{metadata.FeatureSchemaVersion}', this sensor computes '{FeatureSchema.Version}': retrain it with 'trafficsensor train'");
        if (metadata.Mean.Length != FeatureSchema.Count || metadata.Scale.Length != FeatureSchema.Count)
            throw new ModelException($"{path}: model metadata does not match its feature list");
        var modelEntry = zip.GetEntry(ModelEntry) ?? throw new ModelException($"{path} has no ML.NET model ({ModelEntry})");
        var ml = new MLContext(1);
        var transformer = ModelArchive.ReadTransformer(ml, modelEntry);
        var classifier = ModelArchive.ReadClassifier(ml, zip, ClassifierEntry, metadata.ClassifierThreshold, path);
        return new AnomalyModel(ml, transformer, classifier, metadata);
    });

    /// <summary>A scorer for one thread (ML.NET prediction engines are not thread-safe).</summary>
    public Scorer CreateScorer() => new(this);

    /// <summary>An ML.NET prediction engine of the classifier (for a row <see cref="ClassifierTrees"/> leaves to ML.NET).</summary>
    internal PredictionEngine<LabeledRow, ClassifierPrediction> CreateClassifierEngine() =>
        ClassifierProbability.CreateEngine(_ml, _classifier ?? throw new InvalidOperationException("the model has no classifier"), FeatureSchema.Count);

    /// <summary>Scores transactions; owned by one thread (its buffers are overwritten per transaction).</summary>
    public sealed class Scorer
    {
        private readonly AnomalyModel _model;
        private readonly ClassifierProbability? _classifier;
        private readonly Row _row = new();

        internal Scorer(AnomalyModel model)
        {
            _model = model;
            if (model._classifier is { } classifier) _classifier = new ClassifierProbability(model._classifierTrees, model._ml, classifier, FeatureSchema.Count);
        }

        /// <summary>Scores a transaction against the training data's normal.</summary>
        public Verdict Score(FeatureVector features) => Score(features, default, 0);

        /// <summary>
        /// Scores a transaction with descriptive features centred on a blend of the training data's mean and
        /// <paramref name="siteCentre"/> (the server's own mean of compressed values), weighted <paramref name="siteWeight"/>
        /// (0..1). Evidence features keep the training centre: they mean the same on every site.
        /// </summary>
        public Verdict Score(FeatureVector features, ReadOnlySpan<float> siteCentre, double siteWeight)
        {
            var m = _model.Metadata;
            // One array per scorer, overwritten per transaction: the row, the classifier and the explanation read it before Score returns.
            if (_row.Features is not { } z || z.Length != features.Values.Length) _row.Features = z = new float[features.Values.Length];
            Standardise(features.Values, m.Mean, m.Scale, siteCentre, (float)siteWeight, z);
            var score = _model._subspace.Residual(_row.Features);
            if (float.IsNaN(score)) score = float.MaxValue;
            float? probability = null;
            if (_classifier is not null)
            {
                probability = _classifier.Of(_row.Features);
                if (float.IsNaN(probability.Value)) probability = 0;
            }
            // Either detector alerts on its own calibrated threshold: the anomaly model for what is new,
            // the classifier for what resembles the families it was shown.
            var anomalous = score >= m.Threshold;
            // The classifier knows the lab's families and the training sites; on a site it never saw it
            // mistakes the site's own odd forms for them (measured leave-one-app-out: 240 of 505 false
            // alerts were the classifier's alone). It alerts when the anomaly model finds the transaction at
            // least half as unusual as its threshold, or when evidence that holds on any site is there.
            var classified = probability is { } p && p >= m.ClassifierThreshold
                && (score >= ClassifierCorroboration * m.Threshold || AlertKinds.HasDirectEvidence(features));
            var alert = anomalous || classified;
            var detector = anomalous && classified ? "both" : anomalous ? "anomaly" : classified ? "classifier" : null;
            if (!alert) return new Verdict(score, m.Threshold, false, [], m.Name, probability, m.ClassifierThreshold);
            var resembles = Nearest(m.FamilyCentroids, _row.Features);
            return new Verdict(score, m.Threshold, true, Explain(features, _row.Features, m), m.Name, probability, m.ClassifierThreshold, detector,
                AlertKinds.Of(features, resembles), resembles);
        }

        /// <summary>
        /// The family whose training centroid is nearest (Euclidean, in standardised units), by what the transaction
        /// looks like: not by <c>client_evidence</c>, which tells what the client did before (measured: with its floor
        /// tightened, it outweighed a tunnel's shape and filed 76 of the README replay's 127 tunnel alerts as web shells).
        /// </summary>
        private static string? Nearest(Dictionary<string, float[]>? centroids, float[] z)
        {
            if (centroids is null) return null;
            string? best = null;
            var bestDistance = double.MaxValue;
            foreach (var (family, centroid) in centroids)
            {
                double d = 0;
                for (var i = 0; i < z.Length && i < centroid.Length; i++)
                    if (i != ClientHistory) d += (z[i] - centroid[i]) * (z[i] - centroid[i]);
                if (d < bestDistance) (best, bestDistance) = (family, d);
            }
            return best;
        }

        /// <summary>The features furthest from normal, in standard deviations: the reasons an analyst reads first.</summary>
        private static List<Reason> Explain(FeatureVector raw, float[] standardised, ModelMetadata m) =>
            Enumerable.Range(0, standardised.Length)
                .Where(i => Suspicious[i] * standardised[i] >= 2)
                .OrderByDescending(i => FeatureSchema.IsEvidence(i))
                .ThenByDescending(i => Math.Abs(standardised[i]))
                .Take(4)
                .Select(i => new Reason(FeatureSchema.Names[i], raw.Values[i], m.RawMean?[i] ?? m.Mean[i]))
                .ToList();
    }

    private static float Compress(float x) => FeatureScaling.Compress(x);

    /// <summary>The feature that tells a client's history rather than the transaction's shape (left out of resemblance).</summary>
    private static readonly int ClientHistory = FeatureSchema.IndexOf("client_evidence");

    /// <summary>
    /// The direction in which each feature's deviation points to a web shell (+1: more, −1: less): a reason
    /// says "few other clients use this path", never "the parameter entropy is lower than usual".
    /// </summary>
    private static readonly int[] Suspicious = FeatureSchema.Names.Select(n => n is "path_other_clients" ? -1 : 1).ToArray();

    private static readonly bool[] Evidence = Enumerable.Range(0, FeatureSchema.Count).Select(FeatureSchema.IsEvidence).ToArray();

    internal static float[] Standardise(float[] values, float[] mean, float[] scale, ReadOnlySpan<float> siteCentre = default, float siteWeight = 0)
    {
        var z = new float[values.Length];
        Standardise(values, mean, scale, siteCentre, siteWeight, z);
        return z;
    }

    private static void Standardise(float[] values, float[] mean, float[] scale, ReadOnlySpan<float> siteCentre, float siteWeight, Span<float> z)
    {
        var site = siteCentre.Length == values.Length && siteWeight > 0;
        for (var i = 0; i < values.Length; i++)
        {
            var centre = site && !Evidence[i] ? (1 - siteWeight) * mean[i] + siteWeight * siteCentre[i] : mean[i];
            z[i] = Math.Clamp((Compress(values[i]) - centre) / scale[i], -100f, 100f);
        }
    }
}
