namespace TrafficSensor.Pipeline;

/// <summary>
/// A bounded single-producer, single-consumer hand-off between two dedicated threads. A side that
/// cannot go on sleeps on the queue's monitor (no spinning, no thread-pool continuation): a batch
/// carries 128 packets, so one lock and at most one wake-up per batch is cheap, where the async
/// channel's <c>WriteAsync(...).AsTask().GetAwaiter().GetResult()</c> spun the thread pool.
/// </summary>
internal sealed class BlockingBatchQueue<T>(int capacity) where T : class
{
    private readonly Queue<T> _items = new(Math.Max(1, capacity));
    private readonly int _capacity = Math.Max(1, capacity);
    private bool _completed;
    private int _waiters;

    /// <summary>Items waiting; approximate when read from another thread.</summary>
    public int Count => Volatile.Read(ref _count);
    private int _count;

    /// <summary>Adds an item, sleeping while the queue is full (back-pressure).</summary>
    public void Add(T item)
    {
        lock (_items)
        {
            while (_items.Count >= _capacity)
            {
                _waiters++;
                Monitor.Wait(_items);
                _waiters--;
            }
            _items.Enqueue(item);
            _count = _items.Count;
            if (_waiters > 0) Monitor.PulseAll(_items);
        }
    }

    /// <summary>No more items will be added; the consumer drains what is queued, then <see cref="Take"/> returns false.</summary>
    public void Complete()
    {
        lock (_items)
        {
            _completed = true;
            Monitor.PulseAll(_items);
        }
    }

    /// <summary>Takes the next item, sleeping while the queue is empty; false once completed and drained.</summary>
    public bool Take(out T item)
    {
        lock (_items)
        {
            while (_items.Count == 0)
            {
                if (_completed)
                {
                    item = null!;
                    return false;
                }
                _waiters++;
                Monitor.Wait(_items);
                _waiters--;
            }
            item = _items.Dequeue();
            _count = _items.Count;
            if (_waiters > 0) Monitor.PulseAll(_items);
            return true;
        }
    }
}
