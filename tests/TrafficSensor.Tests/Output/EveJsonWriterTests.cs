using System.Net;
using System.Text.Json;
using TrafficSensor.Capture;
using TrafficSensor.Output;
using TrafficSensor.Tests.TestSupport;
using static TrafficSensor.Tests.TestSupport.PacketFactory;

namespace TrafficSensor.Tests.Output;

public class EveJsonWriterTests
{
    [Fact]
    public void Writes_suricata_eve_http_fields()
    {
        var request = "POST /up.php?dir=%2Ftmp HTTP/1.1\r\nHost: Example.ORG:8080\r\nUser-Agent: ua\r\nReferer: http://r/\r\nCookie: a=1\r\n" +
                      "Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 77\r\n\r\n" +
                      "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.jsp\"\r\n\r\n<%@ page %>\r\n--B--\r\n";
        var packets = new TcpConversation(IPAddress.Parse("10.0.0.5"), 40001, IPAddress.Parse("10.0.0.80"), 8080)
            .Client(request).Server("HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok").Packets();
        var pcap = new PcapFile(LinkType.Ethernet);
        var t = 1_700_000_000_000_000L;
        foreach (var p in packets) pcap.Add(t += 1000, Ethernet(p, 12));
        var record = Assert.Single(SensorRun.Capture(pcap).Records);

        using var stream = new MemoryStream();
        using (var writer = new EveJsonWriter(stream, ownsStream: false)) writer.Write(record);
        var line = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.EndsWith("\n", line);
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal("2023-11-14T22:13:20.004000+0000", root.GetProperty("timestamp").GetString());
        Assert.Equal("http", root.GetProperty("event_type").GetString());
        Assert.Equal("10.0.0.5", root.GetProperty("src_ip").GetString());
        Assert.Equal(40001, root.GetProperty("src_port").GetInt32());
        Assert.Equal("10.0.0.80", root.GetProperty("dest_ip").GetString());
        Assert.Equal(8080, root.GetProperty("dest_port").GetInt32());
        Assert.Equal("TCP", root.GetProperty("proto").GetString());
        Assert.Equal([12], root.GetProperty("vlan").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(record.FlowId, root.GetProperty("flow_id").GetInt64());
        Assert.Equal(record.CommunityId, root.GetProperty("community_id").GetString());
        var http = root.GetProperty("http");
        Assert.Equal("example.org", http.GetProperty("hostname").GetString());
        Assert.Equal("/up.php?dir=%2Ftmp", http.GetProperty("url").GetString());
        Assert.Equal("POST", http.GetProperty("http_method").GetString());
        Assert.Equal("HTTP/1.1", http.GetProperty("protocol").GetString());
        Assert.Equal(201, http.GetProperty("status").GetInt32());
        Assert.Equal("ua", http.GetProperty("http_user_agent").GetString());
        Assert.Equal("http://r/", http.GetProperty("http_refer").GetString());
        Assert.Equal("text/plain", http.GetProperty("http_content_type").GetString());
        Assert.Equal(2, http.GetProperty("length").GetInt64());
        Assert.Equal(77, http.GetProperty("request_body_len").GetInt64());
        Assert.Equal(["dir", "f"], http.GetProperty("parameters").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["a"], http.GetProperty("cookies").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["x.jsp"], http.GetProperty("uploaded_files").EnumerateArray().Select(v => v.GetString()));
        Assert.False(http.TryGetProperty("anomalies", out _));
    }
}
