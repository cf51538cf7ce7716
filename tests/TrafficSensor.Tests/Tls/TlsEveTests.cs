using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using TrafficSensor.Output;
using TrafficSensor.Tests.TestSupport;
using TrafficSensor.Tls;

namespace TrafficSensor.Tests.Tls;

/// <summary>The EVE <c>tls</c> object of every real handshake is valid against Suricata's own schema for it.</summary>
public class TlsEveTests
{
    private static readonly string Folder = Path.Combine(TestPaths.ProjectPcaps, "tls", "handshakes");

    /// <summary>Suricata's <c>tls</c> definition (with its $defs) as a schema of an object holding one "tls" property.</summary>
    private static JsonSchema SuricataTlsSchema()
    {
        var suricata = JsonNode.Parse(File.ReadAllText(Path.GetFullPath(Path.Combine(TestPaths.RepositoryRoot, "..", "shared", "docs", "eve", "suricata-schema.json"))))!;
        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["required"] = new JsonArray("tls"),
            ["properties"] = new JsonObject { ["tls"] = suricata["properties"]!["tls"]!.DeepClone() },
            ["$defs"] = suricata["$defs"]!.DeepClone(),
        };
        return JsonSchema.FromText(schema.ToJsonString(), new BuildOptions { SchemaRegistry = new SchemaRegistry(), Dialect = Dialect.Draft202012 },
            new Uri("https://trafficsensor.test/suricata-tls"));
    }

    internal static JsonElement Write(TlsMetadata metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, EveText.WriterOptions))
        {
            w.WriteStartObject();
            metadata.WriteEve(w);
            w.WriteEndObject();
        }
        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }

    [Fact]
    public void Tls_objects_of_real_handshakes_are_valid_suricata_tls_objects()
    {
        var schema = SuricataTlsSchema();
        var written = 0;
        foreach (var capture in Directory.GetFiles(Folder, "*.pcap").Order())
        {
            foreach (var stream in TlsCaptureHarness.Read(capture).Streams)
            {
                var record = Write(TlsMetadata.From(stream));
                var result = schema.Evaluate(record, new EvaluationOptions { OutputFormat = OutputFormat.List });
                Assert.True(result.IsValid, $"{Path.GetFileName(capture)}: {record}");
                written++;
            }
        }
        Assert.True(written >= 13, $"{written} records");
        // The schema bites: a date in another shape or an unknown field is refused.
        Assert.False(schema.Evaluate(JsonDocument.Parse("{\"tls\":{\"notbefore\":\"2025-01-01 00:00\"}}").RootElement).IsValid);
        Assert.False(schema.Evaluate(JsonDocument.Parse("{\"tls\":{\"ja3_hash\":\"x\"}}").RootElement).IsValid);
    }

    [Fact]
    public void Tls_object_has_suricatas_fields_and_spelling()
    {
        var streams = TlsCaptureHarness.Read(Path.Combine(Folder, "openssl-client-cert.pcap")).Streams;
        var tls = Write(TlsMetadata.From(streams.Single())).GetProperty("tls");
        Assert.Equal("tls.example", tls.GetProperty("sni").GetString());
        Assert.Equal("TLS 1.2", tls.GetProperty("version").GetString());
        Assert.Equal("C=DE, O=TrafficSensor Lab, CN=tls.example", tls.GetProperty("subject").GetString());
        Assert.Equal("C=DE, O=TrafficSensor Lab, CN=Lab Root CA", tls.GetProperty("issuerdn").GetString());
        Assert.Matches("^([0-9A-F]{2}:)+[0-9A-F]{2}$", tls.GetProperty("serial").GetString());
        Assert.Matches("^([0-9a-f]{2}:){19}[0-9a-f]{2}$", tls.GetProperty("fingerprint").GetString());
        Assert.Matches("^[0-9a-f]{32}$", tls.GetProperty("ja3").GetProperty("hash").GetString());
        Assert.StartsWith("771,", tls.GetProperty("ja3s").GetProperty("string").GetString());
        Assert.Matches("^t12d", tls.GetProperty("ja4").GetString());
        Assert.Equal("CN=lab client", tls.GetProperty("client").GetProperty("subject").GetString());

        var versions = TlsCaptureHarness.Read(Path.Combine(Folder, "openssl-versions.pcap")).Streams.Select(s => Write(TlsMetadata.From(s)).GetProperty("tls")).ToList();
        Assert.Equal("TLSv1", versions[0].GetProperty("version").GetString());
        Assert.Equal("TLS 1.3", versions[4].GetProperty("version").GetString());
        Assert.False(versions[4].TryGetProperty("subject", out _)); // encrypted in TLS 1.3
        Assert.Equal(["h2", "http/1.1"], versions[4].GetProperty("client_alpns").EnumerateArray().Select(e => e.GetString()));
        Assert.False(versions[5].TryGetProperty("sni", out _));

        var resumed = TlsCaptureHarness.Read(Path.Combine(Folder, "openssl-resumption.pcap")).Streams;
        Assert.False(Write(TlsMetadata.From(resumed[0])).GetProperty("tls").TryGetProperty("session_resumed", out _));
        Assert.True(Write(TlsMetadata.From(resumed[1])).GetProperty("tls").GetProperty("session_resumed").GetBoolean());
    }
}
