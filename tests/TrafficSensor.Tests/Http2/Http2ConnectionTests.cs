using System.IO.Compression;
using System.Text;
using CsCheck;
using TrafficSensor.Http;
using TrafficSensor.Http2;
using static TrafficSensor.Tests.Http2.H2Wire;

namespace TrafficSensor.Tests.Http2;

public class Http2ConnectionTests
{
    private static H2Wire ClientStart() => new H2Wire().Preface().Settings((1, 4096), (4, 65535)).WindowUpdate(0, 1 << 20);
    private static H2Wire ServerStart() => new H2Wire().Settings((3, 128), (5, 16384)).SettingsAck();

    [Fact]
    public void A_request_and_its_response_become_one_transaction_with_http1_fields()
    {
        var client = ClientStart().Headers(1, Request("GET", "/shell.php?cmd=id", "victim.example:8443", ("user-agent", "curl/8"), ("cookie", "a=1"), ("cookie", "b=2")), endStream: true);
        var server = ServerStart().Headers(1, Response(200, ("content-type", "text/html"))).Data(1, "uid=33(www-data)\n").Data(1, "", endStream: true);
        var h = new H2Harness().Client(client.Bytes).Server(server.Bytes);
        var tx = Assert.Single(h.Transactions); // written when both sides ended, before Close
        Assert.Equal("GET", tx.Request!.Method);
        Assert.Equal("/shell.php?cmd=id", tx.Request.Target);
        Assert.Equal("HTTP/2", tx.Request.Protocol);
        Assert.Equal("victim.example", tx.Hostname);
        Assert.Equal("victim.example:8443", tx.Request.Header("Host"));
        Assert.Equal("a=1; b=2", tx.Request.Header("Cookie")); // crumbs joined (RFC 9113 §8.2.3)
        Assert.Equal(200, tx.Response!.Status);
        Assert.Equal("HTTP/2", tx.Response.Protocol);
        Assert.Equal("uid=33(www-data)\n", Encoding.ASCII.GetString(tx.Response.Body!));
        Assert.Equal(17, tx.Response.BodyLength);
        Assert.Equal(["Query:cmd=id", "Cookie:a=1", "Cookie:b=2"], tx.Parameters.Select(p => p.Source + ":" + p.Name + "=" + p.Value));
        Assert.True(tx.AllAnomalies.IsEmpty, string.Join(",", tx.AllAnomalies.Names()));
        Assert.True(h.Counters.Anomalies.NonZero().Count == 0, string.Join(",", h.Counters.Anomalies.NonZero().Keys));
        Assert.Equal(1, h.Counters.Transactions);
    }

    [Fact]
    public void Padded_split_form_body_gives_parameters_and_a_gzip_response_is_decoded()
    {
        var stream = new MemoryStream();
        using (var z = new GZipStream(stream, CompressionLevel.Fastest)) z.Write(Encoding.ASCII.GetBytes("<pre>root:x:0:0</pre>"));
        var gz = stream.ToArray();
        var client = ClientStart()
            .Headers(3, Request("POST", "/upload.php", "h", ("content-type", "application/x-www-form-urlencoded")), padding: 7, priority: true)
            .Data(3, "cmd=cat+%2Fetc", padding: 5).Data(3, "%2Fpasswd&x=1", endStream: true, padding: 0);
        var server = ServerStart().Headers(3, Response(200, ("content-encoding", "gzip"))).Data(3, gz, endStream: true, padding: 30);
        var tx = Assert.Single(new H2Harness().Client(client.Bytes).Server(server.Bytes).Close());
        Assert.Equal(27, tx.Request!.BodyLength);
        Assert.Contains(tx.Parameters, p => p is { Source: ParameterSource.Form, Name: "cmd", Value: "cat /etc/passwd" });
        Assert.Equal("<pre>root:x:0:0</pre>", Encoding.ASCII.GetString(tx.Response!.Body!));
        Assert.Equal(gz.Length, tx.Response.BodyLength);
    }

    [Fact]
    public void Interleaved_streams_pair_by_stream_with_trailers_interim_reset_and_push()
    {
        var client = ClientStart()
            .Headers(1, Request("GET", "/a"), endStream: true)
            .Headers(3, Request("POST", "/b"))
            .Headers(5, Request("GET", "/c"), endStream: true)
            .Data(3, "body").Headers(3, Block(("x-checksum", "abc")), endStream: true) // request trailers
            .Headers(7, Request("GET", "/cancelled"), endStream: true).RstStream(7);
        var server = ServerStart()
            .Headers(5, Response(103, ("link", "</s.css>")))                           // interim: not the response
            .Headers(3, Response(201)).Headers(5, Response(404))
            .PushPromise(1, 2, Request("GET", "/pushed.css"))
            .Data(5, "nope", endStream: true).Data(3, "made", endStream: true)
            .Headers(1, Response(200)).Data(1, "a-body").Headers(1, Block(("grpc-status", "0")), endStream: true) // response trailers
            .Headers(2, Response(200)).Data(2, "css", endStream: true);
        var h = new H2Harness().Client(client.Bytes).Server(server.Bytes);
        var all = h.Close().OrderBy(t => t.Index).Select(t => $"{t.Index} {t.Request?.Method} {t.Request?.Target} {t.Request?.BodyLength} -> {t.Response?.Status} {t.Response?.BodyLength} [{string.Join(",", t.AllAnomalies.Names())}]");
        Assert.Equal([
            "0 GET /a 0 -> 200 6 []",
            "1 POST /b 4 -> 201 4 []",
            "2 GET /c 0 -> 404 4 []",
            "3 GET /cancelled 0 ->   [no_response]",
            "4 GET /pushed.css 0 -> 200 3 []",
        ], all);
        var tx = h.Transactions.Single(t => t.Request!.Target == "/b");
        Assert.Equal("abc", tx.Request!.Header("x-checksum"));
        Assert.Equal("0", h.Transactions.Single(t => t.Request!.Target == "/a").Response!.Header("grpc-status"));
        Assert.Equal(1, h.Counters.StreamsReset);
        Assert.False(h.Transactions.Single(t => t.Request!.Target == "/pushed.css").ClientIsLow is false);
    }

    [Fact]
    public void A_header_block_split_over_continuation_frames_is_decoded()
    {
        var block = Request("GET", "/long", "h", ("x-big", new string('z', 40_000)));
        var client = ClientStart().Headers(1, block[..100], endStream: true, endHeaders: false)
            .Continuation(1, block[100..20_000], endHeaders: false).Continuation(1, block[20_000..], endHeaders: true);
        var server = ServerStart().Headers(1, Response(204), endStream: true);
        var tx = Assert.Single(new H2Harness().Client(client.Bytes).Server(server.Bytes).Close());
        Assert.Equal("/long", tx.Request!.Target);
        Assert.Equal(40_000, tx.Request.Header("x-big")!.Length);
        Assert.Equal(204, tx.Response!.Status);
    }

    [Fact]
    public void Continuation_flood_is_counted_bounded_and_the_connection_goes_on()
    {
        // CVE-2024-27316 style: a header block that never ends, one empty CONTINUATION frame after another.
        var client = ClientStart().Headers(1, Request("GET", "/flood")[..5], endHeaders: false);
        for (var i = 0; i < 100_000; i++) client.Continuation(1, [0x40, 0x01, 0x61, 0x01, 0x62], endHeaders: false);
        client.Continuation(1, [], endHeaders: true).Headers(3, Request("GET", "/after"), endStream: true);
        var server = ServerStart().Headers(3, Response(200), endStream: true);
        var h = new H2Harness().Client(client.Bytes, chunk: 1400).Server(server.Bytes);
        var tx = Assert.Single(h.Close());
        Assert.Equal("/after", tx.Request!.Target);
        Assert.Equal(1, h.Counters.Anomalies[Http2Anomaly.ContinuationFlood]);
        Assert.Equal(0, h.Budget.UsedBytes);
    }

    [Fact]
    public void Table_size_bomb_is_counted_and_capped()
    {
        var bomb = new List<byte>();
        Integer(bomb, 0x20, 5, 1L << 30);                  // size update to 1 GiB (the server allowed 4 KiB)
        bomb.AddRange(Request("GET", "/bomb"));
        var client = ClientStart().Headers(1, bomb.ToArray(), endStream: true);
        for (var i = 0; i < 200; i++) client.Headers((uint)(3 + 2 * i), [.. Indexing("x-fill-" + i, new string('v', 4000)), .. Request("GET", "/fill")], endStream: true);
        var h = new H2Harness(new Http2Options { MaxHeaderTableBytes = 16 * 1024 }).Client(client.Bytes);
        Assert.Equal(1, h.Counters.Anomalies[Http2Anomaly.HpackTableSizeAboveSetting]);
        Assert.Equal(1, h.Counters.Anomalies[Http2Anomaly.HpackTableSizeAboveLimit]);
        Assert.Equal(201, h.Close().Count);
    }

    [Fact]
    public void Hundred_thousand_streams_are_bounded_and_counted()
    {
        var client = ClientStart();
        var block = Request("GET", "/s");
        for (uint i = 0; i < 100_000; i++) client.Headers(1 + 2 * i, block); // never ended: every stream stays open
        var options = new Http2Options { MaxConcurrentStreams = 100, MaxStreamsPerConnection = 5_000 };
        var h = new H2Harness(options).Client(client.Bytes, chunk: 64 * 1024);
        Assert.Equal(4_900, h.Transactions.Count);                           // written early to keep 100 open
        Assert.All(h.Transactions, t => Assert.True(t.Anomalies.Contains(HttpAnomaly.TooManyPendingRequests)));
        Assert.Equal(95_000, h.Counters.Anomalies[Http2Anomaly.TooManyStreams]);
        Assert.Equal(5_000, h.Close().Count);
        Assert.Equal(5_000, h.Counters.Streams);
    }

    [Fact]
    public void Frames_above_max_frame_size_are_flagged_and_oversized_ones_skipped()
    {
        var big = Block(huffman: false, (":method", "GET"), (":path", "/big"), (":authority", "h"), ("x-pad", new string('p', 20_000)));
        var client = ClientStart()
            .Headers(1, big, endStream: true)                                           // 20 KB > 16 KB: flagged, still read
            .Frame(1, 5, 3, new byte[200_000])                                          // beyond the buffer limit: skipped
            .Frame(0xfa, 0, 0, new byte[300])                                           // an unknown extension frame: ignored
            .Headers(5, Request("GET", "/next"), endStream: true);
        var server = ServerStart().Headers(1, Response(200), endStream: true).Headers(5, Response(200), endStream: true);
        var h = new H2Harness().Client(client.Bytes).Server(server.Bytes);
        Assert.Equal(["/big", "/next"], h.Close().Select(t => t.Request!.Target));
        Assert.Equal(2, h.Counters.Anomalies[Http2Anomaly.FrameAboveMaxFrameSize]);
        Assert.Equal(1, h.Counters.Anomalies[Http2Anomaly.FrameTooLargeToBuffer]);
        Assert.Equal(1, h.Counters.Frames[Http2FrameType.Unknown]);
    }

    [Fact]
    public void Invalid_huffman_flags_the_request_and_the_connection_goes_on()
    {
        var bad = new List<byte>(Request("GET", "/x"));
        bad.AddRange([0x00, 0x81, 0xff, 0x01, 0x61]); // a Huffman name of eight 1 bits (EOS prefix as padding > 7 bits)
        var client = ClientStart().Headers(1, bad.ToArray(), endStream: true).Headers(3, Request("GET", "/y"), endStream: true);
        var h = new H2Harness().Client(client.Bytes);
        var all = h.Close();
        Assert.Equal(["/x", "/y"], all.Select(t => t.Request!.Target));
        Assert.True(all[0].Request!.Anomalies.Contains(HttpAnomaly.InvalidHeaderLine));
        Assert.Equal(1, h.Counters.Anomalies[Http2Anomaly.HpackInvalidHuffman]);
    }

    [Fact]
    public void Malformed_messages_are_flagged_like_http1()
    {
        var client = ClientStart()
            .Headers(1, Block(("user-agent", "x"), (":method", "GET"), (":path", "/late-pseudo"), (":authority", "h")), endStream: true)
            .Headers(3, Block((":method", "GET"), (":path", "/te"), (":authority", "h"), ("Transfer-Encoding", "chunked")), endStream: true)
            .Headers(5, Block((":method", "GET"), (":authority", "h")), endStream: true)
            .Headers(7, Block((":method", "GET"), (":path", "/two-hosts"), (":authority", "a"), ("host", "b")), endStream: true);
        var h = new H2Harness().Client(client.Bytes);
        var all = h.Close();
        Assert.Equal(4, all.Count);
        Assert.True(all[0].Request!.Anomalies.Contains(HttpAnomaly.InvalidHeaderLine));
        Assert.True(all[1].Request!.Anomalies.Contains(HttpAnomaly.InvalidHeaderLine));
        Assert.True(all[2].Request!.Anomalies.Contains(HttpAnomaly.InvalidRequestLine));
        Assert.True(all[3].Request!.Anomalies.Contains(HttpAnomaly.MultipleHost));
        Assert.Equal("a", all[3].Hostname); // :authority wins (RFC 9113 §8.3.1)
        Assert.Equal(3, h.Counters.Anomalies[Http2Anomaly.InvalidPseudoHeader]); // each pseudo-header after user-agent
        Assert.Equal(1, h.Counters.Anomalies[Http2Anomaly.UppercaseHeaderName]);
        Assert.Equal(1, h.Counters.Anomalies[Http2Anomaly.ConnectionSpecificHeader]);
        Assert.Equal(1, h.Counters.Anomalies[Http2Anomaly.MissingPseudoHeader]);
    }

    [Fact]
    public void Bytes_without_the_preface_are_not_http2_and_are_counted()
    {
        var h = new H2Harness().Client(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.Empty(h.Close());
        Assert.Equal(1, h.Counters.Anomalies[Http2Anomaly.MissingPreface]);
    }

    [Fact]
    public void The_client_is_found_by_its_preface_when_the_side_is_unknown()
    {
        var h = new H2Harness(clientIsLow: null);
        h.Connection.FromHigh.OnData(ClientStart().Headers(1, Request("GET", "/from-high"), endStream: true).Bytes, 0);
        h.Connection.FromLow.OnData(ServerStart().Headers(1, Response(200), endStream: true).Bytes, 0);
        var tx = Assert.Single(h.Close());
        Assert.False(tx.ClientIsLow);
        Assert.Equal(false, h.Connection.ClientIsLow);
        Assert.Equal(200, tx.Response!.Status);
    }

    [Fact]
    public void A_gap_inside_data_loses_body_bytes_only()
    {
        var client = ClientStart().Headers(1, Request("POST", "/p"));
        var data = new H2Wire().Data(1, new string('d', 5000), endStream: true).Bytes;
        var h = new H2Harness().Client(client.Bytes);
        h.Connection.FromLow.OnData(data.AsSpan(0, 1009), 0);
        h.Connection.FromLow.OnGap(2000, 0);
        h.Connection.FromLow.OnData(data.AsSpan(3009), 0);
        h.Server(ServerStart().Headers(1, Response(200), endStream: true).Bytes);
        var tx = Assert.Single(h.Close());
        Assert.Equal(5000, tx.Request!.BodyLength);
        Assert.True(tx.Request.Anomalies.Contains(HttpAnomaly.GapInBody));
    }

    [Fact]
    public void Fuzzed_input_never_throws_and_never_holds_memory()
    {
        var valid = ClientStart().Headers(1, Request("POST", "/f", "h", ("content-type", "application/x-www-form-urlencoded")))
            .Data(1, "a=1&b=2", endStream: true).Headers(3, Request("GET", "/g"), endStream: true).Bytes;
        Gen.Select(Gen.Int[0, valid.Length - 1].Array[1, 12], Gen.Byte.Array[1, 12], Gen.Int[1, 50]).Sample((positions, values, chunk) =>
        {
            var bytes = (byte[])valid.Clone();
            for (var i = 0; i < positions.Length; i++) bytes[positions[i]] = values[i % values.Length];
            var h = new H2Harness().Client(bytes, chunk).Server(bytes, chunk);
            h.Close();
            Assert.Equal(0, h.Budget.UsedBytes);
        }, iter: 2000);
    }
}

public class Http2SegmentationPropertyTests
{
    private static readonly Gen<(byte[] Client, byte[] Server)> Conversation =
        Gen.Select(Gen.OneOf("GET", "POST"), Gen.String["abcdefghijklmnopqrstuvwxyz0123456789/=&%?"], Gen.Int[0, 3000], Gen.OneOf(200, 204, 404, 500), Gen.Int[0, 40_000], Gen.Int[1, 4], Gen.Bool)
            .Array[1, 6]
            .Select(exchanges =>
            {
                var client = new H2Wire().Preface().Settings((1, 4096));
                var server = new H2Wire().Settings((5, 16384)).SettingsAck();
                for (var i = 0; i < exchanges.Length; i++)
                {
                    var (method, path, requestBody, status, responseBody, frames, indexed) = exchanges[i];
                    var id = (uint)(1 + 2 * i);
                    var block = indexed ? [.. Indexing("x-session", "s" + i), .. Request(method, "/" + Uri.EscapeDataString(path))] : Request(method, "/" + Uri.EscapeDataString(path));
                    var body = method == "POST" ? new string('q', requestBody) : "";
                    client.Headers(id, block, endStream: body.Length == 0);
                    if (body.Length > 0) Chunks(client, id, body, frames);
                    var payload = status == 204 ? "" : new string('r', responseBody);
                    server.Headers(id, Response(status), endStream: payload.Length == 0);
                    if (payload.Length > 0) Chunks(server, id, payload, frames);
                }
                return (client.Bytes, server.Bytes);
            });

    private static void Chunks(H2Wire wire, uint id, string body, int frames)
    {
        var size = Math.Max(1, (body.Length + frames - 1) / frames);
        for (var o = 0; o < body.Length; o += size)
            wire.Data(id, body.Substring(o, Math.Min(size, body.Length - o)), endStream: o + size >= body.Length, padding: o % 2 == 0 ? 3 : -1);
    }

    [Fact]
    public void Any_segmentation_reordering_and_duplication_yields_the_same_transactions()
    {
        Gen.Select(Conversation, Gen.Int, Gen.Int[1, 1500], Gen.Int[0, 10]).Sample((conversation, seed, mss, duplicates) =>
        {
            var reference = new H2Harness().Client(conversation.Client).Server(conversation.Server).Close().Select(H2Harness.Describe).ToList();
            Assert.NotEmpty(reference);
            var actual = H2Harness.ThroughTcp(conversation.Client, conversation.Server, new Random(seed), mss, duplicates).Select(H2Harness.Describe).ToList();
            Assert.Equal(reference, actual);
        }, iter: 200);
    }
}
