using System.Text.Json;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Cli;

/// <summary>Live tests measure timing and drops: they run alone, after the parallel tests.</summary>
[CollectionDefinition("live capture", DisableParallelization = true)]
public sealed class LiveCaptureCollection;

/// <summary>
/// The bounded load test: bench/live-load.sh replays the lab samples with tcpreplay at 200 Mbit/s for
/// 10 s over a veth pair in a private network namespace, with the sensor capturing on the far end:
/// every packet is either analysed or counted as dropped, on any machine.
/// </summary>
[Collection("live capture")]
public sealed class LiveLoadTests : IDisposable
{
    private readonly string _results = Path.Combine(Path.GetTempPath(), $"ts-live-load-{Guid.NewGuid():N}.jsonl");

    public void Dispose() => File.Delete(_results);

    [Fact]
    public void At_200_Mbit_per_s_the_books_balance_with_libpcap()
    {
        var script = Path.Combine(TestPaths.RepositoryRoot, "bench", "live-load.sh");
        var (code, output, err) = ExternalTool.Run("bash", [script, "samples", "10", "200"], timeoutSeconds: 180,
            environment: new Dictionary<string, string> { ["LIVE_LOAD_RESULTS"] = _results });
        Assert.True(code == 0, $"live-load.sh exited {code}\n{output}\n{err}");

        var row = JsonDocument.Parse(Assert.Single(File.ReadAllLines(_results))).RootElement;
        var sent = row.GetProperty("sent").GetInt64();
        var received = row.GetProperty("pcap_received").GetInt64();
        var processed = row.GetProperty("processed").GetInt64();
        var drops = row.GetProperty("kernel_drops").GetInt64();
        Assert.True(sent > 100_000, $"tcpreplay sent only {sent} packets:\n{output}");
        // Every packet sent is accounted for: processed by the sensor or dropped by the kernel, as libpcap counted.
        Assert.Equal(sent, received);
        Assert.Equal(received, processed + drops);
        // No bound on the drop rate: it depends on what else the machine runs (21 % was seen on a busy
        // CI machine). The rate is measured by bench/live-load.sh, not asserted here.
        Assert.True(row.GetProperty("transactions").GetInt64() > 1000, output);
    }
}
