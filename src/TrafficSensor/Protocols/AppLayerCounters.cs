namespace TrafficSensor.Protocols;

/// <summary>
/// One flow worker's application-layer counters (owned by that worker's thread): sessions and records
/// by protocol, connections and bytes no protocol matched, and each protocol's own counters.
/// </summary>
public sealed class AppLayerCounters
{
    private readonly ProtocolRegistry _registry;
    private readonly long[] _sessions;
    private readonly long[] _records;
    private readonly long[] _skipped;
    private readonly IProtocolCounters?[] _own;

    internal AppLayerCounters(ProtocolRegistry registry)
    {
        _registry = registry;
        var n = registry.Protocols.Count;
        _sessions = new long[n];
        _records = new long[n];
        _skipped = new long[n];
        _own = registry.Protocols.Select(p => p.CreateCounters()).ToArray();
    }

    /// <summary>Connections (or inner streams) whose first bytes matched no registered protocol.</summary>
    public long UnknownStreams { get; internal set; }
    /// <summary>Bytes of those connections (EVE/metrics: <c>app_proto_unknown</c>).</summary>
    public long UnknownBytes { get; set; }

    public IProtocolCounters? Of(IAppProtocol protocol)
    {
        var i = _registry.IndexOf(protocol);
        return i < 0 ? null : _own[i];
    }

    /// <summary>The counters of the first registered protocol whose counters are a <typeparamref name="T"/>.</summary>
    public T? Of<T>() where T : class, IProtocolCounters => _own.OfType<T>().FirstOrDefault();

    internal void SessionCreated(IAppProtocol protocol)
    {
        var i = _registry.IndexOf(protocol);
        if (i >= 0) _sessions[i]++;
    }

    /// <summary>Bytes of packets not reassembled because the protocol's session wanted no more (a tunnel, say).</summary>
    internal void Skipped(IAppProtocol protocol, int bytes)
    {
        var i = _registry.IndexOf(protocol);
        if (i >= 0) _skipped[i] += bytes;
    }

    /// <summary>Bytes skipped after the named protocol's sessions finished.</summary>
    public long SkippedBytes(string name)
    {
        for (var i = 0; i < _skipped.Length; i++)
            if (string.Equals(_registry.Protocols[i].Name, name, StringComparison.Ordinal)) return _skipped[i];
        return 0;
    }

    /// <summary>A record left a session of the protocol named by its <see cref="AppRecord.AppProto"/>.</summary>
    public void RecordEmitted(AppRecord record)
    {
        for (var i = 0; i < _records.Length; i++)
            if (string.Equals(_registry.Protocols[i].Name, record.AppProto, StringComparison.Ordinal)) { _records[i]++; return; }
    }

    /// <summary>Records emitted so far, all protocols.</summary>
    public long Records => _records.Sum();

    /// <summary>Adds another worker's counters (of the same registry).</summary>
    public void Add(AppLayerCounters other)
    {
        UnknownStreams += other.UnknownStreams;
        UnknownBytes += other.UnknownBytes;
        for (var i = 0; i < _records.Length; i++)
        {
            _sessions[i] += other._sessions[i];
            _records[i] += other._records[i];
            _skipped[i] += other._skipped[i];
            if (_own[i] is { } own && other._own[i] is { } theirs) own.Add(theirs);
        }
    }

    /// <summary>Sessions by protocol name.</summary>
    public IReadOnlyDictionary<string, long> SessionsByProtocol() => ByName(_sessions);

    /// <summary>Records by <c>app_proto</c>.</summary>
    public IReadOnlyDictionary<string, long> RecordsByProtocol() => ByName(_records);

    /// <summary>Each protocol's own counters by name (protocols without counters are left out).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> ProtocolFigures()
    {
        var result = new SortedDictionary<string, IReadOnlyDictionary<string, long>>(StringComparer.Ordinal);
        for (var i = 0; i < _own.Length; i++)
            if (_own[i] is { } own)
                result[_registry.Protocols[i].Name] = own.Figures().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return result;
    }

    private IReadOnlyDictionary<string, long> ByName(long[] values)
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < values.Length; i++) result[_registry.Protocols[i].Name] = values[i];
        return result;
    }
}
