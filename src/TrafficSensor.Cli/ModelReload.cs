using System.Runtime.InteropServices;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Metrics;

namespace TrafficSensor.Cli;

/// <summary>
/// `live` reloads its model file on SIGHUP: the file is loaded and validated on a background thread
/// while capture goes on, then swapped in (<see cref="ModelSlot"/>) so each worker scores its next
/// transaction with it. A file that cannot be used leaves the old model in place and says why. The
/// log line and trafficsensor_model_info / trafficsensor_model_reloads_total report the outcome.
/// Its own SIGHUP registration, separate from any other SIGHUP handling of the live command (log
/// reopening): .NET calls every registration for the signal.
/// </summary>
internal sealed class ModelReloadOnHangup : IDisposable
{
    private readonly ModelSlot _models;
    private readonly string? _path;
    private readonly SensorMetrics? _metrics;
    private readonly PosixSignalRegistration _registration;
    private int _requests; // SIGHUPs not yet served; one reload runs at a time (reload thread)

    private ModelReloadOnHangup(ModelSlot models, string? path, SensorMetrics? metrics)
    {
        _models = models;
        _path = path;
        _metrics = metrics;
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnHangup);
    }

    /// <summary>Reloads on SIGHUP when a model scores; null when there is none (--no-model).</summary>
    public static ModelReloadOnHangup? Register(ModelSlot models, string? path, SensorMetrics? metrics) =>
        models.Current is null ? null : new ModelReloadOnHangup(models, path, metrics);

    private void OnHangup(PosixSignalContext context)
    {
        context.Cancel = true; // SIGHUP's default action would end the process
        if (Interlocked.Increment(ref _requests) == 1) ThreadPool.QueueUserWorkItem(_ => ReloadUntilServed());
    }

    private void ReloadUntilServed()
    {
        do
        {
            Interlocked.Exchange(ref _requests, 1);
            Reload();
        }
        while (Interlocked.Decrement(ref _requests) > 0);
    }

    private void Reload()
    {
        var path = _path ?? DetectionCommands.DefaultModelPath;
        var old = _models.Current!;
        try
        {
            var model = DetectionCommands.LoadModel(_path);
            _models.Replace(model);
            _metrics?.ModelReloaded(model.Name, FeatureSchema.Version, model.Threshold, loaded: true);
            System.Console.Error.WriteLine($"trafficsensor: SIGHUP: reloaded model {model.Name} (threshold {model.Threshold:G6}) from {path}, replacing {old.Name}");
        }
        catch (Exception e) // a reload must never stop the capture: whatever went wrong, keep the old model
        {
            _metrics?.ModelReloaded(null, null, null, loaded: false);
            Console.Warn($"SIGHUP: model reload from {path} failed, still scoring with {old.Name}: {e.Message}");
        }
    }

    public void Dispose() => _registration.Dispose();
}
