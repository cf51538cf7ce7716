using TrafficSensor.Detection;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Detection;

/// <summary>
/// The bundled model on real captures from other networks (../shared/pcaps/real): every malicious
/// session alerts, benign captures raise nothing, and no alert lands outside the malicious requests
/// named by the captures' labels.
/// </summary>
public class DefaultModelTests
{

    [Theory]
    [InlineData("cmdshell-php-marcellelee.pcap", "192.168.56.1", "/badshell.php")]
    [InlineData("antsword-php-cmacckk.pcap", "192.168.200.2", "/1.php")]
    [InlineData("benign-http-cs-espn.pcapng", null, null)]
    [InlineData("benign-http-zeek-broorg.pcap", null, null)]
    [InlineData("benign-http-zeek-wikipedia.pcap", null, null)]
    public void Malicious_sessions_alert_and_benign_traffic_does_not(string capture, string? attacker, string? shellPath)
    {
        var output = new CollectingOutput();
        new TrafficSensor.Pipeline.SensorPipeline(new SensorOptions(), output, TestModels.Default).Replay([Path.Combine(TestPaths.SharedRealPcaps, capture)]);
        var alerts = output.Records.Where(r => r.Verdict!.Alert).ToList();
        if (attacker is null)
        {
            Assert.Empty(alerts.Select(SensorRun.Tuple));
            return;
        }
        Assert.NotEmpty(alerts);
        Assert.All(alerts, a =>
        {
            Assert.Equal(attacker, a.ClientAddress.ToString());
            Assert.Contains(shellPath!, a.Transaction.Request!.Target);
            Assert.NotEmpty(a.Verdict!.Reasons);
        });
    }
}
