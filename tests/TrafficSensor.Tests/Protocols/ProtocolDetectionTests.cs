using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using TrafficSensor.Capture;
using TrafficSensor.Flows;
using TrafficSensor.Http;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;
using TrafficSensor.Protocols;
using TrafficSensor.Reassembly;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Protocols;

/// <summary>
/// The flow → application-protocol step chooses by content: HTTP is HTTP on any port and only
/// HTTP is; bytes no protocol takes are counted, not parsed; and a protocol registered with one line
/// (here a test's own) gets its connections, its records in capture order and its EVE section.
/// </summary>
public class ProtocolDetectionTests
{
    private static readonly IPAddress Client = IPAddress.Parse("10.1.0.5");
    private static readonly IPAddress Server = IPAddress.Parse("10.1.0.80");

    private const string Get = "GET /index.php?id=1 HTTP/1.1\r\nHost: example\r\n\r\n";
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    /// <summary>Every record the pipeline writes, of any protocol, in the order written.</summary>
    private sealed class AllRecords : ITransactionOutput
    {
        private readonly ConcurrentQueue<AppRecord> _records = new();
        public IReadOnlyList<AppRecord> Records => _records.ToList();
        public void Write(TransactionRecord record) => _records.Enqueue(record);
        public void Write(AppRecord record) => _records.Enqueue(record);
        public void Flush() { }
    }

    private static (IReadOnlyList<AppRecord> Records, SensorStatistics Stats) Run(IEnumerable<byte[]> packets, Func<ProtocolRegistry>? protocols = null, int workers = 1)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ts-protocols-{Guid.NewGuid():N}.pcap");
        try
        {
            SensorRun.ToPcap(LinkType.Raw, packets).WriteTo(path);
            var output = new AllRecords();
            var options = new SensorOptions { Pipeline = new PipelineOptions { Workers = workers } };
            var pipeline = new SensorPipeline(options, output) { ProtocolsFactory = protocols ?? ProtocolRegistry.CreateDefault };
            var stats = pipeline.Replay([path]);
            return (output.Records, stats);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static List<byte[]> Conversation(ushort clientPort, ushort serverPort, params (bool FromClient, byte[] Data)[] exchanges)
    {
        var c = new TcpConversation(Client, clientPort, Server, serverPort);
        foreach (var (fromClient, data) in exchanges)
            if (fromClient) c.Client(data); else c.Server(data);
        return c.Packets();
    }

    private static (bool, byte[]) C(string text) => (true, Encoding.Latin1.GetBytes(text));
    private static (bool, byte[]) S(string text) => (false, Encoding.Latin1.GetBytes(text));

    [Theory]
    [InlineData(443)]   // HTTP where TLS is usual: content decides, not the port
    [InlineData(31337)] // HTTP on a port nobody registered
    [InlineData(80)]
    public void Http_is_recognised_by_its_content_on_any_port(int serverPort)
    {
        var (records, stats) = Run(Conversation(50000, (ushort)serverPort, C(Get), S(Ok)));
        var record = Assert.IsType<TransactionRecord>(Assert.Single(records));
        Assert.Equal("http", record.AppProto);
        Assert.Equal("/index.php?id=1", record.Transaction.Request?.Target);
        Assert.Equal(200, record.Transaction.Response?.Status);
        Assert.Equal(serverPort, record.ServerPort);
        Assert.Equal(1, stats.AppSessions["http"]);
        Assert.Equal(1, stats.AppRecords["http"]);
        Assert.Equal(0, stats.AppProtoUnknownStreams);
    }

    [Fact]
    public void Tls_through_an_http_proxy_is_recognised_inside_the_connect_tunnel()
    {
        var hello = TrafficSensor.Tests.Tls.TlsMessages.Record(22, TrafficSensor.Tests.Tls.TlsMessages.ClientHello([0x1301, 0xc02f],
            [TrafficSensor.Tests.Tls.TlsMessages.Sni("shells.example.org")]), version: 0x0301);
        var serverHello = TrafficSensor.Tests.Tls.TlsMessages.Record(22, TrafficSensor.Tests.Tls.TlsMessages.ServerHello(0xc02f, []));
        var (records, stats) = Run(Conversation(50003, 3128,
            C("CONNECT shells.example.org:443 HTTP/1.1\r\nHost: shells.example.org:443\r\n\r\n"),
            S("HTTP/1.1 200 Connection established\r\n\r\n"),
            (true, hello), (false, serverHello)));

        var connect = Assert.IsType<TransactionRecord>(records[0]);
        Assert.Equal("CONNECT", connect.Transaction.Request?.Method);
        Assert.Equal(200, connect.Transaction.Response?.Status);
        var tls = Assert.Single(records.OfType<TrafficSensor.Tls.TlsRecord>());
        Assert.Equal("shells.example.org", tls.Metadata.Sni);
        Assert.Equal(3128, tls.ServerPort); // the proxy's connection: the SNI names where it leads
        Assert.Equal(1, stats.AppSessions["tls"]);
        Assert.Equal(0, stats.AppProtoUnknownStreams);
    }

    [Fact]
    public void Bytes_no_protocol_matches_are_counted_not_parsed_and_flagged_on_a_server_known_for_http()
    {
        // An RDP connection request (TPKT + X.224) and its confirm to a server that answered HTTP on the same port before.
        var request = new byte[] { 0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00 };
        var confirm = new byte[] { 0x03, 0x00, 0x00, 0x0b, 0x06, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00 };
        var packets = Conversation(50001, 80, C(Get), S(Ok));
        packets.AddRange(new TcpConversation(Client, 50002, Server, 80).Client(request).Server(confirm).Packets());
        var (records, stats) = Run(packets);
        Assert.Single(records);
        Assert.Equal(1, stats.AppProtoUnknownStreams);
        Assert.Equal(request.Length + confirm.Length, stats.AppProtoUnknownBytes);
        Assert.Equal(1, stats.NonHttpStreams);
        Assert.Equal(1, stats.HttpAnomalies["non_http_on_http_port"]);
        Assert.Equal(1, stats.AppSessions["http"]);
    }

    [Fact]
    public void Http_probe_agrees_with_the_parser_on_first_bytes()
    {
        var http = new HttpProtocol();
        var key = default(FlowKey);
        Assert.Equal(ProbeResult.Match, http.Probe("GET / HTTP/1.1\r\n"u8, true, key));
        Assert.Equal(ProbeResult.Match, http.Probe("\r\nHTTP/"u8, false, key));
        Assert.Equal(ProbeResult.NeedMoreData, http.Probe("GE"u8, true, key));
        Assert.Equal(ProbeResult.NeedMoreData, http.Probe("\r\n"u8, true, key));
        Assert.Equal(ProbeResult.NoMatch, http.Probe([0x16, 0x03, 0x01], true, key));
        Assert.Equal(ProbeResult.NoMatch, http.Probe([0x00, 0x00, 0x00, 0x2c, 0xfe, 0x53], true, key));
        // A banner line without a space is a token then a line end: the parser has always tried it as a request line.
        Assert.Equal(ProbeResult.Match, http.Probe("SSH-2.0-OpenSSH_9.2\r\n"u8, false, key));
        Assert.Equal(ProbeResult.Match, http.Probe(Encoding.ASCII.GetBytes(new string('A', 40)), true, key)); // the parser checks 32 bytes, then goes on
    }

    // ------------------------------------------------------------------ a protocol added by one line

    /// <summary>
    /// A toy line protocol: a connection that starts with "@HELLO " (from either side; '@' cannot
    /// start an HTTP method); every line the client sends is a record, and the last, unended one
    /// when its stream ends. Everything it needs is here and one registration line in the test.
    /// </summary>
    private sealed class LineProtocol(string name = "line", string magic = "@HELLO ", ushort usualPort = 0) : IAppProtocol
    {
        public string Name => name;
        public bool IsUsualPort(ushort port) => port == usualPort;

        public ProbeResult Probe(ReadOnlySpan<byte> firstBytes, bool? fromLow, in FlowKey key)
        {
            var m = Encoding.ASCII.GetBytes(magic);
            var n = Math.Min(m.Length, firstBytes.Length);
            if (!firstBytes[..n].SequenceEqual(m.AsSpan(0, n))) return ProbeResult.NoMatch;
            return n < m.Length ? ProbeResult.NeedMoreData : ProbeResult.Match;
        }

        public IAppSession CreateSession(AppSessionContext context) => new LineSession(context, this);
        public IProtocolCounters CreateCounters() => new LineCounters();
    }

    private sealed class LineCounters : IProtocolCounters
    {
        public long Lines;
        public void Add(IProtocolCounters other) => Lines += ((LineCounters)other).Lines;
        public IEnumerable<KeyValuePair<string, long>> Figures() => [new("lines", Lines)];
    }

    private sealed record LineRecord(AppFlowFacts Facts, string Protocol, string Line, long At) : AppRecord(Protocol, Facts)
    {
        public override long TimestampMicros => At;
        public override IEveSection Eve => LineEve.Instance;
    }

    private sealed class LineEve : IEveSection
    {
        public static readonly LineEve Instance = new();
        public string EventType => "line";
        public void Write(Utf8JsonWriter writer, AppRecord record, EveOptions options, bool alert)
        {
            writer.WriteStartObject("line");
            writer.WriteString("text", ((LineRecord)record).Line);
            writer.WriteEndObject();
        }
    }

    private sealed class LineSession : IAppSession
    {
        private readonly AppSessionContext _context;
        private readonly LineProtocol _protocol;
        private readonly Side _low, _high;

        public LineSession(AppSessionContext context, LineProtocol protocol)
        {
            _context = context;
            _protocol = protocol;
            _low = new Side(this, true);
            _high = new Side(this, false);
        }

        public ITcpStreamSink FromLow => _low;
        public ITcpStreamSink FromHigh => _high;
        public bool Finished => false;
        public void Close(long timestampMicros) { }

        private sealed class Side(LineSession owner, bool fromLow) : ITcpStreamSink
        {
            private readonly StringBuilder _line = new();
            public void OnData(ReadOnlySpan<byte> data, long timestampMicros)
            {
                foreach (var b in data)
                {
                    if (b != '\n') { _line.Append((char)b); continue; }
                    owner.Line(fromLow, _line.ToString(), timestampMicros);
                    _line.Clear();
                }
            }
            public void OnGap(long length, long timestampMicros) { }
            public void OnEnd(long timestampMicros)
            {
                if (_line.Length > 0) owner.Line(fromLow, _line.ToString(), timestampMicros);
                _line.Clear();
            }
        }

        private void Line(bool fromLow, string line, long at)
        {
            var clientIsLow = _context.Flow.Key.LowAddress.ToIPAddress().Equals(Client);
            if (clientIsLow != fromLow) return; // the server's lines are not records
            ((LineCounters)_context.Counters!).Lines++;
            _context.Records.Emit(new LineRecord(_context.Flow.Facts(clientIsLow), _protocol.Name, line, at));
        }
    }

    private static ProtocolRegistry WithLine()
    {
        var registry = ProtocolRegistry.CreateDefault();
        registry.Add(new LineProtocol()); // the one line adding a protocol
        return registry;
    }

    [Fact]
    public void A_registered_protocol_gets_its_connections_records_in_capture_order_counters_and_eve_section()
    {
        var packets = Conversation(50010, 7000, C("@HELLO there\n"), S("welcome\n"), C("second line\n"));
        packets.AddRange(Conversation(50011, 80, C(Get), S(Ok)));
        packets.AddRange(Conversation(50012, 7000, C("@HELLO again\n")));

        var (records, stats) = Run(packets, WithLine, workers: 2);

        Assert.Equal(["line", "line", "http", "line"], records.Select(r => r.AppProto));
        Assert.Equal(["@HELLO there", "second line", "@HELLO again"], records.OfType<LineRecord>().Select(r => r.Line));
        Assert.All(records, r => Assert.Equal(Client, r.ClientAddress.ToIPAddress()));
        Assert.Equal(3, stats.AppRecords["line"]);
        Assert.Equal(1, stats.AppRecords["http"]);
        Assert.Equal(2, stats.AppSessions["line"]);
        Assert.Equal(3, stats.AppProtocols["line"]["lines"]);
        Assert.Equal(0, stats.AppProtoUnknownStreams);

        // Without its registration line the same connections are unknown bytes, and HTTP is unchanged.
        var (without, withoutStats) = Run(packets);
        Assert.Equal(["http"], without.Select(r => r.AppProto));
        Assert.Equal(2, withoutStats.AppProtoUnknownStreams);
    }

    [Fact]
    public void The_eve_writer_writes_common_fields_then_the_protocols_section()
    {
        var (records, _) = Run(Conversation(50013, 7000, C("@HELLO \"eve\"\n")), WithLine);
        var path = Path.Combine(Path.GetTempPath(), $"ts-protocols-{Guid.NewGuid():N}.json");
        try
        {
            using (var writer = new EveJsonWriter(JsonLinesLog.Open(path), new EveOptions { SensorName = "s" }))
                foreach (var r in records) ((ITransactionOutput)writer).Write(r);
            using var json = JsonDocument.Parse(File.ReadAllLines(path).Single());
            var root = json.RootElement;
            Assert.Equal("line", root.GetProperty("event_type").GetString());
            Assert.Equal("line", root.GetProperty("app_proto").GetString());
            Assert.Equal("10.1.0.5", root.GetProperty("src_ip").GetString());
            Assert.Equal(7000, root.GetProperty("dest_port").GetInt32());
            Assert.False(root.TryGetProperty("tx_id", out _));
            Assert.Equal("@HELLO \"eve\"", root.GetProperty("line").GetProperty("text").GetString());
            Assert.Equal(3, root.GetProperty("flow").GetProperty("pkts_toserver").GetInt64()); // SYN, ACK, the line
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_protocol_registered_before_http_wins_bytes_that_could_also_start_an_http_request()
    {
        // "PRI * HTTP/2.0" is a valid HTTP/1 request line; a protocol with that signature, registered
        // first, is waited for while it needs more bytes (the preface arrives in two segments).
        static ProtocolRegistry PrefaceFirst()
        {
            var registry = new ProtocolRegistry();
            registry.Add(new LineProtocol("preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
            registry.Add(new HttpProtocol());
            return registry;
        }
        var c = new TcpConversation(Client, 50014, Server, 80, mss: 10).Client("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nnext\n").Packets();
        var (records, stats) = Run(c, PrefaceFirst);
        Assert.Equal(["PRI * HTTP/2.0\r", "\r", "SM\r", "\r", "next"], records.Cast<LineRecord>().Select(r => r.Line));
        Assert.Equal(0, stats.AppSessions["http"]);

        // Registered after HTTP, HTTP takes it (order is priority; the port is only a tie-breaker).
        static ProtocolRegistry HttpFirst()
        {
            var registry = new ProtocolRegistry().Add(new HttpProtocol());
            registry.Add(new LineProtocol("preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
            return registry;
        }
        var (http, _) = Run(c, HttpFirst);
        Assert.Equal("PRI", Assert.IsType<TransactionRecord>(http[0]).Transaction.Request?.Method);
    }

    [Fact]
    public void A_stream_that_ends_before_its_bytes_decide_goes_to_a_protocol_still_waiting_the_port_breaking_ties()
    {
        static ProtocolRegistry TwoWaiting()
        {
            var registry = ProtocolRegistry.CreateDefault();
            registry.Add(new LineProtocol("hello", "@HELLO ", usualPort: 7001));
            registry.Add(new LineProtocol("help", "@HELP ", usualPort: 7002));
            return registry;
        }
        // "@HEL" could start either; the stream ends: the server port's protocol takes it, else the first registered.
        var (onHelp, _) = Run(Conversation(50020, 7002, C("@HEL")), TwoWaiting);
        Assert.Equal(["help"], onHelp.Select(r => r.AppProto));
        Assert.Equal("@HEL", Assert.IsType<LineRecord>(onHelp[0]).Line);
        var (onOther, _) = Run(Conversation(50021, 7999, C("@HEL")), TwoWaiting);
        Assert.Equal(["hello"], onOther.Select(r => r.AppProto));
        // Bytes that rule every protocol out are unknown however the stream ends.
        var (none, stats) = Run(Conversation(50022, 7002, C("@HEX")), TwoWaiting);
        Assert.Empty(none);
        Assert.Equal(1, stats.AppProtoUnknownStreams);
        Assert.Equal(4, stats.AppProtoUnknownBytes);
    }

    // ------------------------------------------------------------------ inner sessions

    [Fact]
    public void H2c_upgrade_hands_the_rest_of_both_streams_to_the_registered_http2_session()
    {
        var upgrade = "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n";
        var switching = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
        var packets = Conversation(50015, 80, C(upgrade), S(switching + "SRV1\n"), C("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), S("SRV2\n"));

        static ProtocolRegistry WithFakeHttp2()
        {
            var registry = new ProtocolRegistry().Add(new HttpProtocol());
            registry.Add(new LineProtocol("http2", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")); // stands in for the real HTTP/2 session
            return registry;
        }
        var (records, stats) = Run(packets, WithFakeHttp2);
        Assert.Equal(["http", "http2", "http2", "http2", "http2"], records.Select(r => r.AppProto));
        // The client's bytes after the 101, from the preface on; the server's lines are not records.
        Assert.Equal(["PRI * HTTP/2.0\r", "\r", "SM\r", "\r"], records.OfType<LineRecord>().Select(r => r.Line));
        Assert.Equal(1, stats.AppSessions["http2"]);
        Assert.Equal(0, stats.HttpNotParsedBytes);

        // Without an "http2" protocol the upgraded connection stays a tunnel: counted, not parsed.
        var (tunnel, tunnelStats) = Run(packets, () => new ProtocolRegistry().Add(new HttpProtocol()));
        Assert.Equal(["http"], tunnel.Select(r => r.AppProto));
        Assert.Equal("SRV1\n".Length + "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".Length + "SRV2\n".Length, tunnelStats.HttpNotParsedBytes);
    }

    /// <summary>
    /// A stand-in for TLS with keys: "TLS!" then cleartext. Its session hosts an inner session chosen
    /// by probing the inner bytes, whose records carry the TLS context.
    /// </summary>
    private sealed class WrapperProtocol : IAppProtocol
    {
        public string Name => "wrap";
        public ProbeResult Probe(ReadOnlySpan<byte> firstBytes, bool? fromLow, in FlowKey key) =>
            firstBytes.Length < 4 ? ("TLS!"u8.StartsWith(firstBytes) ? ProbeResult.NeedMoreData : ProbeResult.NoMatch)
            : firstBytes.StartsWith("TLS!"u8) ? ProbeResult.Match : ProbeResult.NoMatch;

        public IAppSession CreateSession(AppSessionContext context)
        {
            var tls = new TlsContext("shop.example", "TLS 1.3", null, "t13d1516h2_8daaf6152771_02713d6af862", "http/1.1");
            var inner = context.CreateDetector(new StampingSink(context.Records, tls));
            return new StrippingSession(inner);
        }

        private sealed class StampingSink(IAppRecordSink next, TlsContext tls) : IAppRecordSink
        {
            public void Emit(AppRecord record) => next.Emit(record with { Tls = tls });
        }

        /// <summary>Drops the 4-byte marker at the start of each direction ("decryption").</summary>
        private sealed class StrippingSession(IAppSession inner) : IAppSession
        {
            public ITcpStreamSink FromLow { get; } = new Strip(inner.FromLow);
            public ITcpStreamSink FromHigh { get; } = new Strip(inner.FromHigh);
            public bool Finished => inner.Finished;
            public void Close(long timestampMicros) => inner.Close(timestampMicros);
        }

        private sealed class Strip(ITcpStreamSink next) : ITcpStreamSink
        {
            private int _skip = 4;
            public void OnData(ReadOnlySpan<byte> data, long timestampMicros)
            {
                var n = Math.Min(_skip, data.Length);
                _skip -= n;
                if (data.Length > n) next.OnData(data[n..], timestampMicros);
            }
            public void OnGap(long length, long timestampMicros) => next.OnGap(length, timestampMicros);
            public void OnEnd(long timestampMicros) => next.OnEnd(timestampMicros);
        }
    }

    [Fact]
    public void A_session_hosts_an_inner_session_chosen_by_probing_whose_records_carry_the_tls_context()
    {
        static ProtocolRegistry WithWrapper()
        {
            var registry = new ProtocolRegistry();
            registry.Add(new WrapperProtocol());
            registry.Add(new HttpProtocol());
            return registry;
        }
        var packets = Conversation(50016, 443, C("TLS!" + Get), S("TLS!" + Ok));
        var (records, stats) = Run(packets, WithWrapper);
        var record = Assert.IsType<TransactionRecord>(Assert.Single(records));
        Assert.Equal("/index.php?id=1", record.Transaction.Request?.Target);
        Assert.Equal("shop.example", record.Tls?.Sni);
        Assert.Equal(1, stats.AppSessions["wrap"]);
        Assert.Equal(1, stats.AppSessions["http"]);

        var path = Path.Combine(Path.GetTempPath(), $"ts-protocols-{Guid.NewGuid():N}.json");
        try
        {
            using (var writer = new EveJsonWriter(JsonLinesLog.Open(path), new EveOptions { SensorName = "s" }))
                writer.Write(record);
            using var json = JsonDocument.Parse(File.ReadAllLines(path).Single());
            var root = json.RootElement;
            Assert.Equal("http", root.GetProperty("event_type").GetString());
            Assert.Equal("/index.php?id=1", root.GetProperty("http").GetProperty("url").GetString());
            var tls = root.GetProperty("tls");
            Assert.Equal("shop.example", tls.GetProperty("sni").GetString());
            Assert.Equal("TLS 1.3", tls.GetProperty("version").GetString());
            Assert.True(tls.GetProperty("decrypted").GetBoolean());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
