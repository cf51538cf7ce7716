using TrafficSensor.Features;
using TrafficSensor.Output;
using TrafficSensor.Protocols;

namespace TrafficSensor.Pipeline;

/// <summary>
/// The analysis thread: merges the flow workers' transactions into capture order (a k-way merge of
/// their already ordered outputs, released only up to every worker's watermark), then extracts
/// features and scores each transaction, and hands it to the output thread (<see cref="OutputStage"/>)
/// in that order. It is the one owner of everything learned across flows — behaviour state, server
/// baselines, the scorer — and of the output order, so the records of a replay are the same bytes in
/// the same order for any number of flow workers.
/// <para>
/// Threads: <see cref="Post"/> is called by the flow workers, <see cref="WaitWhileBacklogged"/> by
/// the reader, <see cref="Run"/> on the analysis thread. The posted queues and the two "waiting"
/// flags are guarded by <c>_gate</c>; the merge cursors belong to the analysis thread alone.
/// </para>
/// </summary>
internal sealed class AnalysisWorker
{
    private readonly object _gate = new();
    private readonly Queue<RecordBatch>[] _posted;
    private readonly Cursor[] _cursors;
    private readonly TransactionAnalyzer? _analyzer;
    private readonly TlsConnectionAnalyzer? _tls;
    private readonly OutputStage _output;
    private readonly int _maxPending;
    private long _pending; // transactions posted and not yet written (Interlocked)
    private bool _analysisWaiting;
    private bool _readerWaiting;

    /// <summary>One flow worker's output as the merge sees it.</summary>
    private sealed class Cursor
    {
        public RecordBatch? Batch;
        public int Position;
        /// <summary>Every later transaction of this worker comes after this packet index.</summary>
        public long Watermark = -1;

        public bool HasHead => Batch is not null;
        public CaptureOrder Head => Batch!.Records[Position].Order;
    }

    public AnalysisWorker(int flowWorkers, TransactionAnalyzer? analyzer, OutputStage output, int maxPending, TlsConnectionAnalyzer? tls = null)
    {
        _tls = tls;
        _posted = Enumerable.Range(0, flowWorkers).Select(_ => new Queue<RecordBatch>()).ToArray();
        _cursors = Enumerable.Range(0, flowWorkers).Select(_ => new Cursor()).ToArray();
        _analyzer = analyzer;
        _output = output;
        _maxPending = Math.Max(1, maxPending);
    }

    /// <summary>Whether transactions are analysed: the flow workers then measure their content features before posting them.</summary>
    public bool ComputesFeatures => _analyzer is not null;

    /// <summary>True when the reader should stop feeding the flow workers until the analysis catches up.</summary>
    public bool Backlogged => Interlocked.Read(ref _pending) > _maxPending;

    /// <summary>Flow worker <paramref name="worker"/>'s output after one batch (its last one has watermark <see cref="long.MaxValue"/>).</summary>
    public void Post(int worker, RecordBatch batch)
    {
        Interlocked.Add(ref _pending, batch.Records.Count);
        lock (_gate)
        {
            _posted[worker].Enqueue(batch);
            if (_analysisWaiting) Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Reader thread: sleeps until the backlog is down to half its bound. The caller must first hand
    /// every worker its partial batch, so that every watermark can pass what is pending.
    /// </summary>
    public void WaitWhileBacklogged()
    {
        lock (_gate)
        {
            while (Interlocked.Read(ref _pending) > _maxPending / 2)
            {
                _readerWaiting = true;
                Monitor.Wait(_gate);
            }
            _readerWaiting = false;
        }
    }

    /// <summary>The analysis thread's loop: returns when every flow worker has posted its last batch and all was handed to the output thread.</summary>
    public void Run()
    {
        try
        {
            while (true)
            {
                var finished = TakePosted(wait: false);
                if (finished) return;
                if (ReleaseReady()) continue;
                // About to sleep: what was released goes out now, not when the next batch fills (a quiet link's alerts).
                if (!HasPostedForEmptyCursor()) _output.Hand();
                TakePosted(wait: true);
            }
        }
        finally
        {
            _output.Complete();
        }
    }

    /// <summary>
    /// Gives each cursor without a head its next posted batch (watermark-only batches just move the
    /// watermark). With <paramref name="wait"/>, sleeps until something is posted first. Returns true
    /// when every worker has finished and nothing is left.
    /// </summary>
    private bool TakePosted(bool wait)
    {
        lock (_gate)
        {
            if (wait)
            {
                while (!AnyPostedForEmptyCursor())
                {
                    _analysisWaiting = true;
                    Monitor.Wait(_gate);
                }
                _analysisWaiting = false;
            }
            var finished = true;
            for (var i = 0; i < _cursors.Length; i++)
            {
                var cursor = _cursors[i];
                while (!cursor.HasHead && _posted[i].TryDequeue(out var batch))
                {
                    if (batch.Records.Count > 0) { cursor.Batch = batch; cursor.Position = 0; }
                    else cursor.Watermark = batch.Watermark;
                }
                if (cursor.HasHead || cursor.Watermark != long.MaxValue) finished = false;
            }
            return finished;
        }
    }

    private bool HasPostedForEmptyCursor()
    {
        lock (_gate) return AnyPostedForEmptyCursor();
    }

    private bool AnyPostedForEmptyCursor()
    {
        for (var i = 0; i < _cursors.Length; i++)
            if (!_cursors[i].HasHead && _posted[i].Count > 0) return true;
        return false;
    }

    /// <summary>Analyses and writes, in capture order, every transaction no worker can still precede. False when none was.</summary>
    private bool ReleaseReady()
    {
        var released = 0;
        while (true)
        {
            var next = -1;
            for (var i = 0; i < _cursors.Length; i++)
            {
                var c = _cursors[i];
                if (c.HasHead && (next < 0 || c.Head.CompareTo(_cursors[next].Head) < 0)) next = i;
            }
            if (next < 0) break;
            var head = _cursors[next].Head;
            var blocked = false;
            foreach (var c in _cursors)
                if (!c.HasHead && c.Watermark < head.PacketIndex) { blocked = true; break; }
            if (blocked) break;

            var cursor = _cursors[next];
            var (_, record, content) = cursor.Batch!.Records[cursor.Position];
            if (++cursor.Position == cursor.Batch.Records.Count)
            {
                // The batch's watermark holds once all its transactions are out.
                cursor.Watermark = cursor.Batch.Watermark;
                cursor.Batch = null;
            }
            Write(record, content);
            released++;
            if (!cursor.HasHead) break; // its next batch may be posted already: take it before going on
        }
        // The flag is read under the gate: the reader checks the backlog and starts waiting under it too,
        // so either it sees the lowered count or it is already waiting when we look.
        if (released > 0 && Interlocked.Add(ref _pending, -released) <= _maxPending / 2)
            lock (_gate)
                if (_readerWaiting) Monitor.PulseAll(_gate);
        return released > 0;
    }

    /// <summary>
    /// HTTP transactions get features and a verdict, ended TLS connections the metadata model's (only an alert
    /// is written); every record keeps its place in capture order.
    /// </summary>
    private void Write(AppRecord record, FeatureExtractor.TransactionContent? content)
    {
        if (record is TransactionRecord transaction) _output.Add(_analyzer is null ? transaction : _analyzer.Analyze(transaction, content));
        else if (record is Tls.TlsConnectionEnd end)
        {
            if (_tls?.Analyze(end) is { } alert) _output.Add(alert);
        }
        else _output.Add(record);
    }
}
