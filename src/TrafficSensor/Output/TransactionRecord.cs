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

    public static TransactionRecord Create<TSession>(Flow<TSession> flow, HttpTransaction tx) where TSession : class
    {
        var key = flow.Key;
        return tx.ClientIsLow
            ? new TransactionRecord(tx, flow.FlowId, flow.CommunityId, key.LowAddress, key.LowPort, key.HighAddress, key.HighPort, key.Vlan, key.InnerVlan)
            : new TransactionRecord(tx, flow.FlowId, flow.CommunityId, key.HighAddress, key.HighPort, key.LowAddress, key.LowPort, key.Vlan, key.InnerVlan);
    }
}

/// <summary>Where finished transactions go. Called from several worker threads at once.</summary>
public interface ITransactionOutput
{
    void Write(TransactionRecord record);
    void Flush();
}
