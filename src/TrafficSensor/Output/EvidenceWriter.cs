using TrafficSensor.Capture;
using TrafficSensor.Decoding;
using TrafficSensor.Flows;

namespace TrafficSensor.Output;

/// <summary>
/// Writes the packets of alerted flows, both directions, into one classic pcap per alert thread
/// (DIR/thread-N.pcap), so a responder can open exactly the traffic behind an alert in Wireshark.
/// Replay produces them in a second pass over the inputs after the run, which keeps the per-packet
/// path free of it; each flow contributes at most <see cref="MaxBytesPerFlow"/> bytes of frames.
/// </summary>
public sealed class EvidenceWriter
{
    public const long MaxBytesPerFlow = 4L << 20;
    private readonly string _directory;

    public EvidenceWriter(string directory) => _directory = directory;

    public static string FileName(string directory, long threadId) => Path.Combine(directory, $"thread-{threadId}.pcap");

    /// <summary>Reads the captures again and writes each alerted flow's frames to its threads' files. Returns the files written.</summary>
    public IReadOnlyList<string> Write(IReadOnlyList<string> captures, IReadOnlyDictionary<FlowKey, IReadOnlyCollection<long>> threadsByFlow, CancellationToken cancel = default)
    {
        if (threadsByFlow.Count == 0) return [];
        Directory.CreateDirectory(_directory);
        var handler = new Handler(_directory, threadsByFlow);
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

    private sealed class Handler(string directory, IReadOnlyDictionary<FlowKey, IReadOnlyCollection<long>> threadsByFlow) : IFrameHandler, IDisposable
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
            var path = FileName(directory, thread);
            stream = new FileStream(path, FileMode.Create, FileAccess.Write);
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
