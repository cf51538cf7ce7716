namespace TrafficSensor;

/// <summary>
/// Every tunable of the sensor in one typed object. The defaults are meant for a busy SPAN port on
/// a small appliance: they bound memory per flow and in total, so an attacker can make the sensor
/// drop (and count) data but never make it grow without limit.
/// </summary>
public sealed record SensorOptions
{
    public CaptureOptions Capture { get; init; } = new();
    public DecodingOptions Decoding { get; init; } = new();
    public FlowOptions Flows { get; init; } = new();
    public ReassemblyOptions Reassembly { get; init; } = new();
    public HttpOptions Http { get; init; } = new();
    public Http2.Http2Options Http2 { get; init; } = new();
    public PipelineOptions Pipeline { get; init; } = new();
    public Output.EveOptions Eve { get; init; } = new();
    public Tls.Decryption.TlsOptions Tls { get; init; } = new();
    /// <summary>Limits of the TLS metadata parser (handshake message size, hellos per connection).</summary>
    public Tls.TlsMetadataOptions TlsMetadata { get; init; } = new();
    /// <summary>When a client's refused requests alert as a scan (distinct refused paths within a window).</summary>
    public Detection.ScanOptions Scan { get; init; } = new();
}

public sealed record CaptureOptions
{
    /// <summary>Berkeley packet filter applied by libpcap before decoding; null for none.</summary>
    public string? Bpf { get; init; }

    /// <summary>Interface of a live capture (a SPAN/mirror port); null when replaying files.</summary>
    public string? Interface { get; init; }
    /// <summary>Bytes kept of each live frame; HTTP needs whole frames, so the default keeps them all.</summary>
    public int Snaplen { get; init; } = 65535;
    /// <summary>
    /// libpcap's kernel ring buffer. It absorbs bursts while the workers catch up; when it is full the
    /// kernel drops packets and counts them (trafficsensor_capture_kernel_drops_total).
    /// </summary>
    public int BufferMegabytes { get; init; } = 64;
    /// <summary>
    /// Live capture: frames copied out of the kernel's ring and waiting for decoding, at most. The
    /// capture thread only copies; this hand-off lets decoding fall behind during a burst without the
    /// kernel dropping. 0 decodes on the capture thread itself (one thread fewer, for a single core).
    /// </summary>
    public int HandoffMegabytes { get; init; } = 64;
    /// <summary>
    /// Live capture: libpcap's packet buffer timeout. A partly filled ring block is handed over after
    /// this long, which bounds how long a packet of a quiet link waits before it is analysed.
    /// </summary>
    public TimeSpan BufferTimeout { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>
    /// Live capture: libpcap's immediate mode. Each packet is handed over as it arrives, but libpcap then
    /// uses TPACKET_V2 (a fixed snaplen-sized slot per packet), so the same ring holds far fewer packets.
    /// </summary>
    public bool ImmediateMode { get; init; }
    /// <summary>Promiscuous mode: needed on some NICs to see mirrored traffic addressed to other hosts.</summary>
    public bool Promiscuous { get; init; }
    /// <summary>Live capture only: also write every captured frame to rotating pcap files here.</summary>
    public string? WritePcapDirectory { get; init; }
    public int RotateMegabytes { get; init; } = 100;
    /// <summary>Rotated files kept; the oldest is deleted beyond this.</summary>
    public int KeepFiles { get; init; } = 10;
}

public sealed record DecodingOptions
{
    /// <summary>IPv4 and IPv6 datagrams being reassembled at once; the oldest is dropped beyond this.</summary>
    public int MaxFragmentedDatagrams { get; init; } = 4096;
    /// <summary>Bytes held by all incomplete datagrams together (fragment bytes as buffered, plus bookkeeping).</summary>
    public long MaxFragmentBytes { get; init; } = 32L << 20;
    /// <summary>An incomplete datagram older than this (packet time) is dropped.</summary>
    public TimeSpan FragmentTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Whose reading of overlapping IP fragments to follow (the protected servers' stack).</summary>
    public FragmentOverlapPolicy FragmentOverlap { get; init; } = FragmentOverlapPolicy.Linux;
    /// <summary>Tunnels inside tunnels are unwrapped up to this depth.</summary>
    public int MaxEncapsulationDepth { get; init; } = 4;
    /// <summary>
    /// Whether IP and TCP checksums are verified. A receiver discards a packet with a bad checksum, so
    /// such a packet (a classic insertion decoy) must not speak for the connection.
    /// </summary>
    public ChecksumValidation ChecksumValidation { get; init; } = ChecksumValidation.Auto;
    /// <summary>
    /// Automatic mode: verification stops for the rest of the input when, within this many first
    /// verified packets, more than a tenth (and at least <see cref="ChecksumAutoMinBad"/>) fail —
    /// the signature of a capture taken on a host that offloads checksums to its NIC.
    /// </summary>
    public int ChecksumAutoSamplePackets { get; init; } = 1000;
    public int ChecksumAutoMinBad { get; init; } = 8;
}

public enum ChecksumValidation
{
    /// <summary>Verify, unless the start of the capture shows offloaded (unfilled) checksums; counted when it stops.</summary>
    Auto,
    Always,
    Never,
}

/// <summary>How overlapping IP fragments are read; overlap is an evasion trick, so every policy counts it.</summary>
public enum FragmentOverlapPolicy
{
    /// <summary>Linux (4.19+, RFC 5722): a fragment inside received bytes is a duplicate and ignored; any other overlap drops the datagram.</summary>
    Linux,
    /// <summary>The bytes that arrived first are kept (BSD and Windows).</summary>
    First,
    /// <summary>Later bytes replace earlier ones.</summary>
    Last,
}

public sealed record FlowOptions
{
    /// <summary>
    /// Flows tracked at once by all workers together (each worker holds its share); beyond this a
    /// worker evicts its least recently active flow. An open flow costs about 1.3 KB (measured, see
    /// docs/performance.md): the default stays near 330 MB whatever the number of workers.
    /// </summary>
    public int MaxFlows { get; init; } = 262_144;
    /// <summary>Idle time (packet time) after which an open TCP flow is closed.</summary>
    public TimeSpan TcpIdleTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>How long a closed (FIN/RST) flow is remembered to absorb late retransmissions.</summary>
    public TimeSpan TcpClosedTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Idle time after which a flow that never completed its handshake is dropped.</summary>
    public TimeSpan TcpEmbryonicTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

public enum OverlapPolicy
{
    /// <summary>The bytes that arrived first are kept (Suricata's and Windows' behaviour).</summary>
    First,
    /// <summary>Bytes of a later segment replace still-buffered bytes (Linux-like for most cases).</summary>
    Last,
}

public sealed record ReassemblyOptions
{
    /// <summary>Bytes per direction delivered to the HTTP parser; the rest is counted and skipped. 0: unlimited.</summary>
    public long MaxDepthPerDirection { get; init; } = 64L << 20;
    /// <summary>
    /// Out-of-order memory (pages of 4 KiB with their bitmaps, <c>TcpStreamReassembler.PageCost</c>
    /// bytes each) one direction may hold before the stream is forced past the oldest hole.
    /// </summary>
    public int MaxOutOfOrderBytesPerDirection { get; init; } = 1 << 20;
    /// <summary>
    /// Out-of-order buffers of all flows of all workers together, per-page overhead included (each
    /// worker gets an equal share, so the cap holds for any worker count).
    /// </summary>
    public long MemoryCapBytes { get; init; } = 256L << 20;
    /// <summary>A segment further than this ahead of the next expected byte is treated as out of window.</summary>
    public uint MaxWindowBytes { get; init; } = 16u << 20;
    public OverlapPolicy Overlap { get; init; } = OverlapPolicy.First;
}

public sealed record HttpOptions
{
    /// <summary>Request/status line plus headers; a longer head is flagged and the direction resynchronised.</summary>
    public int MaxHeaderBytes { get; init; } = 64 * 1024;
    public int MaxHeaders { get; init; } = 200;
    /// <summary>Body bytes kept per message for parameter extraction and later feature extraction.</summary>
    public int MaxBodyInspectBytes { get; init; } = 64 * 1024;
    /// <summary>Output limit when gzip/deflate/br bodies are decoded (decompression-bomb guard).</summary>
    public int MaxDecodedBodyBytes { get; init; } = 256 * 1024;
    /// <summary>Requests waiting for their response on one connection (pipelining).</summary>
    public int MaxPendingRequests { get; init; } = 64;
    /// <summary>Parameters (query, form, multipart, cookies) kept per transaction.</summary>
    public int MaxParameters { get; init; } = 128;
    /// <summary>Body bytes kept for inspection by all connections of one worker together.</summary>
    public long MaxInspectMemoryBytes { get; init; } = 128L << 20;
    /// <summary>
    /// Whether HTTP/1 response bodies are handed on (<see cref="Http.HttpMessage.Body"/>). Set by the pipeline:
    /// only feature extraction (a model, or training) and alert excerpts read them, so a run without a model
    /// still inspects them (content decoding and its anomalies) but does not copy them out.
    /// </summary>
    internal bool KeepResponseBodies { get; init; } = true;
    /// <summary>
    /// Set by the pipeline when nothing reads whole bodies after the flow worker has measured a transaction (no
    /// output reads them): bodies are then decoded into pooled buffers instead of arrays of their own, and when the
    /// flow worker hands the transaction on only this many bytes of each are kept (the alert excerpt, 0: none).
    /// Null (the default, and what direct users of the parser get): each body is an array of its own, kept whole.
    /// </summary>
    internal int? RetainedBodyBytes { get; init; }
    /// <summary>Where pooled bodies are rented (tests count the rents and returns).</summary>
    internal System.Buffers.ArrayPool<byte> BodyPool { get; init; } = System.Buffers.ArrayPool<byte>.Shared;
}

public sealed record PipelineOptions
{
    /// <summary>Flow-processing threads; flows are sharded across them by a symmetric 5-tuple hash.</summary>
    public int Workers { get; init; } = Math.Clamp(Environment.ProcessorCount - 1, 1, 16);
    /// <summary>
    /// Batches of packets queued per worker before the reader waits (back-pressure). A batch copies
    /// its payloads into one buffer that may grow to twice what it holds, so queued payload is at most
    /// 2 × QueueBatches × BatchSize × the largest frame: with ordinary 1.5 KB frames about 6 MB,
    /// with 64 KB offload "super frames" at most 256 MB per worker (a recycled batch keeps at most
    /// 1 MiB of buffer).
    /// </summary>
    public int QueueBatches { get; init; } = 16;
    /// <summary>Packets per batch handed to a worker.</summary>
    public int BatchSize { get; init; } = 128;
    /// <summary>
    /// Transactions completed by the flow workers and not yet analysed and written; beyond it the
    /// reader waits for the analysis thread (each holds its kept bodies: at most a few MB in all).
    /// </summary>
    public int MaxPendingTransactions { get; init; } = 1024;
}
