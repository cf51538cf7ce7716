using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Output;
using TrafficSensor.Tests.TestSupport;
using static TrafficSensor.Tests.TestSupport.PacketFactory;

namespace TrafficSensor.Tests.Output;

/// <summary>
/// Every record type the sensor writes, from real runs of the CLI and from the writers with every
/// optional field, is valid against docs/eve-schema.json; with our own extension fields removed, it is
/// valid against Suricata's own schema (../shared/docs/eve/suricata-schema.json), so a SIEM's Suricata
/// parser reads the shared fields with the names and types it expects.
/// </summary>
public sealed class EveSchemaTests : IDisposable
{
    private const string Extension = "x-trafficsensor-extension";
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-schema-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string OurSchemaPath => Path.Combine(TestPaths.RepositoryRoot, "docs", "eve-schema.json");
    private static string SuricataSchemaPath => Path.GetFullPath(Path.Combine(TestPaths.RepositoryRoot, "..", "shared", "docs", "eve", "suricata-schema.json"));

    private static JsonSchema Load(string path, string id) =>
        JsonSchema.FromText(File.ReadAllText(path), new BuildOptions { SchemaRegistry = new SchemaRegistry(), Dialect = Dialect.Draft202012 }, new Uri($"https://trafficsensor.test/{id}"));

    private static void AssertValid(JsonSchema schema, JsonElement record, string what)
    {
        var result = schema.Evaluate(record, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return;
        var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}"));
        Assert.Fail($"{what} is not valid:\n{string.Join("\n", errors)}\n{record}");
    }

    private (int Code, string Err) Cli(params string[] args)
    {
        var (code, _, err) = ExternalTool.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "trafficsensor.dll"), .. args]);
        return (code, err);
    }

    /// <summary>Records from real runs and from the writers with every optional field set.</summary>
    private List<JsonElement> Records()
    {
        var lines = new List<string>();
        var real = TestPaths.SharedRealPcaps;
        // A model, alerts, headers and body excerpts, from a real web-shell capture.
        var tx = Path.Combine(_dir, "tx.json");
        var alerts = Path.Combine(_dir, "alerts.json");
        var run = Cli("replay", "-q", Path.Combine(real, "cmdshell-php-marcellelee.pcap"), Path.Combine(real, "antsword-php-cmacckk.pcap"),
            "-t", tx, "-a", alerts, "--http-headers", "both", "--sensor-name", "sensor-7", "--evidence", Path.Combine(_dir, "evidence"));
        Assert.True(run.Code == 0, run.Err);
        // No model: parameters, cookies and protocol anomalies from real benign sites.
        var plain = Path.Combine(_dir, "plain.json");
        run = Cli("replay", "-q", "--no-model", Path.Combine(real, "benign-http-zeek-broorg.pcap"), Path.Combine(real, "benign-http-cs-espn.pcapng"),
            Path.Combine(TestPaths.ProjectPcaps, "h2", "h2-apache.pcap"), "-t", plain); // HTTP/2 records (app_proto http2) too
        Assert.Contains("\"app_proto\":\"http2\"", File.ReadAllText(plain));
        Assert.True(run.Code == 0, run.Err);
        // TLS connections (event_type tls) from the real handshakes.
        var tls = Path.Combine(_dir, "tls.json");
        run = Cli("replay", "-q", "--no-model", Path.Combine(TestPaths.ProjectPcaps, "tls", "handshakes"), "-t", tls);
        Assert.True(run.Code == 0, run.Err);
        lines.AddRange(File.ReadAllLines(tls));
        lines.AddRange(File.ReadAllLines(tx));
        lines.AddRange(File.ReadAllLines(alerts));
        lines.AddRange(File.ReadAllLines(plain));

        // Live-only fields (in_iface, capture_files), VLANs, server normals and hostile strings, through the writers.
        var request = "POST /up.php?a=<x>&b=\u0001 HTTP/1.1\r\nHost: h\r\nCookie: s=1\r\nX-Forwarded-For: 10.1.1.1\r\nContent-Length: 3\r\n\r\n\u00ff\u0000z";
        var packets = new TcpConversation(IPAddress.Parse("10.0.0.5"), 40001, IPAddress.Parse("10.0.0.80"), 80)
            .Client(request).Server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").Packets();
        var pcap = new PcapFile(LinkType.Ethernet);
        var t = 1_700_000_000_000_000L;
        foreach (var p in packets) pcap.Add(t += 1000, Ethernet(p, 12));
        var record = Assert.Single(SensorRun.Capture(pcap).Records) with
        {
            Verdict = new Verdict(3f, 1f, true, [new Reason("a", 1, 0, ServerNormal: 0.5f, ServerTransactions: 40), new Reason("b", 2, 1)], "m",
                Probability: 0.9f, ClassifierThreshold: 0.5f, Detector: "both"),
            Thread = new AlertThreadPosition(3, 2, t),
        };
        var live = Path.Combine(_dir, "live.json");
        var options = new EveOptions { Headers = HeaderDump.Both };
        var source = new EveSource("eth1", null);
        using (var writer = new EveJsonWriter(JsonLinesLog.Open(live), options, source)) writer.Write(record);
        using (var writer = new EveAlertWriter(JsonLinesLog.Open(live), options, source, id => $"/ev/{id}.pcap") { CaptureFiles = (_, _) => ["/rec/a.pcap"] })
            writer.Write(record);
        lines.AddRange(File.ReadAllLines(live));

        var records = lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.Contains(records, r => r.GetProperty("event_type").GetString() == "alert" && r.TryGetProperty("in_iface", out _));
        Assert.Contains(records, r => r.GetProperty("event_type").GetString() == "alert" && r.TryGetProperty("pcap_filename", out _));
        Assert.Contains(records, r => r.GetProperty("event_type").GetString() == "http" && !r.TryGetProperty("ml", out _));
        Assert.Contains(records, r => r.TryGetProperty("http", out var http) && http.TryGetProperty("request_headers", out _));
        Assert.Contains(records, r => r.TryGetProperty("http", out var http) && http.TryGetProperty("anomalies", out _));
        Assert.Contains(records, r => r.GetProperty("event_type").GetString() == "tls" && r.GetProperty("tls").TryGetProperty("client", out _));
        return records;
    }

    /// <summary>The record without the fields our schema marks as extensions (at every level our schema describes).</summary>
    private static JsonElement WithoutExtensions(JsonElement record, JsonElement ourSchema)
    {
        var node = JsonNode.Parse(record.GetRawText())!.AsObject();
        Strip(node, ourSchema);
        return JsonDocument.Parse(node.ToJsonString()).RootElement.Clone();
    }

    private static void Strip(JsonObject node, JsonElement schema)
    {
        if (!schema.TryGetProperty("properties", out var properties)) return;
        foreach (var (name, value) in node.ToList())
        {
            if (!properties.TryGetProperty(name, out var property)) continue;
            if (property.TryGetProperty(Extension, out _)) node.Remove(name);
            else if (value is JsonObject child) Strip(child, property);
        }
    }

    [Fact]
    public void Every_record_type_is_valid_against_our_schema_and_its_shared_fields_against_suricatas()
    {
        var ours = Load(OurSchemaPath, "ours");
        var suricata = Load(SuricataSchemaPath, "suricata");
        using var ourSchemaDoc = JsonDocument.Parse(File.ReadAllText(OurSchemaPath));
        var records = Records();
        Assert.True(records.Count > 50);
        foreach (var record in records)
        {
            AssertValid(ours, record, "a record, against docs/eve-schema.json,");
            AssertValid(suricata, WithoutExtensions(record, ourSchemaDoc.RootElement), "a record without our extension fields, against Suricata's schema,");
        }
    }

    [Fact]
    public void Every_field_we_do_not_mark_as_ours_is_a_suricata_field()
    {
        using var ours = JsonDocument.Parse(File.ReadAllText(OurSchemaPath));
        using var suricata = JsonDocument.Parse(File.ReadAllText(SuricataSchemaPath));
        var missing = new List<string>();
        void Compare(JsonElement our, JsonElement theirs, string path)
        {
            foreach (var property in our.GetProperty("properties").EnumerateObject())
            {
                if (property.Value.TryGetProperty(Extension, out _)) continue;
                if (!theirs.TryGetProperty("properties", out var theirProperties) || !theirProperties.TryGetProperty(property.Name, out var their))
                {
                    missing.Add(path + property.Name);
                    continue;
                }
                if (property.Value.TryGetProperty("properties", out _)) Compare(property.Value, their, path + property.Name + ".");
            }
        }
        Compare(ours.RootElement, suricata.RootElement, "");
        Assert.Empty(missing);
        // And the name Suricata reserves for its own anomaly events is not ours.
        Assert.False(ours.RootElement.GetProperty("properties").TryGetProperty("anomaly", out _));
    }
}
