using CsCheck;
using TrafficSensor.Capture;

namespace TrafficSensor.Tests.Capture;

public sealed class LiveCaptureTests
{
    [Fact]
    public void Counters_stay_monotonic_across_libpcap_32_bit_wraps()
    {
        // A sequence of increments, each below 2^32 between reads, as libpcap's u_int counters wrap.
        Gen.Long[0, uint.MaxValue].Array[1, 50].Sample(steps =>
        {
            long truth = 0, ours = 0;
            foreach (var step in steps)
            {
                truth += step;
                ours = LiveCapture.Unwrap(ours, (uint)truth);
                Assert.Equal(truth, ours);
            }
        });
    }

    [Fact]
    public void A_missing_interface_is_a_clear_error_that_lists_the_real_ones()
    {
        var e = Assert.Throws<CaptureException>(() => LiveCapture.Open(new SensorOptions().Capture with { Interface = "no-such-if0" }));
        Assert.Contains("no capture interface named 'no-such-if0'", e.Message);
        Assert.Contains("lo", e.Message);
    }

    [Fact]
    public void Interfaces_include_loopback()
    {
        var lo = Assert.Single(LiveCapture.ListInterfaces(), i => i.Name == "lo");
        Assert.True(lo.IsLoopback);
        Assert.Contains("127.0.0.1", lo.Addresses);
    }
}
