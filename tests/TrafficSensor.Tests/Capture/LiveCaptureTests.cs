using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using CsCheck;
using TrafficSensor.Capture;

namespace TrafficSensor.Tests.Capture;

[Collection("live capture")]
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

    [Theory]
    [InlineData(0)]  // decoded on the capture thread
    [InlineData(64)] // copied by the capture thread, decoded on the caller's
    public void Every_datagram_sent_on_loopback_reaches_the_handler_once_in_order_and_ticks_come_with_a_quiet_link(int handoffMegabytes)
    {
        const int Datagrams = 500, PayloadBytes = 200, Headers = 14 + 20 + 8; // lo is Ethernet to libpcap
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)receiver.Client.LocalEndPoint!).Port;
        var options = new SensorOptions().Capture with { Interface = "lo", Bpf = $"udp and dst port {port}", HandoffMegabytes = handoffMegabytes };
        using var capture = LiveCapture.Open(options);
        Assert.Equal(LinkType.Ethernet, capture.LinkType);

        var handler = new CollectingHandler();
        using var stop = new CancellationTokenSource();
        string? error = "not run";
        var reader = new Thread(() => error = capture.Run(handler, stop.Token)) { IsBackground = true };
        reader.Start();

        using (var sender = new UdpClient())
        {
            var payload = new byte[PayloadBytes];
            for (var i = 0; i < Datagrams; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(PayloadBytes - 4), i);
                sender.Send(payload, payload.Length, new IPEndPoint(IPAddress.Loopback, port));
            }
        }
        // Waits for what it checks, not for a fixed time: the assertions below hold on any machine.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((handler.Count < Datagrams || handler.Ticks < 3) && DateTime.UtcNow < deadline) Thread.Sleep(20);
        stop.Cancel();
        Assert.True(reader.Join(30_000), "the capture did not stop within 30 s of the request");

        Assert.Null(error);
        Assert.False(capture.IsRunning);
        Assert.Equal(Enumerable.Range(0, Datagrams), handler.Sequence);
        Assert.All(handler.Lengths, length => Assert.Equal(Headers + PayloadBytes, length));
        Assert.True(handler.Ticks >= 3, $"{handler.Ticks} ticks");
        Assert.True(capture.Counters.Received >= Datagrams, $"libpcap counted {capture.Counters.Received} received");
        Assert.True(handler.TimestampsNeverDecrease);
    }

    /// <summary>Collects what the capture delivers; called on one thread only (the one running the capture).</summary>
    private sealed class CollectingHandler : IFrameHandler
    {
        private readonly List<int> _sequence = new();
        private long _lastTimestamp;
        private volatile int _count, _ticks;
        public List<int> Lengths { get; } = new();
        public bool TimestampsNeverDecrease { get; private set; } = true;
        public int Count => _count;
        public int Ticks => _ticks;
        public IReadOnlyList<int> Sequence => _sequence;

        public void OnFrame(in CaptureFrame frame)
        {
            _sequence.Add(BinaryPrimitives.ReadInt32BigEndian(frame.Data[^4..]));
            Lengths.Add(frame.Data.Length);
            if (frame.TimestampMicros < _lastTimestamp) TimestampsNeverDecrease = false;
            _lastTimestamp = frame.TimestampMicros;
            _count++;
        }

        public void OnTick(long nowMicros) => _ticks++;
    }
}
