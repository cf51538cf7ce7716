using System.Text.Json;
using TrafficSensor.Http2;
using TrafficSensor.Output;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Http2;

/// <summary>
/// Real h2c captures (pcaps/h2, made by make-h2-captures.sh from nginx and Apache mod_http2 with curl and
/// nghttp) through the whole pipeline, against tshark's reading of the same packets: the same streams
/// with the same method, path, authority, final status and body lengths (DATA bytes less padding).
/// </summary>
public class Http2CaptureTests
{
    private static string Capture(string name) => Path.Combine(TestPaths.ProjectPcaps, "h2", name);

    [Theory]
    [InlineData("h2-nginx-prior.pcap", 18273)]
    [InlineData("h2-apache.pcap", 18274)]
    public void Every_stream_equals_tsharks(string name, int serverPort)
    {
        var pcap = Capture(name);
        var (records, stats) = SensorRun.Files([pcap]);
        var sensor = records.Where(r => r.AppProto == Http2Protocol.ProtocolName).Select(Describe).Order().ToList();
        var oracle = TsharkStreams(pcap, serverPort).Order().ToList();
        Assert.NotEmpty(oracle);
        Assert.Equal(oracle, sensor);
        Assert.Equal(sensor.Count, stats.AppRecords.GetValueOrDefault("http2"));
    }

    [Fact]
    public void Nginx_capture_exercises_multiplexing_padding_continuation_and_bodies()
    {
        var (records, _) = SensorRun.Files([Capture("h2-nginx-prior.pcap")]);
        var h2 = records.Where(r => r.AppProto == "http2").ToList();
        // nghttp's five multiplexed streams on one connection, each its own transaction (tx_id in order).
        var multiplexed = h2.Where(r => r.Transaction.Request!.Target!.Contains("?m=")).ToList();
        Assert.Equal(5, multiplexed.Count);
        Assert.Single(multiplexed.Select(r => r.FlowId).Distinct());
        Assert.Equal(404, multiplexed.Single(r => r.Transaction.Request!.Target == "/missing?m=5").Transaction.Response!.Status);
        // gzip'd CSS decoded by the ContentDecoder, a urlencoded POST's parameters, a 100 KB body.
        var css = h2.First(r => r.Transaction.Request!.Target == "/static/site.css");
        Assert.StartsWith(".rule1 {", System.Text.Encoding.ASCII.GetString(css.Transaction.Response!.Body!));
        var save = h2.Single(r => r.Transaction.Request!.Target == "/api.php?action=save");
        Assert.Contains(save.Transaction.Parameters, p => p.Name == "comment" && p.Value == "hello world");
        Assert.Contains(save.Transaction.Parameters, p => p.Name == "theme" && p.Value == "dark");
        Assert.Equal(100_005, h2.Single(r => r.Transaction.Request!.Target == "/api.php?action=big").Transaction.Request!.BodyLength);
        Assert.Contains(h2.Single(r => r.Transaction.Request!.Target == "/cmd.php").Transaction.Parameters, p => p.Name == "cmd" && p.Value == "cat /etc/passwd");
        Assert.All(h2, r => Assert.Equal("127.0.73.1", r.Transaction.Hostname));
        Assert.All(h2, r => Assert.True(r.Transaction.AllAnomalies.IsEmpty, Describe(r) + string.Join(",", r.Transaction.AllAnomalies.Names())));
    }

    [Fact]
    public void A_gap_in_a_frame_header_ends_parsing_of_the_connection_counted_by_reason()
    {
        // nghttp's sixth connection to nginx (client port 45506) in capture order, but the client's segment of
        // three HEADERS frames (streams 15, 17, 19; tshark frame 183) lost: a gap where a frame header was due.
        var h = new H2Harness();
        foreach (var s in TcpPayloads.Read(Capture("h2-nginx-prior.pcap")).Where(s => s.SourcePort == 45506 || s.DestinationPort == 45506))
        {
            if (s.Frame == 183) h.Connection.FromLow.OnGap(s.Data.Length, s.Frame);
            else if (s.SourcePort == 45506) h.Client(s.Data);
            else h.Server(s.Data);
            if (s.Frame == 183) Assert.True(h.Connection.Finished); // parsing ended: later bytes are counted, not parsed
        }
        var transactions = h.Close();

        Assert.Equal(1, h.Counters.ParsingEnded.NonZero()["gap_in_frame_header"]);
        Assert.Equal(1, h.Counters.Anomalies.NonZero()["gap_lost_framing"]);
        // The server's answers on the streams whose requests were lost are not read (against streams never opened).
        Assert.False(h.Counters.Anomalies.NonZero().ContainsKey("frame_on_closed_stream"));
        Assert.True(h.Counters.NotParsedBytes > 2041);
        // The stream answered before the gap is written whole; nothing is made up.
        var tx = Assert.Single(transactions);
        Assert.Equal("/index.html", tx.Request!.Target);
        Assert.Equal(200, tx.Response!.Status);
        Assert.Equal(234, tx.Response.BodyLength);
    }

    [Fact]
    public void Apache_h2c_upgrade_keeps_the_http1_request_as_stream_one()
    {
        var (records, _) = SensorRun.Files([Capture("h2-apache.pcap")]);
        var upgraded = records.Where(r => r.Transaction.Request?.Target == "/api.php?upgrade=1&lang=en").ToList();
        // The HTTP/1.1 record of the 101, then the same request answered over HTTP/2 on stream 1.
        Assert.Equal(["http 101", "http2 200"], upgraded.Select(r => $"{r.AppProto} {r.Transaction.Response?.Status}"));
        Assert.Equal("HTTP/1.1", upgraded[1].Transaction.Request!.Protocol);
        Assert.Equal("HTTP/2", upgraded[1].Transaction.Response!.Protocol);
        Assert.Equal(upgraded[0].FlowId, upgraded[1].FlowId);
        // A POST is not upgraded by curl: plain HTTP/1.1.
        Assert.Equal("http", records.Single(r => r.Transaction.Request?.Target == "/cmd.php?upgrade=post").AppProto);
    }

    private static string Describe(TransactionRecord r)
    {
        var t = r.Transaction;
        return $"{t.Request?.Method} {t.Request?.Target} {t.Request?.Header("host")} {t.Response?.Status} {t.Request?.BodyLength ?? 0} {t.Response?.BodyLength ?? 0}";
    }

    /// <summary>Streams as tshark reads them: decoded as HTTP/2 on the server port (prior knowledge) and by its own h2c upgrade detection.</summary>
    private static IEnumerable<string> TsharkStreams(string pcap, int serverPort)
    {
        var streams = new Dictionary<(string Tcp, string Id), Stream>();
        var upgrades = new Dictionary<string, (string Method, string Uri, string Host)>();
        foreach (var decodeAs in new[] { true, false })
        {
            var args = new List<string> { "-n", "-r", pcap, "-Y", "http2 || http", "-T", "json", "-J", "tcp http2 http" };
            if (decodeAs) args.AddRange(["-d", $"tcp.port=={serverPort},http2"]);
            var (code, json, err) = ExternalTool.Run("tshark", args);
            Assert.True(code == 0, err);
            var seen = new HashSet<(string, string)>();
            foreach (var packet in JsonDocument.Parse(json).RootElement.EnumerateArray())
            {
                var layers = packet.GetProperty("_source").GetProperty("layers");
                var tcp = layers.GetProperty("tcp");
                var connection = tcp.GetProperty("tcp.stream").GetString()!;
                var fromClient = tcp.GetProperty("tcp.srcport").GetString() != serverPort.ToString();
                if (!decodeAs && layers.TryGetProperty("http", out var http) && http.TryGetProperty("http.upgrade", out _) && fromClient)
                {
                    var line = http.EnumerateObject().First().Name.Split(' ');
                    upgrades[connection] = (line[0], line[1], http.GetProperty("http.host").GetString()!);
                }
                foreach (var frame in Named(layers, "http2").SelectMany(x => Named(x, "http2.stream")))
                {
                    if (!frame.TryGetProperty("http2.type", out var typeText)) continue;
                    var type = int.Parse(typeText.GetString()!);
                    var id = frame.GetProperty("http2.streamid").GetString()!;
                    if (id == "0" || type is not (0 or 1)) continue;
                    var key = (connection, id);
                    // Each reading keeps the connections it decoded (prior knowledge with -d, upgrades without).
                    if (streams.ContainsKey(key) && !seen.Contains(key)) continue;
                    seen.Add(key);
                    var stream = streams.TryGetValue(key, out var known) ? known : streams[key] = new Stream();
                    if (type == 0)
                    {
                        var flags = Convert.ToInt32(frame.GetProperty("http2.flags").GetString(), 16);
                        var length = int.Parse(frame.GetProperty("http2.length").GetString()!);
                        var pad = (flags & 0x8) != 0 ? 1 + int.Parse(frame.GetProperty("http2.pad_length").GetString()!) : 0;
                        if (fromClient) stream.RequestBody += length - pad; else stream.ResponseBody += length - pad;
                        continue;
                    }
                    foreach (var header in Named(frame, "http2.header"))
                    {
                        var n = header.GetProperty("http2.header.name").GetString();
                        var v = header.GetProperty("http2.header.value").GetString();
                        switch (n)
                        {
                            case ":method": stream.Method ??= v; break;
                            case ":path": stream.Path ??= v; break;
                            case ":authority": stream.Authority ??= v; break;
                            case ":status" when stream.Status is null && v![0] != '1': stream.Status = v; break;
                        }
                    }
                }
            }
        }
        foreach (var ((connection, id), s) in streams)
        {
            if (s.Method is null && id == "1" && upgrades.TryGetValue(connection, out var upgrade))
                (s.Method, s.Path, s.Authority) = upgrade;
            if (s.Method is null && s.Status is null) continue; // a connection tshark misread (an upgrade decoded as prior knowledge)
            yield return $"{s.Method} {s.Path} {s.Authority} {s.Status} {s.RequestBody} {s.ResponseBody}";
        }
    }

    /// <summary>tshark's JSON repeats a key for each occurrence of a field (and sometimes makes an array): every value of that key.</summary>
    private static IEnumerable<JsonElement> Named(JsonElement e, string name) =>
        e.EnumerateObject().Where(p => p.Name == name).SelectMany(p => p.Value.ValueKind == JsonValueKind.Array ? p.Value.EnumerateArray().ToList() : [p.Value]);

    private sealed class Stream
    {
        public string? Method, Path, Authority, Status;
        public long RequestBody, ResponseBody;
    }
}

/// <summary>HTTP/2 through the whole pipeline: recognised by content on any port, scored, counted and exported.</summary>
public class Http2PipelineTests
{
    [Fact]
    public void Hostile_h2c_on_an_odd_port_is_recognised_counted_and_exported()
    {
        var flood = new H2Wire().Preface().Settings((1, 4096)).Headers(1, H2Wire.Request("GET", "/flood")[..4], endHeaders: false);
        for (var i = 0; i < 5_000; i++) flood.Continuation(1, [], endHeaders: false);
        flood.Continuation(1, [], endHeaders: true).Headers(3, H2Wire.Request("POST", "/cmd.php?x=1", "victim", ("content-type", "application/x-www-form-urlencoded")))
            .Data(3, "cmd=whoami", endStream: true);
        var server = new H2Wire().Settings((5, 16384)).Headers(3, H2Wire.Response(200)).Data(3, "www-data\n", endStream: true);
        var packets = new TcpConversation(System.Net.IPAddress.Parse("10.1.0.5"), 40500, System.Net.IPAddress.Parse("10.1.0.80"), 31337)
            .Client(flood.Bytes).Server(server.Bytes).Packets();
        var path = Path.Combine(Path.GetTempPath(), $"ts-h2-{Guid.NewGuid():N}.pcap");
        try
        {
            SensorRun.ToPcap(TrafficSensor.Capture.LinkType.Raw, packets).WriteTo(path);
            var (text, stats, records) = Metrics.SensorMetricsTests.Scrape([path]);
            var tx = Assert.Single(records);
            Assert.Equal("http2", tx.AppProto);
            Assert.Equal("10.1.0.5", tx.ClientAddress.ToString());
            Assert.Contains(tx.Transaction.Parameters, p => p.Name == "cmd" && p.Value == "whoami");
            Assert.NotNull(tx.Verdict); // scored like HTTP/1
            Assert.Equal(1, stats.AppProtocols["http2"]["anomaly_continuation_flood"]);
            Assert.Equal(1, Metrics.SensorMetricsTests.Value(text, "trafficsensor_app_events_total{app_proto=\"http2\",event=\"anomaly_continuation_flood\"}"));
            Assert.Equal(1, Metrics.SensorMetricsTests.Value(text, "trafficsensor_app_records_total{app_proto=\"http2\"}"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public class Http2ServerFirstTests
{
    [Fact]
    public void A_server_that_sends_its_settings_before_the_client_preface_is_still_http2()
    {
        // Some servers (nghttpx, Envoy) write their SETTINGS as soon as the connection opens.
        var packets = new TcpConversation(System.Net.IPAddress.Parse("10.2.0.5"), 40600, System.Net.IPAddress.Parse("10.2.0.80"), 8081)
            .Server(new H2Wire().Settings((3, 100)).Bytes)
            .Client(new H2Wire().Preface().Settings().SettingsAck().Headers(1, H2Wire.Request("GET", "/first"), endStream: true).Bytes)
            .Server(new H2Wire().SettingsAck().Headers(1, H2Wire.Response(200)).Data(1, "ok", endStream: true).Bytes)
            .Packets();
        var (records, stats) = SensorRun.Capture(SensorRun.ToPcap(TrafficSensor.Capture.LinkType.Raw, packets));
        var tx = Assert.Single(records);
        Assert.Equal("http2", tx.AppProto);
        Assert.Equal("10.2.0.5", tx.ClientAddress.ToString());
        Assert.Equal("/first 200 2", $"{tx.Transaction.Request!.Target} {tx.Transaction.Response!.Status} {tx.Transaction.Response.BodyLength}");
        Assert.Equal(0, stats.AppProtocols["http2"].GetValueOrDefault("anomaly_missing_preface"));
    }
}

public class Http2ProbeTests
{
    [Theory]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "Match")]
    [InlineData("PRI * HTTP/2.0\r\n", "NeedMoreData")]
    [InlineData("PRI /x HTTP/1.1\r\n", "NoMatch")]                 // a PRI request of HTTP/1 is HTTP's
    [InlineData("\0\0\u0012\u0004\0\0\0\0\0\0\u0003\0\0\0d", "Match")] // a server's SETTINGS (3 settings)
    [InlineData("\0\0\u0012\u0004", "NeedMoreData")]
    [InlineData("\0\0\u0012\u0004\u0001\0\0\0\0", "NoMatch")]     // a SETTINGS ACK is not how a server starts
    [InlineData("\0\0\u0013\u0004\0\0\0\0\0", "NoMatch")]         // not a whole number of settings
    [InlineData("GET / HTTP/1.1\r\n", "NoMatch")]
    [InlineData("HTTP/1.1 200 OK\r\n", "NoMatch")]
    [InlineData("\u0016\u0003\u0001\u0002\0\u0001", "NoMatch")]    // a TLS ClientHello
    public void The_probe_takes_either_preface_and_nothing_else(string bytes, string expected)
    {
        var key = default(TrafficSensor.Flows.FlowKey);
        Assert.Equal(expected, new Http2Protocol().Probe(System.Text.Encoding.Latin1.GetBytes(bytes), true, key).ToString());
    }
}
