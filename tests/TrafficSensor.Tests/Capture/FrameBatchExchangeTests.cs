using CsCheck;
using TrafficSensor.Capture;

namespace TrafficSensor.Tests.Capture;

/// <summary>The live capture's hand-off: every frame arrives once, in order, byte for byte, within a fixed memory bound.</summary>
public sealed class FrameBatchExchangeTests
{
    [Fact]
    public void Frames_cross_threads_in_capture_order_byte_for_byte_and_ticks_follow_their_frames()
    {
        // Frames of any size up to the batch's capacity, some batches ending with a tick; a slow consumer.
        Gen.Int[0, 3000].Array[1, 400].Sample(lengths =>
        {
            var exchange = new FrameBatchExchange(batchBytes: 4096, batchFrames: 16, batchLimit: 3);
            var producer = new Thread(() =>
            {
                var batch = exchange.Rent(Timeout.Infinite)!;
                for (var i = 0; i < lengths.Length; i++)
                {
                    if (!batch.Fits(lengths[i]))
                    {
                        exchange.Publish(batch);
                        batch = exchange.Rent(Timeout.Infinite)!;
                    }
                    batch.Append(FrameBytes(i, lengths[i]), lengths[i] + 7, timestampMicros: 1_000_000 + i);
                    if (i % 37 == 36)
                    {
                        batch.TickMicros = i;
                        exchange.Publish(batch);
                        batch = exchange.Rent(Timeout.Infinite)!;
                    }
                }
                exchange.Publish(batch);
                exchange.Complete();
            });
            producer.Start();

            var next = 0;
            var ticks = new List<long>();
            while (exchange.Take(out var batch))
            {
                for (var f = 0; f < batch.Count; f++)
                {
                    var frame = batch.Frame(f, LinkType.Ethernet);
                    Assert.Equal(1_000_000 + next, frame.TimestampMicros);
                    Assert.Equal(lengths[next] + 7, frame.OriginalLength);
                    Assert.True(frame.Data.SequenceEqual(FrameBytes(next, lengths[next])));
                    next++;
                }
                if (batch.TickMicros is { } tick)
                {
                    Assert.Equal(next - 1, tick); // the tick comes after the frame it followed, never before
                    ticks.Add(tick);
                }
                exchange.Return(batch);
            }
            producer.Join();
            Assert.Equal(lengths.Length, next);
            Assert.Equal(lengths.Length / 37, ticks.Count);
            Assert.True(exchange.Created <= 3, $"{exchange.Created} batches created for a limit of 3");
        }, iter: 30);
    }

    [Fact]
    public void A_producer_waits_when_every_batch_is_in_flight_and_goes_on_when_one_returns()
    {
        var exchange = new FrameBatchExchange(batchBytes: 1024, batchFrames: 4, batchLimit: 2);
        var first = exchange.Rent(0)!;
        var second = exchange.Rent(0)!;
        exchange.Publish(first);
        exchange.Publish(second);
        Assert.Null(exchange.Rent(0)); // the memory bound: no third buffer
        Assert.Null(exchange.Rent(20));
        Assert.Equal(2, exchange.Pending);

        Assert.True(exchange.Take(out var taken));
        Assert.Same(first, taken);
        exchange.Return(taken);
        Assert.Same(first, exchange.Rent(0));
        Assert.Equal(2, exchange.Created);
    }

    [Fact]
    public void A_consumer_that_gives_up_releases_a_waiting_producer()
    {
        var exchange = new FrameBatchExchange(batchBytes: 1024, batchFrames: 4, batchLimit: 2);
        exchange.Publish(exchange.Rent(0)!);
        exchange.Publish(exchange.Rent(0)!);
        CapturedFrameBatch? rented = new(1, 1);
        var producer = new Thread(() => rented = exchange.Rent(Timeout.Infinite));
        producer.Start();
        Thread.Sleep(50);
        exchange.Abandon();
        Assert.True(producer.Join(10_000), "the producer still waits after the consumer gave up");
        Assert.Null(rented);
        Assert.True(exchange.IsAbandoned);
        Assert.Equal(0, exchange.Pending);
    }

    [Fact]
    public void Take_returns_false_only_after_completion_and_every_queued_batch()
    {
        var exchange = new FrameBatchExchange(batchBytes: 1024, batchFrames: 4, batchLimit: 4);
        var batch = exchange.Rent(0)!;
        batch.Append([1, 2, 3], 3, 42);
        exchange.Publish(batch);
        exchange.Complete();
        Assert.True(exchange.Take(out var taken));
        Assert.Equal(1, taken.Count);
        Assert.False(exchange.Take(out _));
    }

    [Fact]
    public void A_batch_refuses_a_frame_beyond_its_bytes_or_frame_slots()
    {
        var batch = new CapturedFrameBatch(bytes: 100, maxFrames: 2);
        Assert.True(batch.Fits(100));
        Assert.False(batch.Fits(101));
        batch.Append(new byte[60], 60, 1);
        Assert.False(batch.Fits(41));
        Assert.True(batch.Fits(40));
        batch.Append(new byte[10], 10, 2);
        Assert.False(batch.Fits(0)); // no frame slot left
        batch.Clear();
        Assert.True(batch.IsEmpty);
        Assert.True(batch.Fits(100));
    }

    private static byte[] FrameBytes(int index, int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++) bytes[i] = (byte)(index * 31 + i);
        return bytes;
    }
}
