namespace TrafficSensor.Capture;

/// <summary>
/// Frames copied out of libpcap's ring by the capture thread, back to back in one reusable buffer,
/// on their way to the thread that decodes them. Owned by one thread at a time: the capture thread
/// fills it, the <see cref="FrameBatchExchange"/> hands it over, the decoding thread reads and returns it.
/// </summary>
internal sealed class CapturedFrameBatch
{
    private readonly byte[] _bytes;
    private readonly FrameSlot[] _frames;
    private int _used;

    private struct FrameSlot
    {
        public int Offset;
        public int Length;
        public int OriginalLength;
        public long TimestampMicros;
    }

    public CapturedFrameBatch(int bytes, int maxFrames)
    {
        _bytes = new byte[bytes];
        _frames = new FrameSlot[maxFrames];
    }

    public int Count { get; private set; }

    /// <summary>When set, the wall clock (µs since the epoch) to tick the handler with after these frames.</summary>
    public long? TickMicros { get; set; }

    /// <summary>Whether a frame of this many bytes still fits.</summary>
    public bool Fits(int length) => Count < _frames.Length && length <= _bytes.Length - _used;

    public bool IsEmpty => Count == 0 && TickMicros is null;

    /// <summary>Room for the next frame's bytes; <see cref="Commit"/> records it once they are written.</summary>
    public ArraySegment<byte> Reserve(int length) => new(_bytes, _used, length);

    public void Commit(int length, int originalLength, long timestampMicros)
    {
        _frames[Count++] = new FrameSlot { Offset = _used, Length = length, OriginalLength = originalLength, TimestampMicros = timestampMicros };
        _used += length;
    }

    public void Append(ReadOnlySpan<byte> data, int originalLength, long timestampMicros)
    {
        data.CopyTo(Reserve(data.Length));
        Commit(data.Length, originalLength, timestampMicros);
    }

    public CaptureFrame Frame(int index, LinkType linkType)
    {
        ref readonly var slot = ref _frames[index];
        return new CaptureFrame(slot.TimestampMicros, linkType, _bytes.AsSpan(slot.Offset, slot.Length), slot.OriginalLength);
    }

    public void Clear()
    {
        Count = 0;
        _used = 0;
        TickMicros = null;
    }
}

/// <summary>Where the capture loop puts its batches: another thread (<see cref="FrameBatchExchange"/>) or the handler at once.</summary>
internal interface IFrameBatchSink
{
    /// <summary>An empty batch; null when none is free within the timeout.</summary>
    CapturedFrameBatch? Rent(int timeoutMilliseconds);
    void Publish(CapturedFrameBatch batch);
    /// <summary>Nothing more will be published.</summary>
    void Complete();
    /// <summary>The consumer has gone (it failed): stop reading.</summary>
    bool IsAbandoned { get; }
}

/// <summary>
/// The hand-off between the capture thread (one producer) and the decoding thread (one consumer): a
/// fixed number of batches circulate, so the frames waiting for decoding never take more memory than
/// configured. A side that cannot go on sleeps on the monitor (one lock and at most one wake-up per
/// batch, no spinning). When every batch is in flight the capture thread waits and the kernel's ring
/// buffer absorbs the burst; past that the kernel drops packets and counts them (pcap_stats), so
/// nothing is discarded here.
/// </summary>
internal sealed class FrameBatchExchange : IFrameBatchSink
{
    private readonly object _gate = new();
    private readonly Stack<CapturedFrameBatch> _free = new();
    private readonly Queue<CapturedFrameBatch> _filled = new();
    private readonly int _batchBytes, _batchFrames, _batchLimit;
    private int _created;
    private bool _completed, _abandoned;
    private int _waiters;

    /// <param name="batchBytes">Bytes of frames per batch (at least the largest frame).</param>
    /// <param name="batchFrames">Frames per batch at most.</param>
    /// <param name="batchLimit">Batches in circulation at most; created when first needed.</param>
    public FrameBatchExchange(int batchBytes, int batchFrames, int batchLimit)
    {
        _batchBytes = batchBytes;
        _batchFrames = batchFrames;
        _batchLimit = Math.Max(2, batchLimit);
    }

    /// <summary>Batches waiting for the consumer (approximate from other threads).</summary>
    public int Pending => Volatile.Read(ref _pending);
    private int _pending;

    /// <summary>Batches created so far (each holds its buffer until the exchange is dropped).</summary>
    public int Created => Volatile.Read(ref _created);

    public bool IsAbandoned => Volatile.Read(ref _abandoned);

    /// <summary>
    /// Producer: an empty batch, waiting up to <paramref name="timeoutMilliseconds"/> (<see cref="Timeout.Infinite"/>:
    /// no limit) while every batch is in flight; null on timeout, or at once when the consumer has gone.
    /// </summary>
    public CapturedFrameBatch? Rent(int timeoutMilliseconds)
    {
        lock (_gate)
        {
            while (true)
            {
                if (_abandoned) return null;
                if (_free.TryPop(out var batch)) return batch;
                if (_created < _batchLimit)
                {
                    _created++;
                    return new CapturedFrameBatch(_batchBytes, _batchFrames);
                }
                if (timeoutMilliseconds == 0) return null;
                _waiters++;
                var signalled = Monitor.Wait(_gate, timeoutMilliseconds);
                _waiters--;
                if (!signalled) return null;
            }
        }
    }

    /// <summary>Producer: hands a batch (frames and/or a tick) to the consumer.</summary>
    public void Publish(CapturedFrameBatch batch)
    {
        lock (_gate)
        {
            if (_abandoned)
            {
                batch.Clear();
                _free.Push(batch);
                return;
            }
            _filled.Enqueue(batch);
            _pending = _filled.Count;
            if (_waiters > 0) Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Producer: nothing more will be published; the consumer takes what is queued, then stops.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Consumer: the next batch in capture order, sleeping while none is ready; false once completed and drained.</summary>
    public bool Take(out CapturedFrameBatch batch)
    {
        lock (_gate)
        {
            while (!_filled.TryPeek(out _))
            {
                if (_completed)
                {
                    batch = null!;
                    return false;
                }
                _waiters++;
                Monitor.Wait(_gate);
                _waiters--;
            }
            batch = _filled.Dequeue();
            _pending = _filled.Count;
            return true;
        }
    }

    /// <summary>Consumer: gives a read batch back for reuse.</summary>
    public void Return(CapturedFrameBatch batch)
    {
        batch.Clear();
        lock (_gate)
        {
            _free.Push(batch);
            if (_waiters > 0) Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Consumer: it stops taking (it failed); a waiting producer is released and publishes nothing more.</summary>
    public void Abandon()
    {
        lock (_gate)
        {
            _abandoned = true;
            while (_filled.TryDequeue(out var batch))
            {
                batch.Clear();
                _free.Push(batch);
            }
            _pending = 0;
            Monitor.PulseAll(_gate);
        }
    }
}
