using CsCheck;
using TrafficSensor.Decoding;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;
using TrafficSensor.Protocols;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Pipeline;

public sealed class OutputStageTests
{
    private sealed record NumberedRecord(long Number)
        : AppRecord("test", Number, "", IpAddress.FromV4([192, 0, 2, 1]), 1, IpAddress.FromV4([192, 0, 2, 2]), 2, 0, 0)
    {
        public override long TimestampMicros => Number;
        // Never serialised: these outputs only collect or count records.
        public override IEveSection Eve => throw new NotSupportedException();
    }

    /// <summary>Blocks every write until released: the output thread stalls as on a full disk.</summary>
    private sealed class StalledOutput : ITransactionOutput
    {
        public readonly ManualResetEventSlim Released = new();
        public int Written;
        public void Write(TransactionRecord record) => Write((AppRecord)record);
        public void Write(AppRecord record)
        {
            Released.Wait();
            Interlocked.Increment(ref Written);
        }
        public void Flush() { }
    }

    [Fact]
    public void Every_record_is_written_once_in_the_order_it_was_added_however_the_batches_are_cut()
    {
        // Records, each followed (or not) by a hand-over, as the analysis thread does before it sleeps.
        Gen.Select(Gen.Int[1, 500], Gen.Bool.Array[500]).Sample((count, handAfter) =>
        {
            var output = new AllRecords();
            var stage = new OutputStage(output);
            var writer = new Thread(stage.Run) { IsBackground = true };
            writer.Start();
            for (var i = 0; i < count; i++)
            {
                stage.Add(new NumberedRecord(i));
                if (handAfter[i]) stage.Hand();
            }
            stage.Complete();
            Assert.True(writer.Join(TimeSpan.FromMinutes(1)), "the output thread did not finish");
            Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), output.Records.Select(r => ((NumberedRecord)r).Number));
            Assert.NotNull(stage.FirstWritten);
        }, iter: 200);
    }

    [Fact]
    public void A_stalled_output_holds_the_analysis_back_at_the_queue_bound()
    {
        var output = new StalledOutput();
        var stage = new OutputStage(output);
        var writer = new Thread(stage.Run) { IsBackground = true };
        writer.Start();
        var added = 0;
        var analysis = new Thread(() =>
        {
            for (var i = 0; i < 100 * OutputStage.BatchSize * OutputStage.QueuedBatches; i++)
            {
                stage.Add(new NumberedRecord(i));
                Interlocked.Increment(ref added);
            }
            stage.Complete();
        }) { IsBackground = true };
        analysis.Start();

        // The analysis thread stops once the queue is full: the batches queued, the one the output thread holds
        // and the one being filled; it never runs ahead by more.
        var bound = (OutputStage.QueuedBatches + 2) * OutputStage.BatchSize;
        SpinWait.SpinUntil(() => analysis.ThreadState.HasFlag(ThreadState.WaitSleepJoin) && Volatile.Read(ref added) >= OutputStage.QueuedBatches * OutputStage.BatchSize,
            TimeSpan.FromMinutes(1));
        Assert.InRange(Volatile.Read(ref added), OutputStage.QueuedBatches * OutputStage.BatchSize, bound);
        Assert.Null(stage.FirstWritten);

        output.Released.Set();
        Assert.True(analysis.Join(TimeSpan.FromMinutes(1)) && writer.Join(TimeSpan.FromMinutes(1)), "the stages did not finish");
        Assert.Equal(100 * OutputStage.BatchSize * OutputStage.QueuedBatches, output.Written);
    }
}
