using TrafficSensor.Decoding;
using TrafficSensor.Flows;
using TrafficSensor.Protocols;

namespace TrafficSensor.Output;

/// <summary>
/// Groups alerting transactions into threads: one per client, server and path (the request-target
/// without its query), which is one web-shell session. Every alerting transaction is still logged;
/// the thread id and running count let a SIEM fold them. Bounded to <c>maxThreads</c> open threads
/// (the least recently alerting one is forgotten beyond that, in O(1); its id is never reused).
/// Thread-safe: workers assign under one lock.
/// </summary>
public sealed class AlertThreads(int maxThreads = 100_000, bool rememberFlows = false)
{
    private const int MaxFlowsPerThread = 64;
    private readonly Dictionary<(IpAddress, IpAddress, ushort, string), Entry> _threads = new();
    /// <summary>Open threads, least recently alerting first: eviction is O(1) even when an attacker opens threads by the thousand.</summary>
    private readonly LinkedList<(IpAddress, IpAddress, ushort, string)> _recency = new();
    private readonly Dictionary<FlowKey, HashSet<long>> _threadsByFlow = new();
    private readonly Lock _lock = new();
    private long _nextId = 1;

    private sealed class Entry(long id, long firstSeen, LinkedListNode<(IpAddress, IpAddress, ushort, string)> node)
    {
        public long Id { get; } = id;
        public long FirstSeenMicros { get; } = firstSeen;
        public LinkedListNode<(IpAddress, IpAddress, ushort, string)> Node { get; } = node;
        public long Count;
    }

    /// <summary>Alerting transactions seen.</summary>
    public long Alerts { get; private set; }

    /// <summary>Threads opened in this run.</summary>
    public long Threads => _nextId - 1;

    /// <summary>Places an alerting transaction in its thread.</summary>
    public AlertThreadPosition Assign(TransactionRecord record)
    {
        var key = AlertClassification.ThreadKey(record);
        var now = record.Transaction.TimestampMicros;
        lock (_lock)
        {
            Alerts++;
            if (_threads.TryGetValue(key, out var thread))
            {
                _recency.Remove(thread.Node);
                _recency.AddLast(thread.Node);
            }
            else
            {
                if (_threads.Count >= maxThreads)
                {
                    _threads.Remove(_recency.First!.Value);
                    _recency.RemoveFirst();
                }
                _threads[key] = thread = new Entry(_nextId++, now, _recency.AddLast(key));
            }
            thread.Count++;
            if (rememberFlows) RememberFlow(record, thread.Id);
            return new AlertThreadPosition(thread.Id, thread.Count, Math.Min(thread.FirstSeenMicros, now));
        }
    }

    /// <summary>The flows behind each alert thread, for <see cref="EvidenceWriter"/>.</summary>
    public IReadOnlyDictionary<FlowKey, IReadOnlyCollection<long>> ThreadsByFlow
    {
        get { lock (_lock) return _threadsByFlow.ToDictionary(kv => kv.Key, kv => (IReadOnlyCollection<long>)kv.Value.ToList()); }
    }

    private void RememberFlow(TransactionRecord r, long threadId)
    {
        var key = FlowKey.From(r.ClientAddress, r.ClientPort, r.ServerAddress, r.ServerPort, 6, r.Vlan, r.InnerVlan, out _);
        if (!_threadsByFlow.TryGetValue(key, out var threads))
        {
            if (_threadsByFlow.Count >= maxThreads * MaxFlowsPerThread) return; // bounded: evidence is best effort
            _threadsByFlow[key] = threads = new HashSet<long>();
        }
        threads.Add(threadId);
    }
}

/// <summary>Tags alerting transactions with their thread, then hands every record to the outputs.</summary>
public sealed class AlertThreadingOutput(AlertThreads threads, params ITransactionOutput[] outputs) : ITransactionOutput
{
    public void Write(TransactionRecord record)
    {
        if (record.Verdict is { Alert: true }) record = record with { Thread = threads.Assign(record) };
        foreach (var o in outputs) o.Write(record);
    }

    /// <summary>Other protocols' records are not threaded (only transactions alert).</summary>
    public void Write(AppRecord record)
    {
        if (record is TransactionRecord transaction) { Write(transaction); return; }
        foreach (var o in outputs) o.Write(record);
    }

    public void Flush()
    {
        foreach (var o in outputs) o.Flush();
    }
}

/// <summary>Sends every record to several outputs.</summary>
public sealed class TeeOutput(params ITransactionOutput[] outputs) : ITransactionOutput
{
    public void Write(TransactionRecord record)
    {
        foreach (var o in outputs) o.Write(record);
    }

    public void Write(AppRecord record)
    {
        foreach (var o in outputs) o.Write(record);
    }

    public void Flush()
    {
        foreach (var o in outputs) o.Flush();
    }
}
