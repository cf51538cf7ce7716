using System.Buffers.Binary;
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
            foreach (var thread in threads) WriteRecord(File(thread, frame.LinkType), frame);
        }

        private FileStream File(long thread, LinkType linkType)
        {
            if (_files.TryGetValue(thread, out var stream)) return stream;
            var path = FileName(directory, thread);
            stream = new FileStream(path, FileMode.Create, FileAccess.Write);
            Span<byte> header = stackalloc byte[24];
            BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
            BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
            BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 262144);
            BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)linkType);
            stream.Write(header);
            _files[thread] = stream;
            Files.Add(path);
            return stream;
        }

        private static void WriteRecord(FileStream stream, in CaptureFrame frame)
        {
            Span<byte> record = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(frame.TimestampMicros / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(frame.TimestampMicros % 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.OriginalLength);
            stream.Write(record);
            stream.Write(frame.Data);
        }

        public void Dispose()
        {
            foreach (var stream in _files.Values) stream.Dispose();
        }
    }
}
