using TrafficSensor.Detection;
using TrafficSensor.Output;
using TrafficSensor.Protocols;

namespace TrafficSensor.Pipeline;

/// <summary>
/// Applies the configuration's suppression rules between the model and the outputs: an alerting
/// transaction that a rule matches goes on with its verdict's alert cleared and the rule's name in
/// <see cref="TransactionRecord.SuppressedBy"/>, so the alert writer skips it, the transaction log
/// says which rule suppressed it and the metrics count it by rule. Stateless: any worker may call it.
/// </summary>
public sealed class SuppressingOutput(SuppressionRules rules, ITransactionOutput next) : ITransactionOutput
{
    public void Write(TransactionRecord record)
    {
        if (record.Verdict is { Alert: true } verdict && rules.Rules.Count > 0)
        {
            var alert = new SuppressionRule.Alert(record.ServerAddress.ToIPAddress(), record.ServerPort, record.Transaction.Request?.Target,
                record.ClientAddress.ToIPAddress(), verdict.Reasons.Count > 0 ? verdict.Reasons[0].Feature : null, verdict.Detector);
            if (rules.Match(alert) is { } rule) record = record with { Verdict = verdict with { Alert = false }, SuppressedBy = rule };
        }
        next.Write(record);
    }

    /// <summary>Only transactions alert: other records pass as they are.</summary>
    public void Write(AppRecord record)
    {
        if (record is TransactionRecord transaction) Write(transaction);
        else next.Write(record);
    }

    public void Flush() => next.Flush();
}
