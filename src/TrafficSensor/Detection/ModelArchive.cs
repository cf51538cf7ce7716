using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;

namespace TrafficSensor.Detection;

/// <summary>
/// The model file both models share: a zip of ML.NET transformers (each its own entry) and a JSON metadata
/// entry. One implementation of writing it, reading it, and turning a corrupt file into a <see cref="ModelException"/>.
/// </summary>
internal static class ModelArchive
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes <paramref name="transformers"/> (entries without a model are left out) and the metadata.</summary>
    public static void Save<TMetadata>(string path, MLContext ml, IEnumerable<(string Entry, ITransformer? Model, DataViewSchema Schema)> transformers,
        string metadataEntry, TMetadata metadata)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        foreach (var (name, model, schema) in transformers)
        {
            if (model is null) continue;
            using var entry = zip.CreateEntry(name).Open();
            var buffer = new MemoryStream();
            ml.Model.Save(model, schema, buffer);
            buffer.Position = 0;
            buffer.CopyTo(entry);
        }
        using var meta = zip.CreateEntry(metadataEntry).Open();
        JsonSerializer.Serialize(meta, metadata, Indented);
    }

    /// <summary>
    /// Opens <paramref name="path"/> and hands it to <paramref name="read"/>; a missing file, or one that is
    /// corrupt or truncated, is a <see cref="ModelException"/> naming <paramref name="kind"/> ("model", "TLS model").
    /// </summary>
    public static T Open<T>(string path, string kind, Func<ZipArchive, T> read)
    {
        if (!File.Exists(path)) throw new ModelException($"{kind} file not found: {path}");
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return read(zip);
        }
        catch (ModelException)
        {
            throw;
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or IOException or FormatException or InvalidOperationException or ArgumentException or NotSupportedException)
        {
            throw new ModelException($"{path} is not a usable {kind} file (corrupt or truncated): {e.Message}", e);
        }
    }

    public static TMetadata ReadMetadata<TMetadata>(ZipArchiveEntry entry, string path)
    {
        using var s = entry.Open();
        return JsonSerializer.Deserialize<TMetadata>(s) ?? throw new ModelException($"{path}: empty model metadata");
    }

    /// <summary>An ML.NET transformer from its entry (copied to memory first: ML.NET seeks, zip entries do not).</summary>
    public static ITransformer ReadTransformer(MLContext ml, ZipArchiveEntry entry)
    {
        var buffer = new MemoryStream();
        using (var s = entry.Open()) s.CopyTo(buffer);
        buffer.Position = 0;
        return ml.Model.Load(buffer, out _);
    }

    /// <summary>The optional classifier, which must come with its threshold and only with it.</summary>
    public static ITransformer? ReadClassifier(MLContext ml, ZipArchive zip, string entry, float? threshold, string path)
    {
        var classifier = zip.GetEntry(entry) is { } c ? ReadTransformer(ml, c) : null;
        if ((classifier is null) != (threshold is null))
            throw new ModelException($"{path}: the classifier and its threshold must come together");
        return classifier;
    }
}
