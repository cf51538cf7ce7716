using TrafficSensor.Capture;

namespace TrafficSensor.Pipeline;

/// <summary>Everything a run counted, for the end-of-run summary and <c>--stats</c> JSON.</summary>
public sealed record SensorStatistics
{
    public required IReadOnlyList<CaptureFileResult> Files { get; init; }
    /// <summary>Live capture: the interface, and libpcap's own counters (pcap_stats) since it was opened.</summary>
    public string? Interface { get; init; }
    public long? CaptureReceived { get; init; }
    public long? KernelDrops { get; init; }
    public long? InterfaceDrops { get; init; }
    /// <summary>Live capture: packets already in the kernel's buffer at the stop request, read before exiting.</summary>
    public long? DrainedAtStop { get; init; }
    /// <summary>Live capture: why capture stopped on its own (interface gone, ...); null after a normal stop.</summary>
    public string? CaptureError { get; init; }
    public long Packets { get; init; }
    public long Bytes { get; init; }
    public long TcpSegments { get; init; }
    public long SnaplenTruncatedPackets { get; init; }
    public string? FirstPacketTime { get; init; }
    public string? LastPacketTime { get; init; }
    public required IReadOnlyDictionary<string, long> DecodeErrors { get; init; }
    /// <summary>Bad IP/TCP checksums seen, and <c>validation_disabled</c> when automatic mode stopped verifying (offload).</summary>
    public IReadOnlyDictionary<string, long> Checksums { get; init; } = new Dictionary<string, long>();
    public required IReadOnlyDictionary<string, long> IgnoredPackets { get; init; }
    public long FragmentedDatagramsReassembled { get; init; }
    public long FlowsCreated { get; init; }
    public long FlowsActive { get; init; }
    /// <summary>Batches waiting in each worker's queue when the figures were taken.</summary>
    public IReadOnlyList<int> QueueDepths { get; init; } = [];
    public long ReassemblyMemoryBytes { get; init; }
    public required IReadOnlyDictionary<string, long> FlowsEnded { get; init; }
    public long ReassembledBytes { get; init; }
    public required IReadOnlyDictionary<string, long> ReassemblyDroppedBytes { get; init; }
    public required IReadOnlyDictionary<string, long> ReassemblyGapBytes { get; init; }
    public required IReadOnlyDictionary<string, long> ReassemblyEvents { get; init; }
    public long ReassemblyMemoryPeakBytes { get; init; }
    public long ReassemblyMemoryCapBytes { get; init; }
    public long HttpTransactions { get; init; }
    public required IReadOnlyDictionary<string, long> HttpAnomalies { get; init; }
    public long HttpResyncSkippedBytes { get; init; }
    /// <summary>Bytes not parsed: after a protocol switch (101, CONNECT) and of connections no protocol matched.</summary>
    public long HttpNotParsedBytes { get; init; }
    public long NonHttpStreams { get; init; }
    public long HttpInspectMemoryPeakBytes { get; init; }
    /// <summary>Records written by <c>app_proto</c> ("http", "http2", "tls", ...), every registered protocol listed.</summary>
    public IReadOnlyDictionary<string, long> AppRecords { get; init; } = new Dictionary<string, long>();
    /// <summary>Sessions (connections, or inner streams) each protocol was chosen for by content.</summary>
    public IReadOnlyDictionary<string, long> AppSessions { get; init; } = new Dictionary<string, long>();
    /// <summary>Connections whose first bytes no registered protocol matched, and their bytes (not parsed).</summary>
    public long AppProtoUnknownStreams { get; init; }
    public long AppProtoUnknownBytes { get; init; }
    /// <summary>Each protocol's own counters, by protocol name then counter name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> AppProtocols { get; init; } = new Dictionary<string, IReadOnlyDictionary<string, long>>();
    /// <summary>Server paths and client sessions the feature stage remembers (capped, least recently used evicted).</summary>
    public long BehaviourPaths { get; init; }
    public long BehaviourSessions { get; init; }
    public long BehaviourMemoryBytes { get; init; }
    public long BehaviourEvictions { get; init; }
    /// <summary>Servers whose own feature means explain alerts (see ServerBaselines).</summary>
    public long BaselineServers { get; init; }
    public double ElapsedSeconds { get; init; }
    /// <summary>Seconds from the process's start (model loading included) to the first record written; null before it.</summary>
    public double? FirstRecordSeconds { get; init; }
    /// <summary>Bytes the process allocated on the managed heap so far (all threads): the garbage collector's work.</summary>
    public long AllocatedBytes { get; init; }
    public double PacketsPerSecond => ElapsedSeconds > 0 ? Packets / ElapsedSeconds : 0;
    public double MegabytesPerSecond => ElapsedSeconds > 0 ? Bytes / 1e6 / ElapsedSeconds : 0;
    public long DecodeErrorTotal => DecodeErrors.Values.Sum();
}

/// <summary>A cheap, approximate view of a run in progress (read from another thread).</summary>
public readonly record struct PipelineProgress(string? File, int FileIndex, int FileCount, long FilePosition, long FileSize, long Packets, long Bytes, long Transactions);
