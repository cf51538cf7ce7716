using System.Buffers;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Protocols;

/// <summary>
/// Chooses a connection's application protocol by content, as Suricata's app-layer detection and
/// Zeek's DPD do: the first bytes of each direction are offered to every registered protocol's probe
/// (in registry order) and kept; the first direction that decides decides the connection. A match
/// creates the protocol's session, which is then given everything kept, in arrival order and with
/// the original chunking and timestamps, so it sees exactly what it would have seen from the first
/// byte. A direction whose first bytes no protocol accepts makes the connection unknown: its bytes
/// are counted (<see cref="AppLayerCounters.UnknownBytes"/>), not parsed. A direction that ends or
/// loses bytes before deciding forces the choice with what is known: a protocol that matched but
/// waited for an earlier one, else one still needing more data (port hints break ties, then order).
/// Also used for inner streams (decrypted or upgraded bytes, <see cref="AppSessionContext.CreateDetector"/>).
/// <para>All state is owned by the flow worker's thread.</para>
/// </summary>
public sealed class ProtocolDetector : IAppSession
{
    private enum Event : byte { Data, Gap, End }

    private readonly record struct Kept(bool FromLow, Event Kind, int Offset, int Length, long GapLength, long TimestampMicros);

    private sealed class Direction(ProtocolDetector owner, bool fromLow) : ITcpStreamSink
    {
        public readonly bool FromLow = fromLow;
        public byte[]? Bytes;          // kept first bytes (pooled), released once decided
        public int Length;
        public bool Stopped;           // ended or lost bytes before deciding: probes no more
        public ProbeResult[]? Results; // each protocol's answer: Match/NoMatch final, NeedMoreData asked again (null: never probed)

        public void OnData(ReadOnlySpan<byte> data, long timestampMicros) => owner.OnData(this, data, timestampMicros);
        public void OnGap(long length, long timestampMicros) => owner.OnGap(this, length, timestampMicros);
        public void OnEnd(long timestampMicros) => owner.OnEnd(this, timestampMicros);
    }

    // Chunks, gaps and ends kept while probing; bytes are bounded by MaxProbeBytes, events by this.
    private const int MaxKeptEvents = 1024;

    private readonly AppSessionContext _context;
    private readonly Direction _low;
    private readonly Direction _high;
    private List<Kept>? _kept;
    private IAppSession? _session;
    private IAppProtocol? _chosen;
    private bool _unknown; // decided: no protocol (or nothing to parse)

    public ProtocolDetector(AppSessionContext context)
    {
        _context = context;
        _low = new Direction(this, true);
        _high = new Direction(this, false);
    }

    public ITcpStreamSink FromLow => _low;
    public ITcpStreamSink FromHigh => _high;

    /// <summary>The protocol chosen, null while probing or when none matched.</summary>
    public IAppProtocol? Protocol => _chosen;
    /// <summary>The chosen protocol's session, null while probing or when none matched.</summary>
    public IAppSession? Session => _session;
    /// <summary>Decided that no protocol parses this connection.</summary>
    public bool Unknown => _unknown;
    public bool Finished => _unknown || _session is { Finished: true };

    public void Close(long timestampMicros)
    {
        if (_session is null && !_unknown) Decide(Force());
        _session?.Close(timestampMicros);
    }

    /// <summary>Bytes of a packet not handed to reassembly because the connection needs no more parsing (counted where they belong).</summary>
    public void CountSkipped(int bytes)
    {
        if (_unknown) _context.AppLayer.UnknownBytes += bytes;
        else if (_chosen is not null) _context.AppLayer.Skipped(_chosen, bytes);
    }

    private void OnData(Direction d, ReadOnlySpan<byte> data, long timestampMicros)
    {
        if (_session is not null) { Sink(d).OnData(data, timestampMicros); return; }
        if (_unknown) { _context.AppLayer.UnknownBytes += data.Length; return; }
        if (data.IsEmpty) return;
        var offset = Keep(d, data);
        (_kept ??= new List<Kept>(4)).Add(new Kept(d.FromLow, Event.Data, offset, data.Length, 0, timestampMicros));
        // Bytes after a loss are kept for the session, not probed (they do not start the stream).
        if (!d.Stopped && Probe(d) is { } decided) Decide(decided);
        else if (d.Length >= _context.Registry.MaxProbeBytes || _kept.Count > MaxKeptEvents) Decide(Force());
    }

    private void OnGap(Direction d, long length, long timestampMicros)
    {
        if (_session is not null) { Sink(d).OnGap(length, timestampMicros); return; }
        if (_unknown) return;
        (_kept ??= new List<Kept>(4)).Add(new Kept(d.FromLow, Event.Gap, 0, 0, length, timestampMicros));
        if (_kept.Count > MaxKeptEvents) Decide(Force());
        else Stop(d);
    }

    private void OnEnd(Direction d, long timestampMicros)
    {
        if (_session is not null) { Sink(d).OnEnd(timestampMicros); return; }
        if (_unknown) return;
        (_kept ??= new List<Kept>(4)).Add(new Kept(d.FromLow, Event.End, 0, 0, 0, timestampMicros));
        Stop(d);
    }

    /// <summary>
    /// A direction can probe no more. With bytes kept, it decides now (what it would have been told
    /// happens now); without, the other direction may still decide, unless it cannot either.
    /// </summary>
    private void Stop(Direction d)
    {
        var hadBytes = d.Length > 0 && !d.Stopped;
        d.Stopped = true;
        if (hadBytes || (_low.Stopped && _high.Stopped)) Decide(Force());
    }

    private ITcpStreamSink Sink(Direction d) => d.FromLow ? _session!.FromLow : _session!.FromHigh;

    private int Keep(Direction d, ReadOnlySpan<byte> data)
    {
        var offset = d.Length;
        if (d.Bytes is null || d.Bytes.Length - d.Length < data.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(256, d.Length + data.Length));
            if (d.Bytes is not null)
            {
                d.Bytes.AsSpan(0, d.Length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(d.Bytes);
            }
            d.Bytes = bigger;
        }
        data.CopyTo(d.Bytes.AsSpan(d.Length));
        d.Length += data.Length;
        return offset;
    }

    /// <summary>
    /// Offers the direction's kept bytes to every protocol in order that has not answered yet.
    /// Returns the protocol when the first one not ruled out matches; an empty decision
    /// (<see cref="Choice.None"/>) when all are ruled out; null while some still need more data.
    /// A <see cref="ProbeResult.Match"/> or <see cref="ProbeResult.NoMatch"/> is a protocol's final
    /// answer for the direction (the contract of <see cref="IAppProtocol.Probe"/>): it is remembered
    /// and the protocol is not asked again as more bytes arrive, as Suricata keeps a per-direction
    /// mask of the probing parsers that failed and Zeek drops an analyzer once it rejects the
    /// connection. Only those still needing data are asked, so a direction that trickles in one
    /// byte at a time costs each protocol one probe per chunk only while it is undecided.
    /// </summary>
    private Choice? Probe(Direction d)
    {
        var protocols = _context.Registry.Protocols;
        // Slots start at NeedMoreData: "not answered yet", asked on the next probe.
        var results = d.Results ??= new ProbeResult[protocols.Count];
        var bytes = d.Bytes.AsSpan(0, d.Length);
        var key = _context.Flow.Key;
        var waiting = false;
        for (var i = 0; i < protocols.Count; i++)
        {
            var result = results[i];
            if (result == ProbeResult.NeedMoreData) result = results[i] = protocols[i].Probe(bytes, d.FromLow, key);
            if (result == ProbeResult.Match && !waiting) return new Choice(protocols[i]);
            if (result == ProbeResult.NeedMoreData) waiting = true;
        }
        return waiting ? null : Choice.None;
    }

    private readonly record struct Choice(IAppProtocol? Protocol)
    {
        public static readonly Choice None = new(null);
    }

    /// <summary>The choice when bytes cannot decide: a protocol that matched behind one still waiting, else one still waiting (port hint, then order).</summary>
    private Choice Force()
    {
        var protocols = _context.Registry.Protocols;
        IAppProtocol? waitingByPort = null, waitingFirst = null;
        var key = _context.Flow.Key;
        for (var i = 0; i < protocols.Count; i++)
        {
            foreach (var d in (ReadOnlySpan<Direction>)[_low, _high])
            {
                if (d.Results is not { } results) continue;
                if (results[i] == ProbeResult.Match) return new Choice(protocols[i]);
                if (results[i] != ProbeResult.NeedMoreData) continue;
                waitingFirst ??= protocols[i];
                if (waitingByPort is null && (protocols[i].IsUsualPort(key.LowPort) || protocols[i].IsUsualPort(key.HighPort))) waitingByPort = protocols[i];
            }
        }
        return new Choice(waitingByPort ?? waitingFirst);
    }

    private void Decide(Choice choice)
    {
        var registry = _context.Registry;
        var protocol = choice.Protocol;
        var sawBytes = _low.Results is not null || _high.Results is not null; // some first bytes were probed
        foreach (var p in registry.Protocols)
            if (p != protocol && (protocol is not null || sawBytes)) p.OnNotChosen(_context.Flow.Key, protocol, _context.AppLayer.Of(p));

        if (protocol is null)
        {
            _unknown = true;
            if (sawBytes) _context.AppLayer.UnknownStreams++;
            _context.AppLayer.UnknownBytes += _low.Length + _high.Length;
            Release();
            return;
        }

        _chosen = protocol;
        var session = registry.Create(protocol, _context.For(protocol));
        _session = session;
        if (_kept is { } kept)
        {
            foreach (var e in kept)
            {
                var d = e.FromLow ? _low : _high;
                var sink = e.FromLow ? session.FromLow : session.FromHigh;
                switch (e.Kind)
                {
                    case Event.Data: sink.OnData(d.Bytes.AsSpan(e.Offset, e.Length), e.TimestampMicros); break;
                    case Event.Gap: sink.OnGap(e.GapLength, e.TimestampMicros); break;
                    default: sink.OnEnd(e.TimestampMicros); break;
                }
            }
        }
        Release();
    }

    private void Release()
    {
        foreach (var d in (ReadOnlySpan<Direction>)[_low, _high])
        {
            if (d.Bytes is not null) ArrayPool<byte>.Shared.Return(d.Bytes);
            d.Bytes = null;
            d.Length = 0;
            d.Results = null;
        }
        _kept = null;
    }
}
