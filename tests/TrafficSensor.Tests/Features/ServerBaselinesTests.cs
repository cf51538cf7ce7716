using TrafficSensor.Decoding;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Pipeline;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Features;

public sealed class ServerBaselinesTests
{
    private static FeatureVector Vector(float first)
    {
        var v = new FeatureVector();
        v.Values[0] = first;
        return v;
    }

    [Fact]
    public void Keeps_the_running_mean_per_server_and_stays_bounded()
    {
        var a = IpAddress.Parse("10.0.0.1");
        var baselines = new ServerBaselines(maxServers: 2);
        foreach (var x in new[] { 1f, 2f, 3f, 6f }) baselines.Learn(a, 80, Vector(x));
        Assert.Equal((3.0, 4L), baselines.Normal(a, 80, 0));
        Assert.Equal((0.0, 0L), baselines.Normal(a, 8080, 0));

        baselines.Learn(a, 8080, Vector(1));
        baselines.Learn(IpAddress.Parse("10.0.0.2"), 80, Vector(1)); // a third server: not followed
        Assert.Equal(2, baselines.Servers);
        Assert.Equal(1, baselines.Untracked);
    }

    [Fact]
    public void Alerts_on_a_known_server_are_explained_against_its_own_earlier_traffic()
    {
        // The lab's Kestrel shop: its benign sample, then the IIS-module backdoor on the same server.
        var samples = Path.Combine(TestPaths.RepositoryRoot, "pcaps", "lab", "samples");
        var model = AnomalyModel.Load(Path.Combine(TestPaths.RepositoryRoot, "models", "default.zip"));
        var output = new CollectingOutput();
        new SensorPipeline(new SensorOptions { Pipeline = new PipelineOptions { Workers = 1 } }, output, model)
            .Replay([Path.Combine(samples, "benign-shop.pcap"), Path.Combine(samples, "webshell-iis-module.pcap")]);
        var records = output.Records.ToList(); // one worker: the order in which they were scored

        var explained = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            if (r.Verdict is not { Alert: true } verdict) continue;
            var earlier = records.Take(i).Where(e => e.ServerAddress == r.ServerAddress && e.ServerPort == r.ServerPort && e.Verdict is { Alert: false }).ToList();
            foreach (var reason in verdict.Reasons)
            {
                if (earlier.Count < TrafficSensor.Detection.SiteAdaptiveScorer.MinServerTransactions)
                {
                    Assert.Null(reason.ServerNormal);
                    continue;
                }
                // The server's normal is the mean of that feature over its earlier non-alerting transactions.
                var index = FeatureSchema.IndexOf(reason.Feature);
                Assert.Equal(earlier.Count, reason.ServerTransactions);
                Assert.Equal(earlier.Average(e => (double)e.Features!.Values[index]), reason.ServerNormal!.Value, 3);
                explained++;
            }
        }
        Assert.True(explained > 0, "no alert was explained against the server's own traffic");
    }
}
