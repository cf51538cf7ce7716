using System.Diagnostics;
using TrafficSensor;
using TrafficSensor.Decoding;
using TrafficSensor.Reassembly;

/// <summary>
/// Wall time of the hostile case from issue 10: N one-byte segments of one flow, all out of order
/// (the first byte is withheld, or every segment arrives in reverse order), with the default options.
/// A stopwatch run, not a BenchmarkDotNet job: one run of the quadratic case took minutes.
/// <c>dotnet run -c Release --project bench/TrafficSensor.Benchmarks -- out-of-order 300000 1000000</c>
/// </summary>
internal static class OutOfOrderMeasurement
{
    /// <summary>Per-segment costs added by issue 10: the TCP checksum and the retransmission fingerprint of a 1460-byte segment.</summary>
    private static void HashAndChecksum()
    {
        var payload = new byte[1460];
        new Random(1).NextBytes(payload);
        const int n = 2_000_000;
        ulong sink = 0;
        for (var round = 0; round < 2; round++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < n; i++) sink += InternetChecksum.Add((ulong)i, payload);
            var checksum = clock.Elapsed.TotalNanoseconds / n;
            clock.Restart();
            for (var i = 0; i < n; i++) sink += System.IO.Hashing.XxHash3.HashToUInt64(payload, i);
            var hash = clock.Elapsed.TotalNanoseconds / n;
            if (round == 1) Console.WriteLine($"1460-byte segment: checksum {checksum:F0} ns, XXH3 fingerprint {hash:F0} ns ({sink % 2})");
        }
    }

    /// <summary>The common case, for comparison: 1 GiB in order in 1460-byte segments through one reassembler.</summary>
    private static void InOrderThroughput()
    {
        var sink = new CountingSink();
        var r = new TcpStreamReassembler(sink, new ReassemblyOptions { MaxDepthPerDirection = 0 }, new MemoryBudget(1 << 30), new ReassemblyCounters());
        r.OnSegment(0, TcpFlags.Syn, default, 0, 0);
        var payload = new byte[1460];
        new Random(1).NextBytes(payload);
        var segments = (1 << 30) / payload.Length;
        var seq = 1u;
        for (var i = 0; i < 20_000; i++, seq += 1460) r.OnSegment(seq, TcpFlags.Ack, payload, payload.Length, i); // warm-up
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < segments; i++, seq += 1460) r.OnSegment(seq, TcpFlags.Ack, payload, payload.Length, i);
        clock.Stop();
        Console.WriteLine($"in order, 1 GiB in 1460-byte segments: {clock.Elapsed.TotalSeconds:F2} s, {(1 << 30) / clock.Elapsed.TotalSeconds / 1e9:F2} GB/s, {clock.Elapsed.TotalNanoseconds / segments:F0} ns/segment");
    }

    private sealed class CountingSink : ITcpStreamSink
    {
        public long Bytes, Gaps;
        public void OnData(ReadOnlySpan<byte> data, long ts) => Bytes += data.Length;
        public void OnGap(long length, long ts) => Gaps += length;
        public void OnEnd(long ts) { }
    }

    public static void Run(string[] counts)
    {
        HashAndChecksum();
        InOrderThroughput();
        foreach (var text in counts.Length > 0 ? counts : ["300000", "1000000"])
        {
            var n = int.Parse(text);
            foreach (var order in new[] { "hole-first", "reverse" })
            {
                var options = new ReassemblyOptions();
                var memory = new MemoryBudget(options.MemoryCapBytes);
                var counters = new ReassemblyCounters();
                var sink = new CountingSink();
                var r = new TcpStreamReassembler(sink, options, memory, counters);
                r.OnSegment(0, TcpFlags.Syn, default, 0, 0);
                ReadOnlySpan<byte> one = [(byte)'x'];
                var clock = Stopwatch.StartNew();
                if (order == "hole-first")
                {
                    for (var i = 1; i < n; i++) r.OnSegment(1 + (uint)i, TcpFlags.Ack, one, 1, i);
                    r.OnSegment(1, TcpFlags.Ack, one, 1, n);
                }
                else
                {
                    for (var i = n - 1; i >= 0; i--) r.OnSegment(1 + (uint)i, TcpFlags.Ack, one, 1, n - i);
                }
                var peak = memory.PeakBytes;
                r.Flush(n + 1);
                clock.Stop();
                Console.WriteLine($"{n,9:N0} one-byte segments, {order,-10}: {clock.Elapsed.TotalSeconds,8:F2} s, delivered {sink.Bytes:N0} B, gaps {sink.Gaps:N0} B, " +
                                  $"peak accounted {peak:N0} B ({(double)peak / Math.Max(1, n):F1} B/segment), memory-cap drops {counters.DroppedBytes[ReassemblyDrop.MemoryCap]:N0} B");
            }
        }
    }
}
