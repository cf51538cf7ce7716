using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Output;
using TrafficSensor.Tests.TestSupport;
using static TrafficSensor.Tests.TestSupport.PacketFactory;

namespace TrafficSensor.Tests.Output;

public sealed class EveJsonWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-eve-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static TransactionRecord Capture(string request, string response, ushort vlan = 0)
    {
        var packets = new TcpConversation(IPAddress.Parse("10.0.0.5"), 40001, IPAddress.Parse("10.0.0.80"), 8080).Client(request).Server(response).Packets();
        var pcap = new PcapFile(LinkType.Ethernet);
        var t = 1_700_000_000_000_000L;
        foreach (var p in packets) pcap.Add(t += 1000, vlan == 0 ? Ethernet(p) : Ethernet(p, vlan));
        return Assert.Single(SensorRun.Capture(pcap).Records);
    }

    /// <summary>Writes records through the real log file and returns the file's bytes.</summary>
    private byte[] Write(Func<JsonLinesLog, ITransactionOutput> writer, params TransactionRecord[] records)
    {
        var path = Path.Combine(_dir, Guid.NewGuid() + ".json");
        var output = writer(JsonLinesLog.Open(path));
        foreach (var r in records) output.Write(r);
        ((IDisposable)output).Dispose();
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void Writes_suricata_eve_http_fields()
    {
        var request = "POST /up.php?dir=%2Ftmp HTTP/1.1\r\nHost: Example.ORG:8080\r\nUser-Agent: ua\r\nReferer: http://r/\r\nCookie: a=1\r\nX-Forwarded-For: 203.0.113.9\r\n" +
                      "Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 77\r\n\r\n" +
                      "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.jsp\"\r\n\r\n<%@ page %>\r\n--B--\r\n";
        var record = Capture(request, "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", vlan: 12);
        var source = new EveSource(null, _ => "/captures/a.pcap");
        var bytes = Write(log => new EveJsonWriter(log, new EveOptions { SensorName = "sensor-1" }, source), record);
        var line = Encoding.UTF8.GetString(bytes);
        Assert.EndsWith("}\n", line);
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal("2023-11-14T22:13:20.004000+0000", root.GetProperty("timestamp").GetString());
        Assert.Equal("http", root.GetProperty("event_type").GetString());
        Assert.Equal("http", root.GetProperty("app_proto").GetString());
        Assert.Equal("sensor-1", root.GetProperty("host").GetString());
        Assert.Equal("/captures/a.pcap", root.GetProperty("pcap_filename").GetString());
        Assert.False(root.TryGetProperty("in_iface", out _));
        Assert.Equal("10.0.0.5", root.GetProperty("src_ip").GetString());
        Assert.Equal(40001, root.GetProperty("src_port").GetInt32());
        Assert.Equal("10.0.0.80", root.GetProperty("dest_ip").GetString());
        Assert.Equal(8080, root.GetProperty("dest_port").GetInt32());
        Assert.Equal("TCP", root.GetProperty("proto").GetString());
        Assert.Equal([12], root.GetProperty("vlan").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(record.FlowId, root.GetProperty("flow_id").GetInt64());
        Assert.Equal(record.CommunityId, root.GetProperty("community_id").GetString());
        var flow = root.GetProperty("flow");
        Assert.Equal(record.Flow!.Value.PacketsToServer, flow.GetProperty("pkts_toserver").GetInt64());
        Assert.True(flow.GetProperty("pkts_toserver").GetInt64() >= 3); // SYN, ACK, request
        Assert.True(flow.GetProperty("bytes_toserver").GetInt64() >= Encoding.Latin1.GetByteCount(request));
        Assert.Equal("2023-11-14T22:13:20.001000+0000", flow.GetProperty("start").GetString());
        var http = root.GetProperty("http");
        Assert.Equal("example.org", http.GetProperty("hostname").GetString());
        Assert.Equal("/up.php?dir=%2Ftmp", http.GetProperty("url").GetString());
        Assert.Equal("POST", http.GetProperty("http_method").GetString());
        Assert.Equal("HTTP/1.1", http.GetProperty("protocol").GetString());
        Assert.Equal(201, http.GetProperty("status").GetInt32());
        Assert.Equal("ua", http.GetProperty("http_user_agent").GetString());
        Assert.Equal("203.0.113.9", http.GetProperty("xff").GetString());
        Assert.Equal("http://r/", http.GetProperty("http_refer").GetString());
        Assert.Equal("text/plain", http.GetProperty("http_content_type").GetString());
        Assert.Equal(2, http.GetProperty("length").GetInt64());
        Assert.Equal(77, http.GetProperty("request_body_len").GetInt64());
        Assert.Equal(["dir", "f"], http.GetProperty("parameters").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["a"], http.GetProperty("cookies").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["x.jsp"], http.GetProperty("uploaded_files").EnumerateArray().Select(v => v.GetString()));
        Assert.False(http.TryGetProperty("anomalies", out _));
        Assert.False(http.TryGetProperty("request_headers", out _)); // only when asked for
        Assert.False(root.TryGetProperty("ml", out _)); // no model, no verdict
    }

    [Fact]
    public void Strings_are_escaped_only_where_json_requires_it()
    {
        var request = "GET /a?x=<script>alert('1')</script>&y=1+1&z=\u001b[31m HTTP/1.1\r\nHost: h\r\nUser-Agent: \"quoted\" \\ \u0007bell\tTab\r\n\r\n";
        var record = Capture(request, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        var line = Encoding.UTF8.GetString(Write(log => new EveJsonWriter(log), record));
        Assert.Contains("\"url\":\"/a?x=<script>alert('1')</script>&y=1+1&z=\\u001b[31m\"", line);
        Assert.Contains("\"http_user_agent\":\"\\\"quoted\\\" \\\\ \\u0007bell\\tTab\"", line);
        Assert.Contains("+0000\"", line); // timestamps keep their "+"
        Assert.DoesNotContain("\\u002B", line, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("\\u003C", line, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Wire_bytes_that_are_not_utf8_still_make_valid_json_and_can_be_restored()
    {
        // "é" in UTF-8 is written as é; a lone 0xE9 byte (Latin-1 é, invalid UTF-8) becomes U+00E9, and 0xFF U+00FF.
        var utf8 = Capture("GET /caf\u00c3\u00a9 HTTP/1.1\r\nHost: h\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        var latin1 = Capture("GET /caf\u00e9\u00ff HTTP/1.1\r\nHost: h\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        var bytes = Write(log => new EveJsonWriter(log), utf8, latin1);
        var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); // the file is valid UTF-8
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("\"url\":\"/café\"", lines[0]); // non-ASCII written literally
        using var doc = JsonDocument.Parse(lines[1]);
        var url = doc.RootElement.GetProperty("http").GetProperty("url").GetString()!;
        Assert.Equal([.. "/caf"u8, 0xE9, 0xFF], Encoding.Latin1.GetBytes(url));
    }

    [Fact]
    public void Verdict_numbers_are_always_floats_and_live_under_ml()
    {
        var record = Capture("GET /x HTTP/1.1\r\nHost: h\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") with
        {
            Verdict = new Verdict(2f, 1f, true, [new Reason("parameter_count", 3, 1)], "m"),
        };
        var line = Encoding.UTF8.GetString(Write(log => new EveJsonWriter(log), record));
        Assert.Contains("\"ml\":{\"score\":2.0,\"threshold\":1.0,", line);
        Assert.Contains("\"value\":3.0,\"normal\":1.0,", line);
        Assert.DoesNotContain("\"anomaly\":", line);
    }

    [Fact]
    public void Headers_and_body_excerpts_are_bounded()
    {
        var headers = string.Concat(Enumerable.Range(0, 70).Select(i => $"X-H{i}: {new string(i == 0 ? 'v' : 'w', i == 0 ? 2000 : 10)}\r\n")); // under the parser's 64 KiB head limit
        var request = $"POST /x HTTP/1.1\r\nHost: h\r\n{headers}Content-Length: 600\r\n\r\n" + new string('A', 300) + "\u0001\u00ff" + new string('B', 298);
        var record = Capture(request, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") with
        {
            Verdict = new Verdict(2f, 1f, true, [], "m"),
            Thread = new AlertThreadPosition(1, 1, 0),
        };
        var options = new EveOptions { Headers = HeaderDump.Both, MaxHeaders = 64, MaxHeaderValueChars = 1024, BodyExcerptBytes = 302 };
        using var doc = JsonDocument.Parse(Write(log => new EveAlertWriter(log, options), record));
        var http = doc.RootElement.GetProperty("http");
        var listed = http.GetProperty("request_headers").EnumerateArray().ToList();
        Assert.Equal(64, listed.Count);
        Assert.Equal("Host", listed[0].GetProperty("name").GetString());
        Assert.Equal(1025, listed[1].GetProperty("value").GetString()!.Length); // 1024 and the "…" that marks the cut
        Assert.Equal(new string('A', 300) + "..", http.GetProperty("http_request_body_printable").GetString());
        Assert.Equal("Content-Length", http.GetProperty("response_headers")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void Any_string_round_trips_through_the_escaper_and_leaves_no_raw_control_character()
    {
        Gen.OneOf(Gen.Char['\0', '\u00ff'], Gen.Char).Array[0, 64].Select(cs => new string(cs.Select(x => char.IsSurrogate(x) ? 'x' : x).ToArray()))
            .Sample(s =>
            {
                var utf8 = Encoding.UTF8.GetBytes(s);
                var output = new byte[utf8.Length * 6 + 2];
                var n = EveText.Escape(utf8, output);
                var json = output.AsSpan(0, n);
                Assert.DoesNotContain(json.ToArray(), b => b < 0x20);
                Assert.Equal(s, JsonSerializer.Deserialize<string>(json));
            });
    }
}
