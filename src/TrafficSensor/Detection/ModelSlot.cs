namespace TrafficSensor.Detection;

/// <summary>
/// The model the workers score with, replaceable while a live capture runs (SIGHUP). The reload
/// thread writes it; each worker reads it once per transaction and, when it changed, builds its own
/// scorer for the new model before scoring the next transaction. A transaction is therefore scored
/// entirely by the old or entirely by the new model, never by a mix.
/// </summary>
public sealed class ModelSlot(AnomalyModel? model)
{
    private volatile AnomalyModel? _current = model;

    public AnomalyModel? Current => _current;

    /// <summary>Publishes a model that was loaded and validated in full; the workers pick it up at their next transaction.</summary>
    public void Replace(AnomalyModel model) => _current = model;
}
