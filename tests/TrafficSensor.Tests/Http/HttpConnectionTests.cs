using System.IO.Compression;
using System.Text;
using CsCheck;
using TrafficSensor.Http;

namespace TrafficSensor.Tests.Http;

public class HttpConnectionTests
{
    private const string Get = "GET /index.php?id=7&q=a%20b HTTP/1.1\r\nHost: www.example.org:8080\r\nUser-Agent: curl/8.0\r\nCookie: sid=abc; theme=dark\r\n\r\n";
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello";

    [Fact]
    public void Pairs_a_request_with_its_response()
    {
        var tx = Assert.Single(new HttpHarness().Client(Get).Server(Ok).Close());
        Assert.Equal("GET", tx.Request!.Method);
        Assert.Equal("/index.php?id=7&q=a%20b", tx.Request.Target);
        Assert.Equal("www.example.org", tx.Hostname);
        Assert.Equal(200, tx.Response!.Status);
        Assert.Equal(5, tx.Response.BodyLength);
        Assert.Equal("hello", Encoding.ASCII.GetString(tx.Response.Body!));
        Assert.True(tx.ClientIsLow);
        Assert.True(tx.AllAnomalies.IsEmpty);
        Assert.Equal(["Query:id=7", "Query:q=a b", "Cookie:sid=abc", "Cookie:theme=dark"],
            tx.Parameters.Select(p => $"{p.Source}:{p.Name}={p.Value}"));
    }

    [Fact]
    public void The_side_that_sends_requests_is_the_client_whatever_the_port()
    {
        var harness = new HttpHarness();
        harness.Server(Get).Client(Ok); // requests travel from the "high" side here
        var tx = Assert.Single(harness.Close());
        Assert.False(tx.ClientIsLow);
        Assert.Equal(200, tx.Response!.Status);
    }

    private const string Post = "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 23\r\n\r\ncmd=whoami&x=%3Cb%3E+&y";
    private const string Chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nX-Trailer: yes\r\n\r\n";

    [Fact]
    public void Splitting_the_streams_at_every_byte_boundary_changes_nothing()
    {
        var expected = HttpHarness.Describe(Assert.Single(new HttpHarness().Client(Post).Server(Chunked).Close()));
        Assert.Contains("Form:cmd=whoami", expected);
        Assert.Contains("resp=\"Wikipedia in \r\n\r\nchunks.\"", expected);
        for (var cut = 1; cut < Post.Length + Chunked.Length; cut++)
        {
            var h = new HttpHarness();
            var both = Post + Chunked;
            // Cut the conversation in two at 'cut', and also deliver byte by byte around the cut.
            if (cut <= Post.Length) h.Client(Post[..cut]).Client(Post[cut..], 1).Server(Chunked);
            else h.Client(Post).Server(Chunked[..(cut - Post.Length)], 1).Server(Chunked[(cut - Post.Length)..]);
            Assert.Equal(expected, HttpHarness.Describe(Assert.Single(h.Close())));
            _ = both;
        }
    }

    [Fact]
    public void Pipelined_requests_are_paired_in_order()
    {
        var requests = string.Concat(Enumerable.Range(1, 3).Select(i => $"GET /r{i} HTTP/1.1\r\nHost: h\r\n\r\n"));
        var responses = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA" + "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" + "HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 2\r\n\r\nCC";
        var txs = new HttpHarness().Client(requests).Server(responses).Close();
        Assert.Equal(["/r1 200 1", "/r2 404 0", "/r3 302 2"], txs.Select(t => $"{t.Request!.Target} {t.Response!.Status} {t.Response.BodyLength}"));
    }

    [Fact]
    public void Responses_to_head_and_204_and_304_have_no_body()
    {
        var h = new HttpHarness()
            .Client("HEAD /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\nGET /d HTTP/1.1\r\nHost: h\r\n\r\n")
            .Server("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + "HTTP/1.1 204 No Content\r\n\r\n" + "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n" + Ok);
        var txs = h.Close();
        Assert.Equal(["/a 200 0", "/b 204 0", "/c 304 0", "/d 200 5"], txs.Select(t => $"{t.Request!.Target} {t.Response!.Status} {t.Response.BodyLength}"));
    }

    [Fact]
    public void Expect_100_continue_interim_response_is_skipped()
    {
        var tx = Assert.Single(new HttpHarness()
            .Client("PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
            .Server("HTTP/1.1 100 Continue\r\n\r\n")
            .Client("abc")
            .Server("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
            .Close());
        Assert.Equal(201, tx.Response!.Status);
        Assert.Equal(3, tx.Request!.BodyLength);
    }

    [Fact]
    public void A_response_without_length_ends_with_the_connection()
    {
        var h = new HttpHarness().Client("GET / HTTP/1.0\r\n\r\n").Server("HTTP/1.0 200 OK\r\n\r\nall of this until close");
        Assert.Empty(h.Transactions);
        var tx = Assert.Single(h.Close());
        Assert.Equal(23, tx.Response!.BodyLength);
        Assert.False(tx.Response.BodyTruncated);
    }

    [Fact]
    public void Gzip_and_deflate_bodies_are_decoded()
    {
        var text = string.Concat(Enumerable.Repeat("uid=33(www-data) gid=33(www-data) ", 50));
        foreach (var (name, compressed) in new[] { ("gzip", Compress(text, s => new GZipStream(s, CompressionLevel.Optimal))), ("deflate", Compress(text, s => new ZLibStream(s, CompressionLevel.Optimal))), ("br", Compress(text, s => new BrotliStream(s, CompressionLevel.Optimal))) })
        {
            var h = new HttpHarness().Client(Get);
            h.Server($"HTTP/1.1 200 OK\r\nContent-Encoding: {name}\r\nContent-Length: {compressed.Length}\r\n\r\n");
            h.Server(compressed);
            var tx = Assert.Single(h.Close());
            Assert.Equal(compressed.Length, tx.Response!.BodyLength);
            Assert.Equal(text, Encoding.ASCII.GetString(tx.Response.Body!));
        }
    }

    [Fact]
    public void A_decompression_bomb_is_bounded_and_flagged()
    {
        var bomb = Compress(new string('\0', 50_000_000), s => new GZipStream(s, CompressionLevel.Optimal));
        var options = new HttpOptions { MaxDecodedBodyBytes = 100_000 };
        var h = new HttpHarness(options).Client(Get);
        h.Server($"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {bomb.Length}\r\n\r\n").Server(bomb);
        var tx = Assert.Single(h.Close());
        Assert.Equal(100_000, tx.Response!.Body!.Length);
        Assert.Contains(HttpAnomaly.DecodingLimit, tx.AllAnomalies.All());
    }

    [Fact]
    public void Without_a_reader_of_response_bodies_they_are_inspected_but_not_kept()
    {
        // What a run without a model does (the pipeline sets KeepResponseBodies = false): the transaction is the
        // same but for the response's Body, including the decoding anomalies, truncation and request parameters.
        var bomb = Compress(new string('\0', 1_000_000), s => new GZipStream(s, CompressionLevel.Optimal));
        var exchanges = new (string Request, byte[] Response)[]
        {
            ("POST /f.php HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\ncmd=id&x=%41",
                HttpHarness.Bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")),
            (Get, HttpHarness.Bytes($"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {bomb.Length}\r\n\r\n").Concat(bomb).ToArray()),
            (Get, HttpHarness.Bytes("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 6\r\n\r\nnotgz!")),
        };
        foreach (var (request, response) in exchanges)
        {
            var kept = new HttpHarness(new HttpOptions { MaxDecodedBodyBytes = 100_000 }).Client(request).Server(response).Close();
            var dropped = new HttpHarness(new HttpOptions { MaxDecodedBodyBytes = 100_000, KeepResponseBodies = false }).Client(request).Server(response).Close();
            var tx = Assert.Single(dropped);
            Assert.NotNull(Assert.Single(kept).Response!.Body);
            Assert.Null(tx.Response!.Body);
            Assert.Equal(Assert.Single(kept).Response!.BodyTruncated, tx.Response.BodyTruncated);
            Assert.Equal(HttpHarness.Describe(kept[0]).Replace("resp=\"" + Encoding.Latin1.GetString(kept[0].Response!.Body!) + "\"", "resp=\"\""), HttpHarness.Describe(tx));
        }
    }

    [Fact]
    public void Content_length_with_transfer_encoding_is_flagged_and_chunked_wins()
    {
        var tx = Assert.Single(new HttpHarness()
            .Client("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n")
            .Close().Take(1));
        Assert.Equal(3, tx.Request!.BodyLength);
        Assert.Contains(HttpAnomaly.ContentLengthAndTransferEncoding, tx.AllAnomalies.All());
    }

    [Fact]
    public void Bare_lf_obs_fold_and_space_before_colon_are_flagged()
    {
        var tx = Assert.Single(new HttpHarness()
            .Client("GET /a HTTP/1.1\nHost: h\nX-Folded: one\n two\nBad : yes\n\n")
            .Server(Ok).Close());
        var anomalies = tx.AllAnomalies.All().ToList();
        Assert.Contains(HttpAnomaly.BareLf, anomalies);
        Assert.Contains(HttpAnomaly.ObsFold, anomalies);
        Assert.Contains(HttpAnomaly.SpaceBeforeColon, anomalies);
        Assert.Equal("one two", tx.Request!.Header("x-folded"));
        Assert.Equal(200, tx.Response!.Status);
    }

    [Fact]
    public void An_invalid_chunk_size_is_flagged_and_the_parser_resynchronises()
    {
        var txs = new HttpHarness()
            .Client("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\ngarbage\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n")
            .Close();
        Assert.Equal(["/a", "/b"], txs.Select(t => t.Request!.Target));
        Assert.Contains(HttpAnomaly.InvalidChunkSize, txs[0].AllAnomalies.All());
    }

    [Fact]
    public void A_gap_inside_a_content_length_body_does_not_lose_the_next_transaction()
    {
        var h = new HttpHarness()
            .Client("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n")
            .Server("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab").ServerGap(5).Server("hij")
            .Client("GET /2 HTTP/1.1\r\nHost: h\r\n\r\n").Server(Ok);
        var txs = h.Close();
        Assert.Equal(["/1 200 10", "/2 200 5"], txs.Select(t => $"{t.Request!.Target} {t.Response!.Status} {t.Response.BodyLength}"));
        Assert.Contains(HttpAnomaly.GapInBody, txs[0].AllAnomalies.All());
    }

    [Fact]
    public void A_gap_in_headers_resynchronises_on_the_next_request()
    {
        var txs = new HttpHarness()
            .Client("GET /lost HTTP/1.1\r\nHo").ClientGap(30).Client("ignored: tail\r\n\r\nGET /found HTTP/1.1\r\nHost: h\r\n\r\n")
            .Close();
        // The cut request is written with what was read (issue 10: a record flagged, not nothing).
        Assert.Equal(["/lost", "/found"], txs.Select(t => t.Request!.Target));
        Assert.Contains(HttpAnomaly.GapInHeaders, txs[0].AllAnomalies.All());
    }

    [Fact]
    public void Non_http_connections_are_left_alone()
    {
        var h = new HttpHarness();
        h.Client(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03 }).Server(new byte[] { 0x16, 0x03, 0x03, 0, 0x5a });
        Assert.Empty(h.Close());
        Assert.True(h.Connection.Finished);
        Assert.Equal(1, h.Counters.NonHttpStreams);
        Assert.Equal(0, h.Counters.Anomalies[HttpAnomaly.NonHttpOnHttpPort]);
    }

    [Fact]
    public void Non_http_bytes_on_a_known_http_server_are_an_anomaly()
    {
        var h = new HttpHarness(serverKnownForHttp: true);
        h.Client("\u0005\u0001\u0000 tunnel bytes");
        Assert.Empty(h.Close());
        Assert.Equal(1, h.Counters.Anomalies[HttpAnomaly.NonHttpOnHttpPort]);
    }

    [Fact]
    public void Garbage_between_requests_is_an_anomaly_and_parsing_goes_on()
    {
        var txs = new HttpHarness().Client(Get + "\u0001\u0002binary junk\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n").Close();
        Assert.Equal(["/index.php?id=7&q=a%20b", "/after"], txs.Select(t => t.Request!.Target));
    }

    [Fact]
    public void Multipart_upload_parameters_and_file_names_are_extracted()
    {
        const string body = "--XyZ\r\nContent-Disposition: form-data; name=\"dir\"\r\n\r\n/var/www\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"shell.php\"\r\nContent-Type: application/octet-stream\r\n\r\n<?php system($_GET['c']); ?>\r\n--XyZ--\r\n";
        var tx = Assert.Single(new HttpHarness()
            .Client($"POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {body.Length}\r\n\r\n{body}")
            .Server(Ok).Close());
        Assert.Equal(["dir=/var/www", "file=<?php system($_GET['c']); ?> (shell.php)"],
            tx.Parameters.Select(p => $"{p.Name}={p.Value}" + (p.FileName is null ? "" : $" ({p.FileName})")));
    }

    [Fact]
    public void Switching_protocols_stops_http_parsing()
    {
        var txs = new HttpHarness()
            .Client("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            .Server("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\u0081\u0005hello")
            .Client("\u0081\u0085GET / HTTP/1.1\r\n\r\n")
            .Close();
        Assert.Equal(101, Assert.Single(txs).Response!.Status);
    }

    [Fact]
    public void A_request_without_response_is_emitted_at_close()
    {
        var tx = Assert.Single(new HttpHarness().Client(Get).Close());
        Assert.Null(tx.Response);
        Assert.Contains(HttpAnomaly.NoResponse, tx.AllAnomalies.All());
    }

    [Fact]
    public void A_response_picked_up_midstream_is_kept_and_flagged()
    {
        var tx = Assert.Single(new HttpHarness().Server(Ok).Close());
        Assert.Null(tx.Request);
        Assert.Contains(HttpAnomaly.ResponseWithoutRequest, tx.AllAnomalies.All());
    }

    [Fact]
    public void Oversized_headers_are_bounded_and_flagged()
    {
        var h = new HttpHarness(new HttpOptions { MaxHeaderBytes = 1024 });
        h.Client("GET / HTTP/1.1\r\nX: " + new string('a', 100_000) + "\r\n\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\n");
        var txs = h.Close();
        Assert.Equal("/ok", Assert.Single(txs).Request!.Target);
        Assert.Equal(1, h.Counters.Anomalies[HttpAnomaly.HeadersTooLong]);
    }

    [Fact]
    public void Duplicate_headers_are_kept_and_lookups_ignore_case()
    {
        var tx = Assert.Single(new HttpHarness().Client("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\n\r\n").Close());
        Assert.Equal(2, tx.Request!.HeaderCount("X-A"));
        Assert.Equal("1", tx.Request.Header("x-A"));
    }

    [Fact]
    public void A_huge_declared_chunk_or_length_costs_no_memory()
    {
        var h = new HttpHarness();
        h.Client("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n7FFFFFFF\r\n" + new string('x', 1000));
        h.Client("POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 999999999999999\r\n\r\nabc");
        var txs = h.Close();
        Assert.Single(txs);
        Assert.Equal(1000 + "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 999999999999999\r\n\r\nabc".Length, txs[0].Request!.BodyLength);
        Assert.True(txs[0].Request!.Body!.Length <= new HttpOptions().MaxBodyInspectBytes);
    }

    [Fact]
    public void Random_bytes_split_anywhere_never_crash_the_parser()
    {
        var fragments = new[] { "GET ", "POST ", "HTTP/1.1 200 OK\r\n", "\r\n", "Content-Length: 3\r\n", "Transfer-Encoding: chunked\r\n", "5\r\n", "0\r\n\r\n", "Host: x\r\n", " /a?b=c HTTP/1.1\r\n", "\n", ":", "\u0000" };
        Gen.Select(Gen.Int[0, fragments.Length - 1].Array[0, 40], Gen.Int[0, fragments.Length - 1].Array[0, 40], Gen.Int[1, 7], Gen.Int[0, 3]).Sample((c, s, chunk, gaps) =>
        {
            var h = new HttpHarness(new HttpOptions { MaxHeaderBytes = 256 });
            h.Client(string.Concat(c.Select(i => fragments[i])), chunk);
            if (gaps > 0) h.ClientGap(gaps);
            h.Server(string.Concat(s.Select(i => fragments[i])), chunk);
            if (gaps > 1) h.ServerGap(gaps * 1000);
            h.Server("HTTP/1.1 200 OK\r\n\r\n");
            h.Close();
        }, iter: 3000);
    }

    private static byte[] Compress(string text, Func<Stream, Stream> wrap)
    {
        var ms = new MemoryStream();
        using (var z = wrap(ms)) z.Write(Encoding.ASCII.GetBytes(text));
        return ms.ToArray();
    }
}

public class HttpSegmentationPropertyTests
{
    private static readonly Gen<string> Exchange =
        Gen.Select(Gen.OneOf("GET", "POST", "PUT", "HEAD"), Gen.String["abcdefghijklmnopqrstuvwxyz0123456789/=&%?"], Gen.Int[0, 300], Gen.Bool, Gen.OneOf(200, 204, 301, 404, 500), Gen.Int[0, 2000], Gen.Bool)
            .Select((method, path, requestBody, requestChunked, status, responseBody, responseChunked) =>
            {
                var body = new string('q', method == "GET" || method == "HEAD" ? 0 : requestBody);
                var request = method is "GET" or "HEAD"
                    ? $"{method} /{Uri.EscapeDataString(path)} HTTP/1.1\r\nHost: h\r\n\r\n"
                    : requestChunked
                        ? $"{method} /{Uri.EscapeDataString(path)} HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n{Chunk(body)}"
                        : $"{method} /{Uri.EscapeDataString(path)} HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {body.Length}\r\n\r\n{body}";
                var payload = status == 204 || method == "HEAD" ? "" : new string('r', responseBody);
                var response = responseChunked && status != 204
                    ? $"HTTP/1.1 {status} X\r\nTransfer-Encoding: chunked\r\n\r\n{(method == "HEAD" ? "" : Chunk(payload))}"
                    : $"HTTP/1.1 {status} X\r\nContent-Length: {(method == "HEAD" ? 10 : payload.Length)}\r\n\r\n{payload}";
                return request + "\u0000" + response;
            });

    private static string Chunk(string body)
    {
        var sb = new StringBuilder();
        for (var o = 0; o < body.Length; o += 97) sb.Append($"{Math.Min(97, body.Length - o):x}\r\n{body.Substring(o, Math.Min(97, body.Length - o))}\r\n");
        return sb.Append("0\r\n\r\n").ToString();
    }

    [Fact]
    public void Any_segmentation_reordering_and_duplication_yields_the_same_transactions()
    {
        Gen.Select(Exchange.Array[1, 6], Gen.Int, Gen.Int[1, 200], Gen.Int[0, 10]).Sample((exchanges, seed, mss, duplicates) =>
        {
            var client = HttpHarness.Bytes(string.Concat(exchanges.Select(e => e.Split('\u0000')[0])));
            var server = HttpHarness.Bytes(string.Concat(exchanges.Select(e => e.Split('\u0000')[1])));
            var reference = new HttpHarness().Client(client).Server(server).Close().Select(HttpHarness.Describe).ToList();
            Assert.Equal(exchanges.Length, reference.Count);
            var actual = HttpHarness.ThroughTcp(client, server, new Random(seed), mss, duplicates).Select(HttpHarness.Describe).ToList();
            Assert.Equal(reference, actual);
        }, iter: 300);
    }
}
