using System.Net;
using System.Reflection;
using TrafficSensor.Configuration;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Configuration;

public sealed class ConfigurationLoaderTests
{
    private static readonly string Example = Path.Combine(TestPaths.RepositoryRoot, "deploy", "trafficsensor.yaml");

    private static ConfigurationException Refused(string yaml) =>
        Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Parse(yaml, "test.yaml"));

    [Fact]
    public void The_documented_example_holds_exactly_the_built_in_defaults()
    {
        var configuration = ConfigurationLoader.Load(Example);
        // Records compare by value, section by section.
        Assert.Equal(new SensorOptions(), configuration.Sensor);
        Assert.Equal(new OutputSettings(), configuration.Outputs);
        Assert.Equal(new DetectionSettings(), configuration.Detection);
        Assert.Empty(configuration.Suppressions.Rules);
    }

    [Fact]
    public void The_documented_example_names_every_option_of_SensorOptions()
    {
        var lines = File.ReadAllLines(Example);
        foreach (var section in typeof(SensorOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var sectionKey = ConfigurationLoader.SnakeCase(section.Name);
            var start = Array.IndexOf(lines, sectionKey + ":");
            Assert.True(start >= 0, $"section '{sectionKey}' is missing from deploy/trafficsensor.yaml");
            var body = lines.Skip(start + 1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
            foreach (var option in section.PropertyType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var key = ConfigurationLoader.SnakeCase(option.Name);
                Assert.True(body.Any(l => l.StartsWith($"  {key}:", StringComparison.Ordinal)), $"'{sectionKey}.{key}' is not documented in deploy/trafficsensor.yaml");
            }
        }
    }

    [Fact]
    public void Values_are_read_with_sizes_durations_and_enums_and_the_rest_keeps_its_default()
    {
        var c = ConfigurationLoader.Parse("""
            capture:
              interface: eth1
              bpf: "tcp port 80"
            flows:
              tcp_idle_timeout: 90s
              max_flows: 1000
            reassembly:
              memory_cap_bytes: 1GiB
              max_depth_per_direction: 0
              overlap: last
            http:
              max_header_bytes: 16KiB
            pipeline:
              workers: 3
            outputs:
              alerts: /var/log/trafficsensor/alerts.json
              metrics: off
            detection:
              model: /etc/trafficsensor/site.zip
            """, "test.yaml");
        Assert.Equal("eth1", c.Sensor.Capture.Interface);
        Assert.Equal("tcp port 80", c.Sensor.Capture.Bpf);
        Assert.Equal(65535, c.Sensor.Capture.Snaplen);
        Assert.Equal(TimeSpan.FromSeconds(90), c.Sensor.Flows.TcpIdleTimeout);
        Assert.Equal(1000, c.Sensor.Flows.MaxFlows);
        Assert.Equal(new FlowOptions().TcpClosedTimeout, c.Sensor.Flows.TcpClosedTimeout);
        Assert.Equal(1L << 30, c.Sensor.Reassembly.MemoryCapBytes);
        Assert.Equal(0, c.Sensor.Reassembly.MaxDepthPerDirection);
        Assert.Equal(OverlapPolicy.Last, c.Sensor.Reassembly.Overlap);
        Assert.Equal(16 * 1024, c.Sensor.Http.MaxHeaderBytes);
        Assert.Equal(new HttpOptions().MaxHeaders, c.Sensor.Http.MaxHeaders);
        Assert.Equal(3, c.Sensor.Pipeline.Workers);
        Assert.Equal("/var/log/trafficsensor/alerts.json", c.Outputs.Alerts);
        Assert.Equal("off", c.Outputs.Metrics);
        Assert.Equal("/etc/trafficsensor/site.zip", c.Detection.Model);
        Assert.True(c.Detection.Enabled);
        Assert.Equal(new DecodingOptions(), c.Sensor.Decoding);
    }

    [Fact]
    public void An_empty_file_is_the_built_in_defaults()
    {
        var c = ConfigurationLoader.Parse("# nothing set\n", "test.yaml");
        Assert.Equal(new SensorOptions(), c.Sensor);
        Assert.Equal(new OutputSettings(), c.Outputs);
    }

    [Theory]
    [InlineData("capture:\n  snaplen: 1500\n  bufer_megabytes: 8\n", "test.yaml:3:3: unknown key 'capture.bufer_megabytes' in section 'capture'")]
    [InlineData("flows:\n  max_flows: 10\nreasembly:\n  overlap: last\n", "test.yaml:3:1: unknown key 'reasembly'")]
    [InlineData("suppressions:\n  - name: probe\n    clinet: 10.0.0.1\n", "test.yaml:3:5: unknown key 'suppressions.clinet'")]
    [InlineData("outputs:\n  metrics: 127.0.0.1:9464\n  status_interval: 10\n  status_intervall: 5\n", "test.yaml:4:3: unknown key 'outputs.status_intervall'")]
    public void Unknown_keys_are_refused_naming_the_key_and_its_line(string yaml, string expected)
    {
        var e = Refused(yaml);
        Assert.StartsWith(expected, e.Message);
        Assert.Contains("known keys:", e.Message);
    }

    [Theory]
    [InlineData("capture:\n  snaplen: lots\n", "test.yaml:2:12: 'capture.snaplen' must be a whole number")]
    [InlineData("capture:\n  snaplen: -5\n", "test.yaml:2:12: 'capture.snaplen' must be a whole number")]
    [InlineData("flows:\n  max_flows: 0\n", "test.yaml:2:14: 'flows.max_flows' must be at least 1")]
    [InlineData("flows:\n  tcp_idle_timeout: soon\n", "test.yaml:2:21: 'flows.tcp_idle_timeout' must be a duration")]
    [InlineData("reassembly:\n  overlap: middle\n", "test.yaml:2:12: 'reassembly.overlap' must be one of first, last")]
    [InlineData("capture:\n  promiscuous: yes please\n", "test.yaml:2:16: 'capture.promiscuous' must be true or false")]
    [InlineData("http:\n  max_headers: 99999999999\n", "test.yaml:2:16: 'http.max_headers' is too large")]
    [InlineData("capture:\n  snaplen: 100\n  snaplen: 200\n", "test.yaml:3:3: not valid YAML: Duplicate key")]
    [InlineData("capture: eth0\n", "test.yaml:1:10: section 'capture' must be a mapping")]
    [InlineData("outputs:\n  metrics: ~\n", "test.yaml:2:12: 'outputs.metrics' needs a value")]
    [InlineData("outputs:\n  metrics: everywhere\n", "test.yaml: outputs.metrics must be ADDRESS:PORT or off")]
    [InlineData("capture:\n  snaplen: [1, 2]\n", "test.yaml:2:12: 'capture.snaplen' must be a single value")]
    [InlineData("capture:\n  snaplen: 1\n bpf: x\n", "test.yaml:")]
    public void Wrong_values_are_refused_with_their_line(string yaml, string expected)
    {
        Assert.StartsWith(expected, Refused(yaml).Message);
    }

    [Fact]
    public void Suppression_rules_are_read_and_checked()
    {
        var c = ConfigurationLoader.Parse("""
            suppressions:
              - name: monitoring-probe
                client: 10.20.0.5
                path: /health*
              - name: wiki.uploads
                server: 10.1.2.0/24
                port: 80
                reasons: [uploads_server_code, request_multipart]
                detector: anomaly
            """, "test.yaml");
        Assert.Equal(["monitoring-probe", "wiki.uploads"], c.Suppressions.Names);
        var probe = c.Suppressions.Rules[0];
        Assert.True(probe.Client!.Value.Contains(IPAddress.Parse("10.20.0.5")));
        Assert.False(probe.Client!.Value.Contains(IPAddress.Parse("10.20.0.6")));
        Assert.Equal("/health*", probe.Path);
        var uploads = c.Suppressions.Rules[1];
        Assert.Equal(80, uploads.Port);
        Assert.Equal(["uploads_server_code", "request_multipart"], uploads.Reasons!);
        Assert.Equal("anomaly", uploads.Detector);

        Assert.StartsWith("test.yaml:2:5: a suppression rule needs a name", Refused("suppressions:\n  - path: /x\n").Message);
        Assert.StartsWith("test.yaml:2:5: suppression rule 'all' sets no condition", Refused("suppressions:\n  - name: all\n").Message);
        Assert.StartsWith("test.yaml:4:11: two suppression rules are named 'a'", Refused("suppressions:\n  - name: a\n    port: 80\n  - name: a\n    port: 81\n").Message);
        Assert.StartsWith("test.yaml:3:14: 'no_such_feature' is not a feature", Refused("suppressions:\n  - name: a\n    reasons: [no_such_feature]\n").Message);
        Assert.StartsWith("test.yaml:2:11: a rule name is 1 to 64", Refused("suppressions:\n  - name: \"bad name\"\n    port: 80\n").Message);
        Assert.StartsWith("test.yaml:3:13: 'suppressions.server' must be an address or a network", Refused("suppressions:\n  - name: a\n    server: web01\n").Message);
        Assert.StartsWith("test.yaml:3:11: 'suppressions.path' is a glob", Refused("suppressions:\n  - name: a\n    path: health\n").Message);
    }
}
