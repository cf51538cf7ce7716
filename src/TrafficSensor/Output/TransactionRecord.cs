using TrafficSensor.Decoding;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Flows;
using TrafficSensor.Http;

namespace TrafficSensor.Output;

/// <summary>An HTTP transaction with the flow facts a log record needs, oriented client → server.</summary>
public sealed record TransactionRecord(
    HttpTransaction Transaction,
    long FlowId,
    string CommunityId,
    IpAddress ClientAddress,
    ushort ClientPort,
    IpAddress ServerAddress,
    ushort ServerPort,
    ushort Vlan,
    ushort InnerVlan)
{
    /// <summary>The transaction's features, when a model scores or training collects them.</summary>
    public FeatureVector? Features { get; init; }

    /// <summary>The anomaly model's verdict, when a model is in use.</summary>
    public Verdict? Verdict { get; init; }

    /// <summary>The suppression rule that matched the model's alert: the alert is not written, only counted.</summary>
    public string? SuppressedBy { get; init; }

    /// <summary>The flow's counters when the transaction completed (EVE's <c>flow</c> object).</summary>
    public FlowCounters? Flow { get; init; }

    /// <summary>The alert thread this transaction belongs to, set by <see cref="AlertThreads"/> for alerting transactions.</summary>
    public AlertThreadPosition? Thread { get; init; }

    public static TransactionRecord Create<TSession>(Flow<TSession> flow, HttpTransaction tx) where TSession : class
    {
        var key = flow.Key;
        return tx.ClientIsLow
            ? new TransactionRecord(tx, flow.FlowId, flow.CommunityId, key.LowAddress, key.LowPort, key.HighAddress, key.HighPort, key.Vlan, key.InnerVlan)
            {
                Flow = new FlowCounters(flow.PacketsFromLow, flow.PacketsFromHigh, flow.BytesFromLow, flow.BytesFromHigh, flow.StartMicros),
            }
            : new TransactionRecord(tx, flow.FlowId, flow.CommunityId, key.HighAddress, key.HighPort, key.LowAddress, key.LowPort, key.Vlan, key.InnerVlan)
            {
                Flow = new FlowCounters(flow.PacketsFromHigh, flow.PacketsFromLow, flow.BytesFromHigh, flow.BytesFromLow, flow.StartMicros),
            };
    }
}

/// <summary>Packets and TCP payload bytes of a flow so far, by direction, and when it started (EVE <c>flow.*</c>).</summary>
public readonly record struct FlowCounters(long PacketsToServer, long PacketsToClient, long BytesToServer, long BytesToClient, long StartMicros);

/// <summary>Where an alerting transaction stands in its thread: the thread's id, its running count and when the thread began.</summary>
public readonly record struct AlertThreadPosition(long Id, long Count, long FirstSeenMicros);

/// <summary>Where finished transactions go. Called from several worker threads at once.</summary>
public interface ITransactionOutput
{
    void Write(TransactionRecord record);
    void Flush();
}
