using System.Text;
using System.Threading.Channels;
using TrafficSensor.Decoding;
using TrafficSensor.Flows;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;
using TrafficSensor.Reassembly;
using TrafficSensor.Tests.Reassembly;
using TrafficSensor.Tests.TestSupport;
using Xunit.Abstractions;

namespace TrafficSensor.Tests.Flows;

/// <summary>
/// What a flow and a buffered segment really cost, measured on the managed heap (the figures in the
/// README's "Hostile input and bounded memory" and docs/performance.md come from these runs).
/// </summary>
[Collection(MemoryMeasurement.Name)]
public class FlowMemoryTests(ITestOutputHelper output)
{
    private const int Flows = 5_000;

    /// <summary>How far a connection got when it is measured.</summary>
    public enum Stage { Tracked, WithSession, Handshake, RequestPending, BetweenRequests }

    /// <summary>Upper bounds documented in the README ("Hostile input and bounded memory") and docs/performance.md.</summary>
    [Theory]
    [InlineData(Stage.Tracked, 256)]
    [InlineData(Stage.WithSession, 1200)]
    [InlineData(Stage.Handshake, 1200)]
    [InlineData(Stage.RequestPending, 4608)]
    [InlineData(Stage.BetweenRequests, 6144)]
    public void A_flow_costs_what_the_documentation_says(Stage stage, int documentedBytes)
    {
        var options = new SensorOptions();
        var protocols = TrafficSensor.Protocols.ProtocolRegistry.CreateDefault();
        var worker = new FlowWorker(0, options, protocols, new System.Collections.Concurrent.ConcurrentQueue<PacketBatch>(), new AnalysisWorker(1, null, new OutputStage(new DiscardingOutput()), options.Pipeline.MaxPendingTransactions));
        var table = new FlowTable<FlowSession>(options.Flows, (_, _) => { });
        var request = Encoding.ASCII.GetBytes("GET /index.php?id=1 HTTP/1.1\r\nHost: example\r\n\r\n");
        var response = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");

        void Open(int i)
        {
            var key = FlowKey.From(IpAddress.FromV4([10, 0, (byte)(i >> 8), (byte)i]), (ushort)(1024 + i % 60000), IpAddress.FromV4([192, 0, 2, 80]), 80, 6, 0, 0, out var clientIsLow);
            var flow = table.Track(key, clientIsLow, TcpFlags.Syn, 0, i);
            if (stage == Stage.Tracked) return;
            var session = flow.Session = new FlowSession(flow, worker);
            if (stage == Stage.WithSession) return;
            TcpSegmentInfo Seg(uint seq, uint ack, TcpFlags f, int length) => new(seq, ack, f, 502, f.HasFlag(TcpFlags.Syn) ? (sbyte)7 : (sbyte)-1, 64, 0, ChecksumStatus.Valid, length);
            session.Tcp.OnSegment(clientIsLow, Seg(100, 0, TcpFlags.Syn, 0), default, i);
            session.Tcp.OnSegment(!clientIsLow, Seg(900, 101, TcpFlags.Syn | TcpFlags.Ack, 0), default, i);
            if (stage == Stage.Handshake) return;
            session.Tcp.OnSegment(clientIsLow, Seg(101, 901, TcpFlags.Ack | TcpFlags.Psh, request.Length), request, i);
            if (stage == Stage.RequestPending) return;
            session.Tcp.OnSegment(!clientIsLow, Seg(901, 101 + (uint)request.Length, TcpFlags.Ack | TcpFlags.Psh, response.Length), response, i);
        }

        Open(-1); // warm up the pools and static state
        // A full collection also lets the shared array pool trim buffers earlier tests left in it (pooled bodies
        // among them): memory freed between the two readings, which can hide most of what the flows hold. That
        // only ever lowers the figure, so a reading below the floor is taken again, with another set of flows.
        var perFlow = 0.0;
        for (var attempt = 0; attempt < 3 && perFlow < 64; attempt++)
        {
            var before = GC.GetTotalMemory(forceFullCollection: true);
            for (var i = 0; i < Flows; i++) Open(attempt * Flows + i);
            var after = GC.GetTotalMemory(forceFullCollection: true);
            perFlow = (after - before) / (double)Flows;
            output.WriteLine($"{stage}: {perFlow:F0} bytes per flow ({Flows} flows)");
            Assert.Equal((attempt + 1) * Flows + 1, table.Active);
        }
        Assert.InRange(perFlow, 64, documentedBytes);
        GC.KeepAlive(table);
    }

    private sealed class DiscardingOutput : ITransactionOutput
    {
        public void Write(TransactionRecord record) { }
        public void Flush() { }
    }

    [Fact]
    public void Out_of_order_bytes_are_accounted_by_the_page_overhead_included()
    {
        var memory = new MemoryBudget(1L << 30);
        var sink = new StreamRecorder();
        var r = new TcpStreamReassembler(sink, new ReassemblyOptions { MaxOutOfOrderBytesPerDirection = 64 << 20 }, memory, new ReassemblyCounters());
        r.OnSegment(0, TcpFlags.Syn, default, 0, 0);
        // One byte every 4 KiB: each buffered segment costs a whole page.
        for (var i = 1; i <= 100; i++) r.OnSegment(1 + (uint)(i * TcpStreamReassembler.PageSize), TcpFlags.Ack, "x"u8, 1, 0);
        Assert.Equal(100L * TcpStreamReassembler.PageCost, memory.UsedBytes);
        // Contiguous one-byte segments share pages: about 1.27 bytes per byte.
        var dense = new MemoryBudget(1L << 30);
        var d = new TcpStreamReassembler(new StreamRecorder(), new ReassemblyOptions { MaxOutOfOrderBytesPerDirection = 64 << 20 }, dense, new ReassemblyCounters());
        d.OnSegment(0, TcpFlags.Syn, default, 0, 0);
        for (var i = 1; i <= 40_960; i++) d.OnSegment(1 + (uint)i, TcpFlags.Ack, "x"u8, 1, 0);
        Assert.Equal(11L * TcpStreamReassembler.PageCost, dense.UsedBytes); // bytes 1..40960 span pages 0..10
        output.WriteLine($"page cost {TcpStreamReassembler.PageCost} B for {TcpStreamReassembler.PageSize} B of data");
    }
}

/// <summary>Heap measurements run alone: a test allocating on another thread would be counted too.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurement
{
    public const string Name = "memory measurement";
}
