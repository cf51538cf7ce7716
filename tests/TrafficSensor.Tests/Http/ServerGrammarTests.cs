using TrafficSensor.Http;

namespace TrafficSensor.Tests.Http;

/// <summary>
/// Request lines and bodies read as nginx 1.22 + PHP 8.2 read them (issue 10): what a server runs is
/// written, what some server would refuse is flagged, and nothing loses the rest of the connection.
/// </summary>
public class ServerGrammarTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    private const string Next = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";

    private static List<HttpTransaction> Run(string requests, int responses)
    {
        var h = new HttpHarness().Client(requests);
        for (var i = 0; i < responses; i++) h.Server(Ok);
        return h.Close();
    }

    [Theory]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA /shell.php?c=id HTTP/1.1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/shell.php?c=id", "HTTP/1.1", "")]
    [InlineData("GET /shell.php?c=id HTTP/1.10", "GET", "/shell.php?c=id", "HTTP/1.10", "unusual_http_version")]
    [InlineData("GET /shell.php?c=id HTTP/01.1", "GET", "/shell.php?c=id", "HTTP/01.1", "unusual_http_version")]
    [InlineData("GET\t/shell.php?c=id\tHTTP/1.1", "GET", "/shell.php?c=id", "HTTP/1.1", "whitespace_in_request_line")]
    [InlineData("GET   /shell.php?c=id HTTP/1.1", "GET", "/shell.php?c=id", "HTTP/1.1", "whitespace_in_request_line")]
    [InlineData("get /shell.php?c=id HTTP/1.1", "get", "/shell.php?c=id", "HTTP/1.1", "non_uppercase_method")]
    [InlineData("GET /shell.php?c=id HTTP/2.0", "GET", "/shell.php?c=id", "HTTP/2.0", "unsupported_http_version")]
    [InlineData("GET /HTTP/1.1", "GET", "/HTTP/1.1", "", "http09_request_line")]
    [InlineData("OPTIONS HTTP/1.1", "OPTIONS", "", "HTTP/1.1", "missing_target")]
    public void Request_lines_servers_accept_are_written_and_the_connection_goes_on(string line, string method, string target, string protocol, string anomaly)
    {
        var txs = Run(line + "\r\nHost: h\r\n\r\n" + Next, 2);
        Assert.Equal(2, txs.Count);
        var first = txs[0];
        Assert.Equal((method, target, protocol, 200), (first.Request!.Method, first.Request.Target, first.Request.Protocol, first.Response!.Status));
        var names = first.AllAnomalies.Names().ToList();
        if (anomaly.Length == 0) Assert.Empty(names); else Assert.Contains(anomaly, names);
        Assert.Equal("/next", txs[1].Request!.Target);
        Assert.True(txs[1].AllAnomalies.IsEmpty);
    }

    [Fact]
    public void A_long_method_on_the_first_line_of_a_connection_is_still_http()
    {
        var method = new string('X', 200);
        var tx = Assert.Single(Run($"{method} /a HTTP/1.1\r\nHost: h\r\n\r\n", 1));
        Assert.Equal(method, tx.Request!.Method);
    }

    [Theory]
    [InlineData("HELO mail.example.org\r\n")]
    [InlineData("USER anonymous\r\n")]
    [InlineData("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")]
    public void Other_protocols_are_not_taken_for_http(string first)
    {
        var h = new HttpHarness().Client(first + "more text\r\n\r\n");
        Assert.Empty(h.Close());
        Assert.Equal(1, h.Counters.NonHttpStreams);
    }

    [Fact]
    public void A_request_line_no_server_grammar_takes_is_written_flagged_when_headers_follow()
    {
        var txs = Run(Next + "FOO /x bar\r\nHost: h\r\n\r\n" + Next, 3);
        Assert.Equal(3, txs.Count);
        Assert.Equal(("FOO", "/x bar"), (txs[1].Request!.Method, txs[1].Request!.Target));
        Assert.Contains("invalid_request_line", txs[1].AllAnomalies.Names());
        Assert.Equal([200, 200, 200], txs.Select(t => t.Response!.Status));
    }

    [Fact]
    public void A_bare_http09_request_at_the_end_of_the_stream_is_written()
    {
        var h = new HttpHarness().Client("GET /index.html\r\n").Server("<html>hello</html>");
        var tx = Assert.Single(h.Close());
        Assert.Equal(("GET", "/index.html"), (tx.Request!.Method, tx.Request.Target));
        Assert.Contains("http09_request_line", tx.AllAnomalies.Names());
        Assert.Contains("truncated_head", tx.AllAnomalies.Names());
    }

    [Fact]
    public void A_head_cut_by_a_gap_is_written_and_the_next_request_found_without_a_line_feed_before_it()
    {
        const string post = "POST /a.php HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\ncmd=whoam";
        var h = new HttpHarness()
            .Client(post)
            .Client("POST /b.php HTTP/1.1\r\nHost: h\r\nContent-")
            .ClientGap(40)
            .Client("garbage=1") // the rest of a body after the hole
            .Client(post.Replace("/a.php", "/c.php"))
            .Client(post.Replace("/a.php", "/d.php"));
        var txs = h.Close();
        Assert.Equal(["/a.php", "/b.php", "/c.php", "/d.php"], txs.Select(t => t.Request!.Target));
        Assert.Contains("gap_in_headers", txs[1].AllAnomalies.Names());
        Assert.Equal("cmd=whoam", Assert.Single(txs[3].Parameters).Name + "=" + txs[3].Parameters[0].Value);
    }

    private static readonly int[] Statuses = [200, 201, 202, 203, 206, 404, 500];

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(300)]
    public void Pipelined_responses_pair_with_their_requests_at_any_depth(int depth)
    {
        var requests = string.Concat(Enumerable.Range(0, depth).Select(i => i == depth / 2
            ? $"HEAD /r{i} HTTP/1.1\r\nHost: h\r\n\r\n"
            : $"GET /r{i} HTTP/1.1\r\nHost: h\r\n\r\n"));
        var responses = string.Concat(Enumerable.Range(0, depth).Select(i =>
            $"HTTP/1.1 {Statuses[i % 7]} OK\r\nContent-Length: {(i == depth / 2 ? 100 : i.ToString().Length)}\r\n\r\n{(i == depth / 2 ? "" : i.ToString())}"));
        var txs = new HttpHarness(new HttpOptions { MaxPendingRequests = 64 }).Client(requests).Server(responses).Close();
        // Every response carries the index (tx_id) of the request it answers, and its own status.
        var answered = txs.Where(t => t.Response is not null).ToDictionary(t => t.Index, t => t.Response!.Status);
        Assert.Equal(depth, answered.Count);
        for (var i = 0; i < depth; i++) Assert.Equal(Statuses[i % 7], answered[i]);
        var requestsByIndex = txs.Where(t => t.Request is not null).ToDictionary(t => t.Index, t => t.Request!.Target);
        for (var i = 0; i < depth; i++) Assert.Equal($"/r{i}", requestsByIndex[i]);
        var split = txs.Count(t => t.AllAnomalies.Contains(HttpAnomaly.TooManyPendingRequests));
        Assert.Equal(depth > 64 ? 2 * (depth - 64) : 0, split);
    }

    [Fact]
    public void A_folded_content_type_keeps_the_form_parameters()
    {
        var tx = Assert.Single(Run("POST /s.php HTTP/1.1\r\nHost: h\r\nContent-Type:\r\n application/x-www-form-urlencoded\r\nContent-Length: 6\r\n\r\ncmd=id", 1));
        Assert.Equal("cmd", Assert.Single(tx.Parameters).Name);
        Assert.Contains("obs_fold", tx.AllAnomalies.Names());
    }

    [Fact]
    public void A_chunk_size_with_leading_zeros_keeps_the_form_parameters()
    {
        var tx = Assert.Single(Run("POST /s.php HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                   "0000000000000000000006\r\ncmd=id\r\n0\r\n\r\n", 1));
        Assert.Equal("cmd=id", Assert.Single(tx.Parameters).Name + "=" + tx.Parameters[0].Value);
        Assert.DoesNotContain("invalid_chunk_size", tx.AllAnomalies.Names());
    }

    [Theory]
    [InlineData("filename=\"a;shell.php\"", "a;shell.php", false)]
    [InlineData("filename=\"a\\\"b.php\"", "a\"b.php", false)]
    [InlineData("filename*=UTF-8''shell%2Ephp", "shell.php", false)]
    [InlineData("filename*=ISO-8859-1'en'caf%E9.php", "caf\u00e9.php", false)]
    [InlineData("filename=\"a.jpg\"; filename*=UTF-8''shell.php", "a.jpg | shell.php", true)]
    public void Multipart_file_names_are_read_as_servers_read_them(string parameter, string expected, bool ambiguous)
    {
        var body = $"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; {parameter}\r\nContent-Type: text/plain\r\n\r\n<?php ?>\r\n--XyZ--\r\n";
        var tx = Assert.Single(Run($"POST /up.php HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {body.Length}\r\n\r\n{body}", 1));
        var file = Assert.Single(tx.Parameters);
        Assert.Equal(("f", expected), (file.Name, file.FileName));
        Assert.Equal(ambiguous, tx.AllAnomalies.Contains(HttpAnomaly.AmbiguousFileName));
    }
}
