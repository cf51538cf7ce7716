using System.Collections.Concurrent;
using TrafficSensor.Output;
using TrafficSensor.Protocols;

namespace TrafficSensor.Tests.TestSupport;

/// <summary>An output that keeps every record of every protocol, in the order written.</summary>
public sealed class AllRecords : ITransactionOutput
{
    public readonly ConcurrentQueue<AppRecord> Records = new();
    public void Write(TransactionRecord record) => Records.Enqueue(record);
    public void Write(AppRecord record) => Records.Enqueue(record);
    public void Flush() { }
}
