using System.Buffers.Binary;
using TrafficSensor.Capture;
using TrafficSensor.Decoding;
using TrafficSensor.Http;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Fuzz;

/// <summary>
/// The fuzzing targets: each reads one input, drives the sensor's hostile-input stages with it and
/// throws only when an invariant breaks (a crash to AFL). Expected outcomes of bad input are counted
/// by the sensor, never thrown, so any exception is a finding. Also replayed by the test suite.
/// </summary>
public static class FuzzTargets
{
    public static readonly string[] Names = ["http", "packets", "tls"];

    public static void Run(string target, ReadOnlySpan<byte> input)
    {
        switch (target)
        {
            case "http": Http(input); break;
            case "packets": Packets(input); break;
            case "tls": Tls(input); break;
            default: throw new ArgumentException("unknown target " + target);
        }
    }

    /// <summary>
    /// One HTTP connection fed as records: [op][length: 2 bytes][data]. op bit 0: server side;
    /// bit 1: a gap of that length instead of data. Exercises the parser, pairing and parameters.
    /// </summary>
    public static void Http(ReadOnlySpan<byte> input)
    {
        var budget = new MemoryBudget(1 << 20);
        var sink = new CountingSink();
        var options = new HttpOptions { MaxPendingRequests = 4, MaxBodyInspectBytes = 512, MaxHeaderBytes = 2048, MaxParameters = 16, MaxDecodedBodyBytes = 4096 };
        var connection = new HttpConnection(options, budget, new HttpCounters(), sink);
        FeedStreamRecords(input, connection.FromLow, connection.FromHigh);
        connection.Close(0);
        if (budget.UsedBytes != 0) throw new InvalidOperationException($"inspection memory leaked: {budget.UsedBytes} bytes");
    }

    /// <summary>
    /// One TLS connection fed as records, as <see cref="Http"/>'s: [op][length: 2 bytes][data], op bit 0:
    /// server side, bit 1: a gap. Exercises record framing, handshake reassembly, hello and certificate
    /// parsing and the fingerprints; the memory taken for partial records and messages must all come back.
    /// </summary>
    public static void Tls(ReadOnlySpan<byte> input)
    {
        var budget = new MemoryBudget(1 << 20);
        var parser = new TrafficSensor.Tls.TlsConnectionParser(new TrafficSensor.Tls.TlsCounters(), budget,
            new TrafficSensor.Tls.TlsMetadataOptions { MaxHandshakeMessageBytes = 32 * 1024 }, clientIsLow: null);
        FeedStreamRecords(input, parser.FromLow, parser.FromHigh);
        parser.FromLow.OnEnd(0);
        parser.FromHigh.OnEnd(0);
        _ = TrafficSensor.Tls.TlsMetadata.From(parser);
        if (budget.UsedBytes != 0) throw new InvalidOperationException($"TLS parser memory leaked: {budget.UsedBytes} bytes");
    }

    /// <summary>Feeds [op][length: 2 bytes][data] records to a connection's two sides: op bit 0 the server side, bit 1 a gap of that length.</summary>
    private static void FeedStreamRecords(ReadOnlySpan<byte> input, ITcpStreamSink fromLow, ITcpStreamSink fromHigh)
    {
        while (input.Length >= 3)
        {
            var op = input[0];
            int length = BinaryPrimitives.ReadUInt16BigEndian(input[1..]);
            input = input[3..];
            var side = (op & 1) == 0 ? fromLow : fromHigh;
            if ((op & 2) != 0)
            {
                side.OnGap(length, 0);
                continue;
            }
            var data = input[..Math.Min(length, input.Length)];
            input = input[data.Length..];
            side.OnData(data, 0);
        }
    }

    /// <summary>
    /// Frames as records: [link selector][length: 2 bytes][frame]. Every TCP segment decoded (after
    /// IPv4/IPv6 defragmentation and tunnels) goes through TCP reassembly into one HTTP connection.
    /// </summary>
    public static void Packets(ReadOnlySpan<byte> input)
    {
        LinkType[] links = [LinkType.Ethernet, LinkType.Raw, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Null];
        var decodingOptions = new DecodingOptions { MaxFragmentedDatagrams = 8, MaxFragmentBytes = 256 << 10 };
        var decoder = new PacketDecoder(decodingOptions);
        var reassemblyOptions = new ReassemblyOptions { MaxOutOfOrderBytesPerDirection = 4096, MemoryCapBytes = 1 << 20 };
        var reassemblyMemory = new MemoryBudget(reassemblyOptions.MemoryCapBytes);
        var inspectMemory = new MemoryBudget(1 << 20);
        var connection = new HttpConnection(new HttpOptions { MaxPendingRequests = 4, MaxBodyInspectBytes = 512 }, inspectMemory, new HttpCounters(), new CountingSink());
        var counters = new ReassemblyCounters();
        var fromLow = new TcpStreamReassembler(connection.FromLow, reassemblyOptions, reassemblyMemory, counters);
        var fromHigh = new TcpStreamReassembler(connection.FromHigh, reassemblyOptions, reassemblyMemory, counters);
        ushort? lowPort = null;
        long time = 0;
        while (input.Length >= 3)
        {
            var link = links[input[0] % links.Length];
            int length = BinaryPrimitives.ReadUInt16BigEndian(input[1..]);
            input = input[3..];
            var frame = input[..Math.Min(length, input.Length)];
            input = input[frame.Length..];
            time += 1000;
            var packet = new DecodedPacket();
            if (decoder.Decode(new CaptureFrame(time, link, frame, frame.Length), ref packet) != DecodeOutcome.Tcp) continue;
            if (decoder.FragmentBytesHeld > decodingOptions.MaxFragmentBytes)
                throw new InvalidOperationException($"fragments hold {decoder.FragmentBytesHeld} bytes over the cap");
            lowPort ??= packet.SourcePort;
            var direction = packet.SourcePort == lowPort ? fromLow : fromHigh;
            direction.OnSegment(packet.Sequence, packet.Flags, packet.Payload, packet.PayloadWireLength, time);
        }
        fromLow.Flush(time);
        fromHigh.Flush(time);
        connection.Close(time);
        if (reassemblyMemory.UsedBytes != 0) throw new InvalidOperationException($"reassembly memory leaked: {reassemblyMemory.UsedBytes} bytes");
        if (inspectMemory.UsedBytes != 0) throw new InvalidOperationException($"inspection memory leaked: {inspectMemory.UsedBytes} bytes");
    }

    private sealed class CountingSink : IHttpTransactionSink
    {
        public void OnTransaction(HttpTransaction transaction)
        {
            // Touch what the output stage reads, so lazily computed values are exercised too.
            _ = transaction.Hostname;
            _ = transaction.AllAnomalies.Names().Count();
        }
    }
}
