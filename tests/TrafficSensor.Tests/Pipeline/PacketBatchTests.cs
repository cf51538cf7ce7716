using CsCheck;
using TrafficSensor.Decoding;
using TrafficSensor.Flows;
using TrafficSensor.Pipeline;

namespace TrafficSensor.Tests.Pipeline;

/// <summary>
/// A batch copies its packets' payloads back to back into one buffer it keeps while recycled: every payload
/// reads back exactly, whatever the sizes (empty, ordinary, offload "super frames"), batch after batch.
/// </summary>
public class PacketBatchTests
{
    [Fact]
    public void Every_payload_reads_back_exactly_across_reuses_of_the_batch()
    {
        var size = Gen.Frequency((4, Gen.Int[0, 1460]), (1, Gen.Const(0)), (1, Gen.Int[1461, 65535]), (1, Gen.Int[1 << 20, (1 << 20) + 70_000]));
        var key = default(FlowKey);
        size.Array[1, 16].Array[1, 6].Sample(rounds =>
        {
            var batch = new PacketBatch(16); // one per sample: samples run in parallel
            var random = new Random(rounds.Length);
            foreach (var sizes in rounds)
            {
                var payloads = sizes.Select(n => { var p = new byte[n]; random.NextBytes(p); return p; }).ToArray();
                for (var i = 0; i < payloads.Length; i++)
                {
                    var packet = new DecodedPacket { Payload = payloads[i], Sequence = (uint)i };
                    batch.Add(i + 1, packet, key, fromLow: true);
                }
                Assert.Equal(payloads.Length, batch.Count);
                for (var i = 0; i < payloads.Length; i++)
                {
                    Assert.Equal((uint)i, batch.Items[i].Sequence);
                    Assert.True(payloads[i].AsSpan().SequenceEqual(batch.PayloadOf(batch.Items[i])), $"payload {i} of {payloads.Length}");
                }
                batch.Clear();
                Assert.Equal(0, batch.Count);
                // A batch that held super frames gives its large buffer back instead of keeping it while recycled.
                Assert.True(batch.Payloads.Length <= 1 << 20);
            }
        }, iter: 60);
    }
}
