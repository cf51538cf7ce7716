using TrafficSensor.Evaluation;
using TrafficSensor.Features;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Evaluation;

/// <summary>
/// The TLS corpus is read by the sensor's own pipeline, so training and evaluation see the connections the
/// sensor judges: a client port used again after its connection closed (as in the lab's longer TLS captures)
/// is a second connection, not bytes lost in the first.
/// </summary>
public class TlsLabelledCorpusTests
{
    private static string Describe(TlsConnectionFacts c, long shiftMicros = 0) =>
        $"{c.Client}:{c.ClientPort}>{c.Server}:{c.ServerPort} {c.Ja4} {c.Sni} {c.Version} " +
        string.Join(",", c.Records.Select(r => $"{r.FromClient}/{r.ContentType}/{r.Length}/{r.TimestampMicros - shiftMicros}"));

    [Fact]
    public void A_client_port_used_again_after_its_connection_closed_is_a_second_connection()
    {
        // One real TLS 1.3 connection (openssl against nginx, closed with FIN), then the same connection again two
        // minutes later from the same client port: what a client whose ports wrap around sends.
        var capture = Path.Combine(TestPaths.ProjectPcaps, "tls", "keylog", "tls13-aes128-gcm-sha256.pcap");
        var frames = PcapFile.ReadFrames(capture);
        var once = Assert.Single(TlsLabelledCorpus.ReadConnections(capture));

        const long shift = 120_000_000;
        var twice = new PcapFile(frames[0].Link);
        foreach (var (micros, _, data) in frames) twice.Add(micros, data);
        foreach (var (micros, _, data) in frames) twice.Add(micros + shift, data);
        var path = Path.Combine(Path.GetTempPath(), $"ts-tls-port-reuse-{Guid.NewGuid():N}.pcap");
        try
        {
            twice.WriteTo(path);
            var connections = TlsLabelledCorpus.ReadConnections(path);
            Assert.Equal(2, connections.Count);
            Assert.Equal(Describe(once), Describe(connections[0]));
            Assert.Equal(Describe(once), Describe(connections[1], shift));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
