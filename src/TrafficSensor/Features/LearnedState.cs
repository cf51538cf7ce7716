using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TrafficSensor.Features;

/// <summary>A learned-state file that cannot be used: unreadable, not ours, or made for other features.</summary>
public sealed class LearnedStateException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// What the sensor has learned about the network it watches (each server's paths, sessions, names and
/// refused clients, and each server's and shared path's centre), saved across restarts so that a
/// restarted sensor does not take every path for new (novelty features would go quiet for hours) or
/// measure every site from the training data's centre again. A gzip'd JSON file, versioned with the
/// feature schema: a file made for other features is refused, never misread. Bounded: it holds what
/// the bounded state held, and loading respects this instance's caps.
/// </summary>
public sealed class LearnedState(BehaviourState behaviour, ServerBaselines baselines)
{
    public const string Format = "trafficsensor-learned-state-1";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public BehaviourState Behaviour { get; } = behaviour;
    public ServerBaselines Baselines { get; } = baselines;

    private sealed record FileContents(string Format, string FeatureSchema, DateTime SavedUtc,
        BehaviourState.BehaviourSnapshot Behaviour, ServerBaselines.BaselinesSnapshot Baselines);

    /// <summary>Writes the state to <paramref name="path"/> atomically (a temporary file renamed over it).</summary>
    public void Save(string path)
    {
        var temporary = path + ".tmp";
        using (var file = File.Create(temporary))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            JsonSerializer.Serialize(gzip, new FileContents(Format, FeatureSchema.Version, DateTime.UtcNow, Behaviour.Export(), Baselines.Export()), Json);
        File.Move(temporary, path, overwrite: true);
    }

    /// <exception cref="LearnedStateException">The file is unreadable, not a learned-state file, or for another feature schema.</exception>
    public static LearnedState Load(string path, BehaviourState? behaviour = null, ServerBaselines? baselines = null)
    {
        FileContents? contents;
        try
        {
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            contents = JsonSerializer.Deserialize<FileContents>(gzip, Json);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or JsonException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new LearnedStateException($"{path} is not a usable learned-state file: {e.Message}", e);
        }
        if (contents is null || contents.Format != Format || contents.Behaviour is null || contents.Baselines is null)
            throw new LearnedStateException($"{path} is not a TrafficSensor learned-state file ({Format})");
        if (contents.FeatureSchema != FeatureSchema.Version)
            throw new LearnedStateException($"{path} was learned with features '{contents.FeatureSchema}', this sensor computes '{FeatureSchema.Version}': starting afresh");
        var state = new LearnedState(behaviour ?? new BehaviourState(), baselines ?? new ServerBaselines());
        try
        {
            state.Behaviour.Import(contents.Behaviour);
            state.Baselines.Import(contents.Baselines);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new LearnedStateException($"{path}: a learned-state entry is damaged: {e.Message}", e);
        }
        return state;
    }
}
