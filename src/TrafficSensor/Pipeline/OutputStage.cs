using System.Collections.Concurrent;
using TrafficSensor.Output;
using TrafficSensor.Protocols;

namespace TrafficSensor.Pipeline;

/// <summary>
/// The output thread: writes the records the analysis thread released, in the order it released them, to
/// the run's outputs. Serialising a record (EVE JSON, alert threads, evidence) needs nothing the analysis
/// learns, so it runs beside the analysis instead of after it on the same thread, and the analysis thread,
/// the one that cannot be split, keeps only ordering, features and verdicts.
/// <para>
/// Threads: <see cref="Add"/>, <see cref="Hand"/> and <see cref="Complete"/> are called by the analysis
/// thread, which alone fills the current batch; <see cref="Run"/> runs on the output thread, which is the
/// one owner of the outputs and their state from the first record to the last. The queue between them is
/// bounded (<see cref="QueuedBatches"/> × <see cref="BatchSize"/> records), so a slow disk holds the analysis
/// back, and through it the reader, instead of growing memory.
/// </para>
/// </summary>
internal sealed class OutputStage(ITransactionOutput output)
{
    /// <summary>Records handed over at once: one lock and at most one wake-up per batch.</summary>
    public const int BatchSize = 64;

    /// <summary>Batches queued before the analysis thread waits for the output thread.</summary>
    public const int QueuedBatches = 16;

    private readonly BlockingBatchQueue<List<AppRecord>> _queue = new(QueuedBatches);
    // Emptied batches go back to the analysis thread (the output thread adds, the analysis thread takes).
    private readonly ConcurrentQueue<List<AppRecord>> _emptied = new();
    private List<AppRecord> _filling = new(BatchSize);

    /// <summary>Analysis thread: the next record in output order.</summary>
    public void Add(AppRecord record)
    {
        _filling.Add(record);
        if (_filling.Count == BatchSize) Hand();
    }

    /// <summary>Analysis thread: hands over what it has added so far (before it sleeps, so a quiet link's records are not held back).</summary>
    public void Hand()
    {
        if (_filling.Count == 0) return;
        _queue.Add(_filling);
        _filling = _emptied.TryDequeue(out var batch) ? batch : new List<AppRecord>(BatchSize);
    }

    /// <summary>Analysis thread: no more records; the output thread writes what is queued, then <see cref="Run"/> returns.</summary>
    public void Complete()
    {
        Hand();
        _queue.Complete();
    }

    /// <summary>The output thread's loop.</summary>
    public void Run()
    {
        while (_queue.Take(out var batch))
        {
            foreach (var record in batch)
            {
                if (record is TransactionRecord transaction) output.Write(transaction);
                else output.Write(record);
                if (_firstWrittenTicks == 0) Interlocked.Exchange(ref _firstWrittenTicks, DateTime.UtcNow.Ticks);
            }
            batch.Clear();
            _emptied.Enqueue(batch);
        }
    }

    /// <summary>When the first record was written (read by reports from any thread).</summary>
    public DateTime? FirstWritten
    {
        get
        {
            var ticks = Interlocked.Read(ref _firstWrittenTicks);
            return ticks == 0 ? null : new DateTime(ticks, DateTimeKind.Utc);
        }
    }

    private long _firstWrittenTicks;
}
