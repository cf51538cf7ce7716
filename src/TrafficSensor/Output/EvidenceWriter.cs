using TrafficSensor.Capture;
using TrafficSensor.Decoding;
using TrafficSensor.Flows;

namespace TrafficSensor.Output;

/// <summary>
/// Writes the packets of alerted flows, both directions, into one classic pcap per alert thread
/// (DIR/RUN-thread-N.pcap, RUN naming this run, so a later run never overwrites the evidence of an
/// earlier one: files are created with CreateNew), so a responder can open exactly the traffic behind an alert in Wireshark.
/// Replay produces them in a second pass over the inputs after the run, which keeps the per-packet
/// path free of it; each flow contributes at most <see cref="MaxBytesPerFlow"/> bytes of frames.
/// </summary>
public sealed class EvidenceWriter
{
    public const long MaxBytesPerFlow = 4L << 20;
    private readonly string _directory;
    private readonly string _run;

    /// <param name="run">A name unique to this run, e.g. <see cref="RunName"/>.</param>
    public EvidenceWriter(string directory, string run)
    {
        _directory = directory;
        _run = run;
    }

    /// <summary>"trafficsensor-yyyyMMddTHHmmssZ-PID": unique per run on one machine.</summary>
    public static string RunName(DateTime startUtc) =>
        $"trafficsensor-{startUtc:yyyyMMdd'T'HHmmss'Z'}-{Environment.ProcessId}";

    public string FileName(long threadId) => Path.Combine(_directory, $"{_run}-thread-{threadId}.pcap");

    /// <summary>Reads the captures again and writes each alerted flow's frames to its threads' files. Returns the files written.</summary>
    public IReadOnlyList<string> Write(IReadOnlyList<string> captures, IReadOnlyDictionary<FlowKey, IReadOnlyCollection<long>> threadsByFlow, CancellationToken cancel = default)
    {
        if (threadsByFlow.Count == 0) return [];
        Directory.CreateDirectory(_directory);
        var handler = new Handler(this, threadsByFlow);
        try
        {
            var reader = new PcapFileReader(null);
            foreach (var capture in captures) reader.Read(capture, handler, cancel);
        }
        finally
        {
            handler.Dispose();
        }
        return handler.Files;
    }

    private sealed class Handler(EvidenceWriter writer, IReadOnlyDictionary<FlowKey, IReadOnlyCollection<long>> threadsByFlow) : IFrameHandler, IDisposable
    {
        private readonly PacketDecoder _decoder = new(new DecodingOptions());
        private readonly Dictionary<long, FileStream> _files = new();
        private readonly Dictionary<FlowKey, long> _bytesByFlow = new();

        public List<string> Files { get; } = new();

        public void OnFrame(in CaptureFrame frame)
        {
            var packet = new DecodedPacket();
            if (_decoder.Decode(frame, ref packet) != DecodeOutcome.Tcp) return;
            var key = FlowKey.From(packet.Source, packet.SourcePort, packet.Destination, packet.DestinationPort, packet.Protocol, packet.Vlan, packet.InnerVlan, out _);
            if (!threadsByFlow.TryGetValue(key, out var threads)) return;
            var written = _bytesByFlow.GetValueOrDefault(key);
            if (written + frame.Data.Length > MaxBytesPerFlow) return;
            _bytesByFlow[key] = written + frame.Data.Length;
            foreach (var thread in threads) PcapFormat.WriteRecord(File(thread, frame.LinkType), frame);
        }

        private FileStream File(long thread, LinkType linkType)
        {
            if (_files.TryGetValue(thread, out var stream)) return stream;
            var path = writer.FileName(thread);
            stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write); // never overwrite earlier evidence
            PcapFormat.WriteFileHeader(stream, linkType);
            _files[thread] = stream;
            Files.Add(path);
            return stream;
        }

        public void Dispose()
        {
            foreach (var stream in _files.Values) stream.Dispose();
        }
    }
}
