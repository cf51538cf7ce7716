using TrafficSensor.Decoding;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Http;
using TrafficSensor.Protocols;

namespace TrafficSensor.Output;

/// <summary>
/// An HTTP transaction (HTTP/1.x, or HTTP/2 with <see cref="AppRecord.AppProto"/> "http2") with the flow
/// facts a log record needs, oriented client → server: the one record type that features and
/// detection score.
/// </summary>
public sealed record TransactionRecord(
    HttpTransaction Transaction,
    long FlowId,
    string CommunityId,
    IpAddress ClientAddress,
    ushort ClientPort,
    IpAddress ServerAddress,
    ushort ServerPort,
    ushort Vlan,
    ushort InnerVlan) : AppRecord(HttpProtocol.ProtocolName, FlowId, CommunityId, ClientAddress, ClientPort, ServerAddress, ServerPort, Vlan, InnerVlan)
{
    /// <summary>An HTTP transaction of the flow <paramref name="facts"/> describes (see <see cref="IAppFlow.Facts"/>); HTTP/2's say <c>"http2"</c>.</summary>
    public static TransactionRecord Create(in AppFlowFacts facts, HttpTransaction tx, string appProto = HttpProtocol.ProtocolName) =>
        new(tx, facts.FlowId, facts.CommunityId, facts.ClientAddress, facts.ClientPort, facts.ServerAddress, facts.ServerPort, facts.Vlan, facts.InnerVlan)
        {
            AppProto = appProto,
            Flow = facts.Counters,
        };

    public override long TimestampMicros => Transaction.TimestampMicros;
    public override long? TransactionId => Transaction.Index;
    public override IEveSection Eve => HttpEveSection.Instance;

    /// <summary>The transaction's features, when a model scores or training collects them.</summary>
    public FeatureVector? Features { get; init; }

    /// <summary>The anomaly model's verdict, when a model is in use.</summary>
    public Verdict? Verdict { get; init; }

    /// <summary>The suppression rule that matched the model's alert: the alert is not written, only counted.</summary>
    public string? SuppressedBy { get; init; }

    /// <summary>The alert thread this transaction belongs to, set by <see cref="AlertThreads"/> for alerting transactions.</summary>
    public AlertThreadPosition? Thread { get; init; }
}

/// <summary>Where an alerting transaction stands in its thread: the thread's id, its running count and when the thread began.</summary>
public readonly record struct AlertThreadPosition(long Id, long Count, long FirstSeenMicros);

/// <summary>Where finished records go, in capture order. Called from several worker threads at once.</summary>
public interface ITransactionOutput
{
    void Write(TransactionRecord record);

    /// <summary>Any protocol's record; outputs that only know HTTP transactions get those and ignore the rest.</summary>
    void Write(AppRecord record)
    {
        if (record is TransactionRecord transaction) Write(transaction);
    }

    void Flush();

    /// <summary>
    /// Whether this output reads response bodies (<c>Transaction.Response.Body</c>), or any body beyond the alert
    /// excerpt (<c>EveOptions.BodyExcerptBytes</c> of the run's options). Without a model nothing else reads response
    /// bodies, so the pipeline then leaves them in the parser's buffer instead of copying each one out; and the flow
    /// workers keep every body in a pooled buffer only until they have measured it, handing on the excerpt alone.
    /// </summary>
    bool ReadsResponseBodies => false;
}
