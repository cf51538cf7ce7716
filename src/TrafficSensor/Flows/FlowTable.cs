using TrafficSensor.Decoding;

namespace TrafficSensor.Flows;

/// <summary>
/// The flows of one worker. Time is packet time, so a replay gives the same result every run.
/// Flows sit in one LRU list per timeout class (embryonic, open, closed); each list's head is its
/// most idle flow, so expiry is exact and costs nothing while nothing expires. When the table is
/// full the most idle flow of all is evicted and counted.
/// </summary>
public sealed class FlowTable<TSession> where TSession : class
{
    private const int EmbryonicList = 0, OpenList = 1, ClosedList = 2;

    private readonly Dictionary<FlowKey, Flow<TSession>> _flows;
    private readonly LruList[] _lists = [new(), new(), new()];
    private readonly long[] _timeoutMicros;
    private readonly int _maxFlows;
    private readonly Action<Flow<TSession>, FlowEndReason> _onEnd;

    public FlowTable(FlowOptions options, Action<Flow<TSession>, FlowEndReason> onEnd)
    {
        _maxFlows = Math.Max(1, options.MaxFlows);
        _flows = new Dictionary<FlowKey, Flow<TSession>>(Math.Min(_maxFlows, 1 << 16));
        _timeoutMicros =
        [
            (long)options.TcpEmbryonicTimeout.TotalMicroseconds,
            (long)options.TcpIdleTimeout.TotalMicroseconds,
            (long)options.TcpClosedTimeout.TotalMicroseconds,
        ];
        _onEnd = onEnd;
    }

    public int Active => _flows.Count;
    public long Created { get; private set; }
    public ReasonCounters<FlowEndReason> Ended { get; } = new();

    /// <summary>Finds or creates the flow of a TCP packet and updates its state, counters and idle time.</summary>
    public Flow<TSession> Track(in FlowKey key, bool fromLow, TcpFlags flags, int payloadLength, long nowMicros)
    {
        var syn = (flags & TcpFlags.Syn) != 0;
        var ack = (flags & TcpFlags.Ack) != 0;
        if (_flows.TryGetValue(key, out var flow))
        {
            // A new SYN on a finished connection is port reuse: the old flow ends, a new one starts.
            if (flow.State == TcpState.Closed && syn && !ack)
            {
                End(flow, FlowEndReason.Closed);
                flow = Create(key, fromLow, flags, nowMicros);
            }
        }
        else
        {
            flow = Create(key, fromLow, flags, nowMicros);
        }

        flow.LastSeenMicros = Math.Max(flow.LastSeenMicros, nowMicros);
        if (fromLow) { flow.PacketsFromLow++; flow.BytesFromLow += payloadLength; }
        else { flow.PacketsFromHigh++; flow.BytesFromHigh += payloadLength; }

        if (syn && ack) flow.SetClient(!fromLow, ClientEvidence.Handshake);
        if (flow.State == TcpState.Embryonic && ((ack && !syn) || payloadLength > 0)) flow.State = TcpState.Established;
        if ((flags & TcpFlags.Rst) != 0) flow.State = TcpState.Closed;
        if ((flags & TcpFlags.Fin) != 0) ApplyFin(flow, fromLow);

        Touch(flow);
        return flow;
    }

    /// <summary>
    /// A FIN the receiver accepted. Callers that judge segments first (a forged FIN or RST must not
    /// end a flow) track the packet without FIN/RST and report them here once accepted.
    /// </summary>
    public void Finished(Flow<TSession> flow, bool fromLow)
    {
        ApplyFin(flow, fromLow);
        Touch(flow);
    }

    /// <summary>An RST the receiver accepted: the flow is closed.</summary>
    public void Reset(Flow<TSession> flow)
    {
        flow.State = TcpState.Closed;
        Touch(flow);
    }

    private static void ApplyFin(Flow<TSession> flow, bool fromLow)
    {
        if (fromLow) flow.FinFromLow = true; else flow.FinFromHigh = true;
        if (flow.State != TcpState.Closed) flow.State = flow.FinFromLow && flow.FinFromHigh ? TcpState.Closed : TcpState.Closing;
    }

    /// <summary>Ends every flow idle for longer than its class's timeout at packet time <paramref name="nowMicros"/>.</summary>
    public void Expire(long nowMicros)
    {
        for (var i = 0; i < _lists.Length; i++)
        {
            var list = _lists[i];
            while (list.Head is { } oldest && nowMicros - oldest.LastSeenMicros > _timeoutMicros[i])
                End(oldest, i == ClosedList ? FlowEndReason.Closed : FlowEndReason.IdleTimeout);
        }
    }

    /// <summary>Ends all flows (end of capture or shutdown).</summary>
    public void Flush()
    {
        foreach (var list in _lists)
            while (list.Head is { } flow)
                End(flow, flow.State == TcpState.Closed ? FlowEndReason.Closed : FlowEndReason.EndOfCapture);
    }

    private Flow<TSession> Create(in FlowKey key, bool fromLow, TcpFlags flags, long nowMicros)
    {
        while (_flows.Count >= _maxFlows) EvictMostIdle();
        var flow = new Flow<TSession>(key, nowMicros);
        if ((flags & TcpFlags.Syn) != 0)
        {
            flow.State = TcpState.Embryonic;
            if ((flags & TcpFlags.Ack) == 0) flow.SetClient(fromLow, ClientEvidence.Handshake);
        }
        else
        {
            flow.SetClient(LowLooksLikeClient(key), ClientEvidence.Port);
        }
        _flows.Add(key, flow);
        Created++;
        return flow;
    }

    /// <summary>Midstream without content evidence: the side on a well-known HTTP port, else the lower port, is the server.</summary>
    private static bool LowLooksLikeClient(in FlowKey key)
    {
        var lowKnown = Flow<TSession>.IsKnownServerPort(key.LowPort);
        var highKnown = Flow<TSession>.IsKnownServerPort(key.HighPort);
        if (lowKnown != highKnown) return highKnown;
        return key.LowPort > key.HighPort;
    }

    private void EvictMostIdle()
    {
        Flow<TSession>? victim = null;
        foreach (var list in _lists)
            if (list.Head is { } head && (victim is null || head.LastSeenMicros < victim.LastSeenMicros))
                victim = head;
        End(victim!, FlowEndReason.Evicted);
    }

    private void End(Flow<TSession> flow, FlowEndReason reason)
    {
        _lists[flow.ListIndex].Remove(flow);
        _flows.Remove(flow.Key);
        Ended.Add(reason);
        _onEnd(flow, reason);
    }

    private void Touch(Flow<TSession> flow)
    {
        var target = flow.State switch
        {
            TcpState.Embryonic => EmbryonicList,
            TcpState.Closed => ClosedList,
            _ => OpenList,
        };
        if (flow.ListIndex >= 0) _lists[flow.ListIndex].Remove(flow);
        _lists[target].Append(flow);
        flow.ListIndex = target;
    }

    /// <summary>Doubly linked list through the flows' own links; the head is the least recently active.</summary>
    private sealed class LruList
    {
        public Flow<TSession>? Head;
        private Flow<TSession>? _tail;

        public void Append(Flow<TSession> flow)
        {
            flow.Previous = _tail;
            flow.Next = null;
            if (_tail is null) Head = flow; else _tail.Next = flow;
            _tail = flow;
        }

        public void Remove(Flow<TSession> flow)
        {
            if (flow.Previous is null) Head = flow.Next; else flow.Previous.Next = flow.Next;
            if (flow.Next is null) _tail = flow.Previous; else flow.Next.Previous = flow.Previous;
            flow.Previous = flow.Next = null;
        }
    }
}
