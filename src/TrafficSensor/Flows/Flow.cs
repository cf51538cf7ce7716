using TrafficSensor.Decoding;

namespace TrafficSensor.Flows;

public enum TcpState
{
    /// <summary>Only a SYN (or SYN-ACK) seen so far.</summary>
    Embryonic,
    Established,
    /// <summary>One side sent FIN.</summary>
    Closing,
    /// <summary>Both sides sent FIN, or one sent RST.</summary>
    Closed,
}

/// <summary>How the client side of a flow was determined, weakest first.</summary>
public enum ClientEvidence
{
    None,
    /// <summary>Guessed from well-known or lower port numbers.</summary>
    Port,
    /// <summary>The side that sent an HTTP request line.</summary>
    Content,
    /// <summary>The side that sent the SYN.</summary>
    Handshake,
}

public enum FlowEndReason
{
    Closed,
    IdleTimeout,
    Evicted,
    EndOfCapture,
}

/// <summary>
/// One tracked connection. The flow knows its endpoints, TCP state and counters; what later stages
/// keep per flow (reassembly, HTTP state) hangs off <see cref="Session"/>, which this stage never
/// looks into.
/// </summary>
public sealed class Flow<TSession> where TSession : class
{
    private byte[]? _communityHash;
    private string? _communityId;

    internal Flow(in FlowKey key, long nowMicros)
    {
        Key = key;
        StartMicros = nowMicros;
        LastSeenMicros = nowMicros;
    }

    public FlowKey Key { get; }
    public long StartMicros { get; }
    public long LastSeenMicros { get; internal set; }
    public TcpState State { get; internal set; } = TcpState.Established;
    public TSession? Session { get; set; }

    /// <summary>True when the low endpoint of <see cref="Key"/> is the client; null while unknown.</summary>
    public bool? ClientIsLow { get; private set; }
    public ClientEvidence ClientEvidence { get; private set; }

    public long PacketsFromLow { get; internal set; }
    public long PacketsFromHigh { get; internal set; }
    public long BytesFromLow { get; internal set; }
    public long BytesFromHigh { get; internal set; }
    internal bool FinFromLow { get; set; }
    internal bool FinFromHigh { get; set; }

    /// <summary>The flow's Community ID, hashed once per flow (every transaction record carries it).</summary>
    public string CommunityId => _communityId ??= Flows.CommunityId.Format(_communityHash ??= Flows.CommunityId.Hash(Key));

    /// <summary>A stable 51-bit id for EVE's flow_id, derived from the Community ID hash and the start time.</summary>
    public long FlowId
    {
        get
        {
            _communityHash ??= Flows.CommunityId.Hash(Key);
            var h = BitConverter.ToUInt64(_communityHash, 0) ^ (ulong)StartMicros * 0x9E3779B97F4A7C15UL;
            return (long)(h & ((1UL << 51) - 1)); // fits a JSON number exactly (JavaScript-safe)
        }
    }

    /// <summary>Records who the client is, unless stronger evidence already decided it.</summary>
    public void SetClient(bool clientIsLow, ClientEvidence evidence)
    {
        if (evidence <= ClientEvidence) return;
        ClientIsLow = clientIsLow;
        ClientEvidence = evidence;
    }

    // Intrusive LRU links: no allocation per packet when a flow moves to the list's tail.
    internal Flow<TSession>? Previous;
    internal Flow<TSession>? Next;
    internal int ListIndex = -1;

    internal static bool IsKnownServerPort(ushort port) => port is 80 or 8080 or 8000 or 8008 or 8081 or 8888 or 3128 or 443 or 8443 or 9000 or 5000 or 81 or 591;
}
