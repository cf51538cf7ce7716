using System.Text;
using CsCheck;
using TrafficSensor.Decoding;
using TrafficSensor.Flows;
using TrafficSensor.Http;
using TrafficSensor.Output;
using TrafficSensor.Protocols;
using TrafficSensor.Reassembly;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Protocols;

/// <summary>
/// The detector in front of HTTP changes nothing HTTP writes: whatever the bytes, their chunking,
/// gaps and ends, the records equal those of an HTTP connection fed directly (as every connection
/// was before the seam). And hostile streams cannot make it keep more than its bound.
/// </summary>
public class ProtocolDetectorTests
{
    private sealed class FakeFlow : IAppFlow
    {
        public FlowKey Key { get; } = FlowKey.From(IpAddress.FromV4([10, 0, 0, 1]), 40000, IpAddress.FromV4([10, 0, 0, 2]), 8080, 6, 0, 0, out _);
        public AppFlowFacts Facts(bool clientIsLow) =>
            new(1, "1:x", Key.LowAddress, Key.LowPort, Key.HighAddress, Key.HighPort, 0, 0, default);
        public void SetClient(bool clientIsLow) { }
        public TcpAnomalies TakeTcpAnomalies() => TcpAnomalies.None;
    }

    private sealed class Records : IAppRecordSink, IHttpTransactionSink
    {
        public readonly List<string> Lines = new();
        public void Emit(AppRecord record) => OnTransaction(((TransactionRecord)record).Transaction);
        public void OnTransaction(HttpTransaction t) => Lines.Add(
            $"{t.Index} {t.ClientIsLow} {t.Request?.Method} {t.Request?.Target} {t.Response?.Status} {t.TimestampMicros} " +
            $"{t.Request?.BodyLength}/{t.Response?.BodyLength} {string.Join(",", t.AllAnomalies.Names())}");
    }

    private static (ProtocolDetector Detector, Records Records, AppLayerCounters Counters) Detector(ProtocolRegistry? registry = null)
    {
        registry ??= ProtocolRegistry.CreateDefault();
        var records = new Records();
        var counters = registry.CreateCounters();
        var context = new AppSessionContext(new FakeFlow(), new SensorOptions(), new MemoryBudget(64 << 20), records, registry, counters);
        return (new ProtocolDetector(context), records, counters);
    }

    private static readonly string[] Pieces =
    [
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
        "POST /p HTTP/1.1\r\nContent-Length: 4\r\n\r\nab",
        "cd",
        "\r\n",
        "GE",
        "T /b HTTP/1.0\r\n\r\n",
        "HTTP/1.0 404 Not Found\r\n\r\n",
        "\x16\x03\x01\x00\x05hello",
        "SSH-2.0-x\r\n",
        "HELLO world\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
        "ABCDEFGHIJKLMNOPQRSTU\x01",           // a token that turns out not to be one, within the parser's 32-byte check
        "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ\x01", // ... and beyond it
    ];

    /// <summary>One step of a script: data (a piece, cut into chunks), a gap, or the end of a direction.</summary>
    private readonly record struct Step(bool FromLow, int Kind, int Chunk);

    private static void Play(IEnumerable<Step> script, ITcpStreamSink low, ITcpStreamSink high, Action<long> close)
    {
        var ended = new bool[2];
        long t = 1000;
        foreach (var step in script)
        {
            var sink = step.FromLow ? low : high;
            var side = step.FromLow ? 0 : 1;
            if (ended[side]) continue; // nothing follows a direction's end
            t += 10;
            if (step.Kind < Pieces.Length)
            {
                var bytes = Encoding.Latin1.GetBytes(Pieces[step.Kind]);
                for (var o = 0; o < bytes.Length; o += step.Chunk) sink.OnData(bytes.AsSpan(o, Math.Min(step.Chunk, bytes.Length - o)), t++);
            }
            else if (step.Kind == Pieces.Length) sink.OnGap(7, t);
            else { sink.OnEnd(t); ended[side] = true; }
        }
        close(t + 1);
    }

    [Fact]
    public void Http_behind_the_detector_writes_what_http_alone_writes_for_any_bytes_chunking_gaps_and_ends()
    {
        var step = Gen.Select(Gen.Bool, Gen.Int[0, Pieces.Length + 1], Gen.Int[1, 12]).Select((low, kind, chunk) => new Step(low, kind, chunk));
        step.Array[1, 8].Sample(script =>
        {
            var direct = new Records();
            var connection = new HttpConnection(new HttpOptions(), new MemoryBudget(64 << 20), new HttpCounters(), direct);
            Play(script, connection.FromLow, connection.FromHigh, connection.Close);

            // HTTP alone: a registered http2 would also parse what follows an h2c upgrade, which HttpConnection alone only counts.
            var (detector, seam, counters) = Detector(new ProtocolRegistry().Add(new HttpProtocol()));
            Play(script, detector.FromLow, detector.FromHigh, detector.Close);

            Assert.Equal(direct.Lines, seam.Lines);
            var http = counters.Of<HttpCounters>()!;
            Assert.Equal(connection.Counters.Transactions, http.Transactions);
            Assert.Equal(connection.Counters.NonHttpStreams, http.NonHttpStreams);
            Assert.Equal(connection.Counters.ResyncSkippedBytes, http.ResyncSkippedBytes);
            Assert.Equal(connection.Counters.Anomalies.NonZero(), http.Anomalies.NonZero());
        }, iter: 3000);
    }

    [Fact]
    public void A_stream_after_a_loss_is_kept_only_up_to_the_bound_then_counted_as_unknown()
    {
        var (detector, records, counters) = Detector();
        detector.FromLow.OnGap(100, 1);          // the client's first bytes were never seen: nothing to probe
        var junk = new byte[1];
        for (var i = 0; i < 100_000; i++) detector.FromLow.OnData(junk, 2 + i); // one byte at a time, the server silent
        Assert.True(detector.Unknown);
        Assert.True(detector.Finished);
        Assert.Equal(100_000, counters.UnknownBytes);
        Assert.Equal(0, counters.UnknownStreams); // never probed: not counted as a stream of an unknown protocol
        detector.Close(200_000);
        Assert.Empty(records.Lines);
    }

    [Fact]
    public void A_protocol_that_never_decides_is_given_the_connection_at_the_probe_bound()
    {
        var registry = new ProtocolRegistry { MaxProbeBytes = 64 };
        registry.Add(new Undecided());
        var (detector, _, counters) = Detector(registry);
        for (var i = 0; i < 63; i++) detector.FromLow.OnData("x"u8, i);
        Assert.Null(detector.Protocol);
        detector.FromLow.OnData("x"u8, 63);
        Assert.Equal("undecided", detector.Protocol?.Name);
        Assert.Equal(1, counters.SessionsByProtocol()["undecided"]);
    }

    /// <summary>A registered protocol that counts the probes it is asked after it gave a final answer (Match or NoMatch).</summary>
    private sealed class Counted(IAppProtocol inner) : IAppProtocol
    {
        private ProbeResult? _final;
        public int Probes;
        public int ProbesAfterFinalAnswer;
        public string Name => inner.Name;
        public IAppSession CreateSession(AppSessionContext context) => inner.CreateSession(context);
        public bool IsUsualPort(ushort port) => inner.IsUsualPort(port);
        public IProtocolCounters? CreateCounters() => inner.CreateCounters();

        public ProbeResult Probe(ReadOnlySpan<byte> firstBytes, bool? fromLow, in FlowKey key)
        {
            Probes++;
            if (_final is not null) ProbesAfterFinalAnswer++;
            var result = inner.Probe(firstBytes, fromLow, key);
            if (result != ProbeResult.NeedMoreData) _final = result;
            return result;
        }
    }

    [Theory]
    [InlineData("pcaps/tls/handshakes/curl-nginx.pcap", "tls")]       // a ClientHello: HTTP/2 and HTTP say no at once, TLS needs its header and hello
    [InlineData("pcaps/h2/h2-nginx-prior.pcap", "http2")]             // the client preface: HTTP waits behind HTTP/2 with a match of its own
    [InlineData("pcaps/lab/samples/benign-apache-php.pcap", "http")]  // a request: TLS and HTTP/2 say no at once
    public void A_protocol_that_answered_is_not_asked_again_as_the_first_bytes_trickle_in(string capture, string expected)
    {
        var first = TcpPayloads.Read(Path.Combine(TestPaths.RepositoryRoot, capture))[0].Data; // a connection's first bytes, from a real client
        var counted = ProtocolRegistry.CreateDefault().Protocols.Select(p => new Counted(p)).ToList();
        var registry = new ProtocolRegistry();
        foreach (var p in counted) registry.Add(p);
        var (detector, _, _) = Detector(registry);

        for (var i = 0; i < first.Length && detector.Protocol is null && !detector.Unknown; i++) detector.FromLow.OnData(first.AsSpan(i, 1), i);

        Assert.Equal(expected, detector.Protocol?.Name);
        Assert.All(counted, p => Assert.Equal(0, p.ProbesAfterFinalAnswer));
        // The protocols that ruled themselves out on the first byte were asked once.
        Assert.Contains(counted, p => p.Name != expected && p.Probes == 1);

        // The same choice as with the bytes in one piece.
        var (whole, _, _) = Detector();
        whole.FromLow.OnData(first, 0);
        Assert.Equal(expected, whole.Protocol?.Name);
    }

    private sealed class Undecided : IAppProtocol
    {
        public string Name => "undecided";
        public ProbeResult Probe(ReadOnlySpan<byte> firstBytes, bool? fromLow, in FlowKey key) => ProbeResult.NeedMoreData;
        public IAppSession CreateSession(AppSessionContext context) => new Ignoring();

        private sealed class Ignoring : IAppSession, ITcpStreamSink
        {
            public ITcpStreamSink FromLow => this;
            public ITcpStreamSink FromHigh => this;
            public bool Finished => false;
            public void Close(long timestampMicros) { }
            public void OnData(ReadOnlySpan<byte> data, long timestampMicros) { }
            public void OnGap(long length, long timestampMicros) { }
            public void OnEnd(long timestampMicros) { }
        }
    }
}
