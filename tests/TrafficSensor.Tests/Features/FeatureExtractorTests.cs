using System.Text;
using TrafficSensor.Decoding;
using TrafficSensor.Features;
using TrafficSensor.Http;
using TrafficSensor.Tests.Http;

namespace TrafficSensor.Tests.Features;

public class FeatureExtractorTests
{
    private static readonly IpAddress Client = IpAddress.Parse("10.0.0.5");
    private static readonly IpAddress Server = IpAddress.Parse("10.0.0.80");

    private static HttpTransaction Tx(string request, string response) =>
        Assert.Single(new HttpHarness().Client(request).Server(response).Close());

    private static FeatureVector Extract(string request, string response, BehaviourState? state = null) =>
        new FeatureExtractor(state ?? new BehaviourState()).Extract(Tx(request, response), Client, Server, 80);

    private static string Ok(string body, string type = "text/html") => $"HTTP/1.1 200 OK\r\nContent-Type: {type}\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    private static string Post(string path, string body, string type = "application/x-www-form-urlencoded") =>
        $"POST {path} HTTP/1.1\r\nHost: h\r\nContent-Type: {type}\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    [Fact]
    public void A_browser_page_view_has_no_evidence()
    {
        var v = Extract("GET /index.html HTTP/1.1\r\nHost: h\r\nAccept: text/html\r\nAccept-Language: en\r\nReferer: http://h/\r\nCookie: a=1\r\n\r\n",
            Ok("<html><body><h1>Welcome</h1><p>Our offers.</p></body></html>"));
        foreach (var name in new[] { "code_tokens", "command_tokens", "uploads_server_code", "response_command_output", "response_framed", "empty_post", "unusual_headers", "response_hidden_comment", "parser_anomalies" })
            Assert.Equal(0, v[name]);
        Assert.Equal(0, v["no_referer"]);
    }

    [Fact]
    public void China_chopper_shows_code_tokens_and_framed_output()
    {
        var z0 = Convert.ToBase64String(Encoding.ASCII.GetBytes("@ini_set(\"display_errors\",\"0\");@system($r.\" 2>&1\",$ret);"));
        var v = Extract(Post("/img/x.php", "caidao=%40eval%28base64_decode%28%24_POST%5Bz0%5D%29%29%3B&z0=" + Uri.EscapeDataString(z0)), Ok("->|uid=33(www-data) gid=33(www-data)\n|<-"));
        Assert.True(v["code_tokens"] >= 3);
        Assert.Equal(1, v["response_framed"]);
        Assert.True(v["response_command_output"] >= 2);
        Assert.Equal(1, v["script_extension"]);
        Assert.Equal(1, v["method_post"]);
    }

    [Fact]
    public void Command_in_a_base64_cookie_and_output_in_a_comment_are_found()
    {
        var cookie = Uri.EscapeDataString(Convert.ToBase64String(Encoding.ASCII.GetBytes("uname -a")));
        var hidden = Convert.ToBase64String(Encoding.ASCII.GetBytes("Linux web 6.1.0 #1 SMP x86_64 GNU/Linux\n"));
        var v = Extract($"GET /products HTTP/1.1\r\nHost: h\r\nCookie: RGSESSION={cookie}\r\n\r\n", Ok($"<html>shop</html><!-- {hidden} -->"));
        Assert.True(v["command_tokens"] >= 1);
        Assert.Equal(1, v["response_hidden_comment"]);
    }

    [Fact]
    public void Uploading_server_code_is_evidence()
    {
        const string body = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.php\"\r\n\r\n<?php @eval($_POST['x']);?>\r\n--B--\r\n";
        var v = Extract(Post("/upload", body, "multipart/form-data; boundary=B"), Ok("done"));
        Assert.Equal(1, v["uploads_server_code"]);
        Assert.Equal(1, v["request_multipart"]);
    }

    [Fact]
    public void Tunnel_polling_is_an_empty_post_with_unusual_headers()
    {
        var v = Extract("POST /t.jsp?cmd=read HTTP/1.1\r\nHost: h\r\nX-CMD: READ\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 200 OK\r\nX-STATUS: OK\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal(1, v["empty_post"]);
        Assert.Equal(1, v["unusual_headers"]);
    }

    [Fact]
    public void Binary_answers_count_only_when_declared_as_text()
    {
        var binary = new string((char)0x81, 40) + new string((char)0x02, 40);
        var asText = Extract(Post("/a.jsp", "x"), Ok(binary, "text/html; charset=ISO-8859-1"));
        var asFlash = Extract(Post("/a.jsp", "x"), Ok(binary, "application/x-shockwave-flash"));
        Assert.Equal(1, asText["response_binary"]);
        Assert.Equal(0, asFlash["response_binary"]);
        Assert.Equal(0, asFlash["response_entropy"]);
    }

    [Fact]
    public void Query_parameters_named_uid_and_pgp_signatures_are_not_command_output()
    {
        var v = Extract("GET /a?uid=42 HTTP/1.1\r\nHost: h\r\n\r\n", Ok("<a href=\"/p?uid=42&x=1\">profile</a> -----BEGIN PGP SIGNATURE-----\nVersion: GnuPG v1.4.10 (GNU/Linux)\n", "text/plain"));
        Assert.Equal(0, v["response_command_output"]);
    }

    [Fact]
    public void Path_novelty_counts_only_once_the_server_is_known()
    {
        var state = new BehaviourState();
        var cold = Extract("GET /brand-new HTTP/1.1\r\nHost: h\r\n\r\n", Ok("x"), state);
        Assert.Equal(0, cold["path_new_on_known_server"]);
        Assert.Equal(0, cold["path_unlinked"]);
        for (var i = 0; i < BehaviourState.WarmServerRequests; i++)
            Extract($"GET /page{i % 10} HTTP/1.1\r\nHost: h\r\nReferer: http://h/\r\n\r\n", Ok("x"), state);
        var warm = Extract("GET /shell.php HTTP/1.1\r\nHost: h\r\n\r\n", Ok("x"), state);
        Assert.Equal(1, warm["path_new_on_known_server"]);
        Assert.Equal(1, warm["path_unlinked"]);
    }

    [Fact]
    public void A_cookie_the_server_never_set_and_nobody_else_sends_stands_out_on_a_known_server()
    {
        var state = new BehaviourState();
        var extractor = new FeatureExtractor(state);
        FeatureVector From(IpAddress client, string cookie, string response) =>
            extractor.Extract(Tx($"GET /products HTTP/1.1\r\nHost: h\r\nCookie: {cookie}\r\n\r\n", response), client, Server, 80);
        var setsSession = "HTTP/1.1 200 OK\r\nSet-Cookie: sid=abc; Path=/; HttpOnly\r\nContent-Length: 1\r\n\r\nx";

        // Cold server: ignorance, not evidence.
        Assert.Equal(0, From(Client, "RGSESSION=d2hvYW1p", Ok("x"))["unknown_cookie_name"]);
        for (var i = 0; i < BehaviourState.WarmServerRequests; i++)
            From(IpAddress.Parse($"10.1.{i / 200}.{i % 200 + 1}"), "sid=abc; _ga=GA1.2.3", setsSession);

        var attacker = IpAddress.Parse("10.66.0.1");
        Assert.Equal(1, From(attacker, "sid=abc; XSESSION=aWQ=", Ok("x"))["unknown_cookie_name"]);
        Assert.Equal(1, From(attacker, "sid=abc; XSESSION=bHM=", Ok("x"))["unknown_cookie_name"]); // still only this client sends it
        Assert.Equal(0, From(attacker, "sid=abc; _ga=GA1.2.9", Ok("x"))["unknown_cookie_name"]); // set by script, sent by many
        Assert.Equal(0, From(attacker, "sid=abc", Ok("x"))["unknown_cookie_name"]); // set by the server
        Assert.Equal(0, From(IpAddress.Parse("10.66.0.2"), "XSESSION=cHdk", Ok("x"))["unknown_cookie_name"] - 1); // a second client sees it as unknown once...
        Assert.Equal(0, From(attacker, "XSESSION=cHdk", Ok("x"))["unknown_cookie_name"]); // ...then it is shared, not a secret trigger
    }

    [Fact]
    public void A_spray_of_random_cookie_names_is_bounded()
    {
        var state = new BehaviourState();
        var first = 0;
        var last = 0;
        for (var server = 0; server < 300; server++)
        {
            var names = Enumerable.Range(0, 300).Select(i => $"c{server}_{i}").ToList();
            var (p, _) = state.Observe(Client, IpAddress.Parse($"10.9.{server / 250}.{server % 250 + 1}"), 80, "/", 1_000_000L * server, false, false, 100, names);
            if (server == 0) first = p.UnknownCookies;
            last = p.UnknownCookies;
        }
        Assert.Equal(256, first);  // at most 256 names remembered per server
        Assert.Equal(0, last);     // and 65,536 over all servers: past that, names are neither kept nor counted
        Assert.InRange(state.ApproximateBytes, 1, 300 * 900L + 300 * 200L + 65_536 * 120L);
    }

    [Fact]
    public void Behaviour_state_is_bounded()
    {
        var state = new BehaviourState(maxPaths: 100, maxSessions: 100);
        var extractor = new FeatureExtractor(state);
        for (var i = 0; i < 2000; i++)
            extractor.Extract(Tx($"GET /p{i} HTTP/1.1\r\nHost: h\r\n\r\n", Ok("x")), new IpAddress(0, 0x0000_FFFF_0A00_0000UL | (uint)i), Server, 80);
        Assert.True(state.Paths <= 100);
        Assert.True(state.Sessions <= 100);
        Assert.True(state.Evictions > 0);
    }

    [Fact]
    public void Regular_polling_shows_as_regular_intervals()
    {
        var state = new BehaviourState();
        var extractor = new FeatureExtractor(state);
        FeatureVector? last = null;
        for (var i = 0; i < 10; i++)
        {
            var tx = Tx("POST /t.jsp HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            typeof(HttpMessage).GetProperty(nameof(HttpMessage.TimestampMicros))!.SetValue(tx.Request, 1_000_000L + i * 250_000L);
            last = extractor.Extract(tx, Client, Server, 80);
        }
        Assert.True(last!["session_interval_regularity"] > 0.9);
        Assert.True(last["session_requests_log"] > 2);
    }
}

public class SiteLearnedFeatureTests
{
    private static readonly IpAddress Server = IpAddress.Parse("10.0.0.80");

    private static FeatureVector From(FeatureExtractor extractor, string client, string request, string? response = null) =>
        extractor.Extract(Assert.Single(new HttpHarness().Client(request).Server(response ?? "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx").Close()),
            IpAddress.Parse(client), Server, 80);

    [Fact]
    public void A_header_and_a_method_the_site_s_clients_share_stop_being_unusual()
    {
        var extractor = new FeatureExtractor(new BehaviourState());
        const string put = "PUT /wp-json/wp/v2/posts/7 HTTP/1.1\r\nHost: h\r\nX-WP-Nonce: 1a2b3c\r\nContent-Length: 0\r\n\r\n";
        var first = From(extractor, "10.1.0.1", put);
        Assert.Equal(1, first["unusual_headers"]);
        Assert.Equal(1, first["method_other"]);
        From(extractor, "10.1.0.2", put); // a second client of the same site uses them too
        var later = From(extractor, "10.1.0.1", put);
        Assert.Equal(0, later["unusual_headers"]);
        Assert.Equal(0, later["method_other"]);

        // A tunnel's control header stays its operator's own.
        const string tunnel = "POST /t.jsp HTTP/1.1\r\nHost: h\r\nX-CMD: READ\r\nContent-Length: 0\r\n\r\n";
        for (var i = 0; i < 5; i++) Assert.Equal(1, From(extractor, "10.66.0.1", tunnel)["unusual_headers"]);
    }

    [Fact]
    public void Parameter_names_only_one_client_uses_stand_out_on_a_known_server()
    {
        var extractor = new FeatureExtractor(new BehaviourState());
        for (var i = 0; i < BehaviourState.WarmServerRequests; i++)
            From(extractor, $"10.1.{i / 200}.{i % 200 + 1}", $"GET /search.php?q=w{i}&page=2 HTTP/1.1\r\nHost: h\r\n\r\n");
        Assert.Equal(0, From(extractor, "10.66.0.1", "GET /search.php?q=shoes&page=1 HTTP/1.1\r\nHost: h\r\n\r\n")["unknown_parameters"]);
        Assert.Equal(2, From(extractor, "10.66.0.1", "GET /search.php?z0=aWQ=&z1=L2Jpbi9zaA== HTTP/1.1\r\nHost: h\r\n\r\n")["unknown_parameters"]);
    }

    [Fact]
    public void Evidence_carries_over_to_the_same_client_s_later_requests_to_the_same_script()
    {
        var extractor = new FeatureExtractor(new BehaviourState());
        var whoami = From(extractor, "10.66.0.1", "GET /up/x.php?cmd=whoami HTTP/1.1\r\nHost: h\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 24\r\n\r\n<pre>uid=33(www-data)</pre>");
        Assert.Equal(0, whoami["session_evidence"]);
        var echo = From(extractor, "10.66.0.1", "GET /up/x.php?cmd=echo+1 HTTP/1.1\r\nHost: h\r\n\r\n");
        Assert.True(echo["session_evidence"] > 0);
        Assert.Equal(0, From(extractor, "10.1.0.9", "GET /up/x.php?cmd=echo+1 HTTP/1.1\r\nHost: h\r\n\r\n")["session_evidence"]); // another client's session
    }

    [Fact]
    public void A_client_refused_on_many_paths_is_counted_once_per_path()
    {
        var extractor = new FeatureExtractor(new BehaviourState());
        const string notFound = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        FeatureVector? last = null;
        for (var i = 0; i < 12; i++) last = From(extractor, "10.66.0.7", $"GET /guess{i % 10}.php HTTP/1.1\r\nHost: h\r\n\r\n", notFound);
        Assert.Equal(MathF.Log(1 + 10 - FeatureExtractor.ClientErrorPathAllowance), last!["client_error_paths"], 3);
        Assert.Equal(0, From(extractor, "10.1.0.1", "GET /guess1.php HTTP/1.1\r\nHost: h\r\n\r\n", notFound)["client_error_paths"]); // a broken link
    }

    [Theory]
    [InlineData("nonce=3f2a9c81d4e5b6a7c8d9e0f1a2b3c4d5", 32)]
    [InlineData("z0=QGluaV9zZXQoImRpc3BsYXlfZXJyb3JzIiwiMCIpO0BzZXRfdGltZV9saW1pdCgwKTs%3D&z1=aWQ%3D", 70)]
    [InlineData("a=1&b=two words", 5)]
    public void The_longest_encoded_run_measures_blobs_not_words(string text, int expected) =>
        Assert.Equal(expected, TextStatistics.LongestEncodedRun(Encoding.ASCII.GetBytes(text)));

    [Theory]
    [InlineData("<!-- BREADCRUMBS -->", 0)]
    [InlineData("<!-- wikipage start -->", 0)]
    [InlineData("<!-- TWlsbGlvbnMgb2YgcGVvcGxlIHVzZSB0aGlzIHNob3A= -->", 1)]
    public void Template_comments_are_not_hidden_data(string comment, int expected)
    {
        var v = new FeatureExtractor(new BehaviourState()).Extract(Assert.Single(new HttpHarness().Client("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
            .Server($"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {comment.Length + 13}\r\n\r\n<html>{comment}</html>").Close()),
            IpAddress.Parse("10.1.0.1"), Server, 80);
        Assert.Equal(expected, v["response_hidden_comment"]);
    }
}

public class StagerFeatureTests
{
    [Fact]
    public void A_sql_injection_that_writes_a_php_file_is_server_code_in_the_request()
    {
        const string target = "/item.php?id=1%20LIMIT%200,1%20INTO%20OUTFILE%20%27/var/www/html/tmpuhgbz.php%27%20LINES%20TERMINATED%20BY%200x3c3f7068700a";
        var v = new FeatureExtractor(new BehaviourState()).Extract(
            Assert.Single(new HttpHarness().Client($"GET {target} HTTP/1.1\r\nHost: h\r\nUser-Agent: sqlmap/1.7\r\n\r\n").Server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").Close()),
            IpAddress.Parse("10.66.0.9"), IpAddress.Parse("10.0.0.80"), 80);
        Assert.True(v["code_tokens"] >= 2);
    }
}
