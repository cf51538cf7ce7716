using System.Text;
using TrafficSensor.Decoding;
using TrafficSensor.Features;
using TrafficSensor.Http;
using TrafficSensor.Tests.Http;

namespace TrafficSensor.Tests.Features;

/// <summary>Evidence that belongs to a client's thread on a server rather than to one request: bursts of opaque POSTs, SQL injection, evidence carried to probes.</summary>
public class ThreadFeatureTests
{
    private static readonly IpAddress Server = IpAddress.Parse("10.0.0.80");

    private static FeatureVector At(FeatureExtractor extractor, string client, long micros, string request, string? response = null)
    {
        var tx = Assert.Single(new HttpHarness().Client(request).Server(response ?? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").Close());
        typeof(HttpMessage).GetProperty(nameof(HttpMessage.TimestampMicros))!.SetValue(tx.Request, micros);
        return extractor.Extract(tx, IpAddress.Parse(client), Server, 80);
    }

    /// <summary>A POST whose body is raw bytes declared with a type that does not describe them (suo5 sends application/plain).</summary>
    private static string BinaryPost(string path, string type = "application/plain")
    {
        var body = new string((char)0x01, 60) + new string((char)0x7f, 60);
        return $"POST {path} HTTP/1.1\r\nHost: h\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\n\r\n{body}";
    }

    private static string Post(string path, string body, string type) =>
        $"POST {path} HTTP/1.1\r\nHost: h\r\nContent-Type: {type}\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    [Fact]
    public void A_burst_of_opaque_posts_to_a_script_one_client_uses_is_a_tunnel_thread()
    {
        var extractor = new FeatureExtractor(new BehaviourState());
        var values = Enumerable.Range(0, 6).Select(i => At(extractor, "10.66.0.1", 1_000_000 + i * 200_000L, BinaryPost("/erp/static/s.jsp"))["opaque_post_thread"]).ToList();
        Assert.Equal([0, 0], values.Take(FeatureExtractor.OpaqueBurst));
        Assert.All(values.Skip(FeatureExtractor.OpaqueBurst), v => Assert.True(v >= FeatureExtractor.OpaqueBurst));

        // reGeorg's polls carry no body at all.
        var polls = Enumerable.Range(0, 4).Select(i => At(extractor, "10.66.0.2", 1_000_000 + i * 150_000L,
            "POST /images/tunnel.jsp?cmd=read HTTP/1.1\r\nHost: h\r\nX-CMD: READ\r\nContent-Length: 0\r\n\r\n")["opaque_post_thread"]).ToList();
        Assert.True(polls[^1] > 0);
    }

    [Fact]
    public void A_cron_trigger_once_a_minute_is_no_burst()
    {
        var extractor = new FeatureExtractor(new BehaviourState());
        for (var i = 0; i < 10; i++)
            Assert.Equal(0, At(extractor, "10.1.0.12", 1_000_000 + i * 60_000_000L, "POST /wp-cron.php?doing_wp_cron=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")["opaque_post_thread"]);
    }

    [Fact]
    public void Forms_documents_and_large_uploads_are_not_opaque_however_fast()
    {
        var extractor = new FeatureExtractor(new BehaviourState());
        for (var i = 0; i < 6; i++)
        {
            var t = 1_000_000 + i * 100_000L;
            Assert.Equal(0, At(extractor, "10.1.0.1", t, Post("/wp-admin/admin-ajax.php", "action=heartbeat&_nonce=1a2b3c4d5e", "application/x-www-form-urlencoded"))["opaque_post_thread"]);
            Assert.Equal(0, At(extractor, "10.1.0.2", t, Post("/api/autosave.php", "{\"id\":7,\"content\":\"hello\"}", "application/json"))["opaque_post_thread"]);
            Assert.Equal(0, At(extractor, "10.1.0.3", t, Post("/xmlrpc.php", "<?xml version=\"1.0\"?><methodCall/>", "text/xml"))["opaque_post_thread"]);
            var chunk = new string((char)0x01, (int)FeatureExtractor.OpaqueBodyLimit + 1);
            Assert.Equal(0, At(extractor, "10.1.0.4", t, Post("/upload.php", chunk, "application/octet-stream"))["opaque_post_thread"]);
        }
    }

    [Fact]
    public void A_script_the_site_s_clients_share_is_not_a_lone_thread()
    {
        var extractor = new FeatureExtractor(new BehaviourState());
        At(extractor, "10.1.0.1", 500_000, BinaryPost("/rpc/gateway.php"));
        At(extractor, "10.1.0.2", 600_000, BinaryPost("/rpc/gateway.php"));
        for (var i = 0; i < 5; i++)
            Assert.Equal(0, At(extractor, "10.1.0.3", 1_000_000 + i * 100_000L, BinaryPost("/rpc/gateway.php"))["opaque_post_thread"]);
    }

    private const string EmptyPost = "Content-Length: 0\r\n\r\n";

    [Theory]
    [InlineData("POST /images/tunnel.jsp?cmd=connect&target=10.10.1.79&port=3389 HTTP/1.1\r\nHost: h\r\n" + EmptyPost, 1)] // reGeorg, in the query
    [InlineData("POST /images/tunnel.aspx HTTP/1.1\r\nHost: h\r\nX-CMD: CONNECT\r\nX-TARGET: 172.16.0.5\r\nX-PORT: 445\r\n" + EmptyPost, 1)] // in headers
    [InlineData("POST /t.php?to=db.corp.example:5432 HTTP/1.1\r\nHost: h\r\n" + EmptyPost, 1)] // host and port in one value
    [InlineData("POST /t.php?to=%5Bfd00%3A%3A5%5D%3A22 HTTP/1.1\r\nHost: h\r\n" + EmptyPost, 1)] // an IPv6 address, bracketed
    [InlineData("GET /images/tunnel.jsp?cmd=connect&target=10.10.1.79&port=3389 HTTP/1.1\r\nHost: h\r\n\r\n", 0)] // a GET reads, it does not open
    [InlineData("POST /probe?target=10.10.1.79:9100 HTTP/1.1\r\nHost: h\r\n" + EmptyPost, 0)] // not a script (a monitoring API)
    [InlineData("POST /setup.php?host=10.0.0.7&port=3306 HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\nuser=me", 0)] // a form
    [InlineData("POST /ping.php?ip=10.0.0.7 HTTP/1.1\r\nHost: h\r\n" + EmptyPost, 0)] // an address without a port
    [InlineData("POST /list.php?page=2&port=1 HTTP/1.1\r\nHost: h\r\n" + EmptyPost, 0)] // "2" is no address
    [InlineData("POST /t.php?at=12:30 HTTP/1.1\r\nHost: h\r\n" + EmptyPost, 0)] // a time of day is no host and port
    [InlineData("POST /t.php?v=1.2.3.4.5&port=80 HTTP/1.1\r\nHost: h\r\n" + EmptyPost, 0)] // a version number is no address
    public void A_connect_names_the_host_and_port_the_server_is_to_open(string request, int expected) =>
        Assert.Equal(expected, At(new FeatureExtractor(new BehaviourState()), "10.66.0.3", 1_000_000, request)["network_target"]);

    [Fact]
    public void After_a_connect_that_named_its_target_the_next_opaque_post_continues_the_thread()
    {
        var extractor = new FeatureExtractor(new BehaviourState());
        const string connect = "POST /images/tunnel.jsp?cmd=connect&target=10.10.1.79&port=3389 HTTP/1.1\r\nHost: h\r\n" + EmptyPost;
        const string poll = "POST /images/tunnel.jsp?cmd=read HTTP/1.1\r\nHost: h\r\n" + EmptyPost;
        Assert.Equal(1, At(extractor, "10.66.0.4", 1_000_000, connect)["network_target"]);
        var first = At(extractor, "10.66.0.4", 1_200_000, poll);
        Assert.Equal(1, first["opaque_post_thread"]); // one opaque POST before it, but that one named a target
        Assert.True(first["session_evidence"] > 0);

        // Without the evidence, the second opaque POST is not yet a burst.
        At(extractor, "10.66.0.5", 1_000_000, poll);
        Assert.Equal(0, At(extractor, "10.66.0.5", 1_200_000, poll)["opaque_post_thread"]);
    }

    [Theory]
    [InlineData("4 AND 3929=5145", true)]
    [InlineData("4) AND 5821=5821 AND (1=1", true)]
    [InlineData("4 ORDER BY 1-- -", true)]
    [InlineData("-4 UNION ALL SELECT NULL,NULL,CONCAT(0x716b,0x71)-- -", true)]
    [InlineData("-4 LIMIT 0,1 INTO OUTFILE '/var/www/html/t.php'", true)]
    [InlineData("admin' OR '1'='1", true)]
    [InlineData("cats and dogs", false)]
    [InlineData("SELECT * FROM wp_posts ORDER BY 1", false)]
    [InlineData("2024-01-01 and later", false)]
    [InlineData("O'Reilly and sons", false)]
    [InlineData("3 or 4 rooms", false)]
    [InlineData("12", false)]
    public void Sql_injection_closes_a_number_or_string_and_goes_on_in_sql(string value, bool expected) =>
        Assert.Equal(expected, FeatureExtractor.IsSqlInjection(value));

    [Fact]
    public void A_client_s_evidence_follows_it_to_scripts_nobody_else_requested()
    {
        var extractor = new FeatureExtractor(new BehaviourState());
        const string notFound = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        At(extractor, "10.1.0.1", 100_000, "GET /index.php HTTP/1.1\r\nHost: h\r\n\r\n");
        Assert.Equal(0, At(extractor, "10.66.0.9", 200_000, "GET /tmpabc.php HTTP/1.1\r\nHost: h\r\n\r\n", notFound)["client_evidence"]); // nothing yet
        var injection = At(extractor, "10.66.0.9", 1_000_000, "GET /item.php?id=4%20AND%201%3D1 HTTP/1.1\r\nHost: h\r\n\r\n");
        Assert.Equal(1, injection["sql_injection"]);
        Assert.Equal(1, At(extractor, "10.66.0.9", 1_100_000, "GET /tmpuzlcx.php HTTP/1.1\r\nHost: h\r\n\r\n", notFound)["client_evidence"]);
        Assert.Equal(1, At(extractor, "10.66.0.9", 1_150_000, "GET /uploads/photo92.php.gif HTTP/1.1\r\nHost: h\r\n\r\n")["client_evidence"]); // a script named as an image
        Assert.Equal(0, At(extractor, "10.66.0.9", 1_160_000, "GET /uploads/photo93.gif HTTP/1.1\r\nHost: h\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Type: image/gif\r\nContent-Length: 0\r\n\r\n")["client_evidence"]); // an image
        Assert.Equal(0, At(extractor, "10.66.0.9", 1_200_000, "GET /index.php HTTP/1.1\r\nHost: h\r\n\r\n")["client_evidence"]); // the site's own page
        Assert.Equal(0, At(extractor, "10.1.0.2", 1_300_000, "GET /tmpother.php HTTP/1.1\r\nHost: h\r\n\r\n", notFound)["client_evidence"]); // another client
        Assert.Equal(0, At(extractor, "10.66.0.9", 1_000_000 + BehaviourState.ClientEvidenceMicros + 1, "GET /later.php HTTP/1.1\r\nHost: h\r\n\r\n")["client_evidence"]); // long after
    }
}

public class ServerCodeTextTests
{
    private static FeatureVector Upload(byte[] body, string type) =>
        new FeatureExtractor(new BehaviourState()).Extract(
            Assert.Single(new HttpHarness()
                .Client([.. Encoding.ASCII.GetBytes($"POST /wp-json/wp/v2/media HTTP/1.1\r\nHost: h\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\n\r\n"), .. body])
                .Server("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}").Close()),
            IpAddress.Parse("10.1.0.9"), IpAddress.Parse("10.0.0.80"), 80);

    [Fact]
    public void A_code_marker_inside_compressed_image_bytes_is_chance_not_code()
    {
        // Bytes as in a real PNG upload whose compressed data happened to hold "<%@".
        byte[] png = [0x89, .. "PNG\r\n\x1a\n"u8, 0x00, 0x9c, 0xd3, .. "<%@"u8, 0x81, 0x00, 0xfe, 0x13, 0x02, 0xc4, 0x9a, 0x00, 0x77, 0x8b, 0xe1, 0x05, 0x99];
        Assert.Equal(0, Upload(png, "image/png")["uploads_server_code"]);
    }

    [Fact]
    public void A_script_hidden_behind_an_image_header_is_code()
    {
        byte[] gif = [.. "GIF89a"u8, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, .. "<?php system($_GET['cmd']); ?>"u8];
        Assert.Equal(1, Upload(gif, "image/gif")["uploads_server_code"]);
    }
}
