using TrafficSensor.Features;
using TrafficSensor.Pipeline;

namespace TrafficSensor.Cli;

/// <summary>--state FILE: resume from what an earlier run learned, and save what this run learned.</summary>
internal static class LearnedStateFile
{
    /// <summary>The state to resume from, or null (no --state, no file yet, or a file that cannot be used: said, and started afresh).</summary>
    public static LearnedState? Load(string? path, bool quiet)
    {
        if (path is null || !File.Exists(path)) return null;
        try
        {
            var state = LearnedState.Load(path);
            if (!quiet) Console.Info($"resuming from {path} ({state.Behaviour.Paths:N0} paths, {state.Baselines.Servers:N0} servers learned)");
            return state;
        }
        catch (LearnedStateException e)
        {
            Console.Warn(e.Message);
            return null;
        }
    }

    /// <summary>Writes what the run learned; a failure is reported, not fatal (the run's records are already written).</summary>
    public static void Save(string? path, SensorPipeline pipeline)
    {
        if (path is null || pipeline.Behaviour is not { } behaviour) return;
        try
        {
            new LearnedState(behaviour, pipeline.Baselines ?? new ServerBaselines()).Save(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Warn($"--state {path}: {e.Message}");
        }
    }
}
