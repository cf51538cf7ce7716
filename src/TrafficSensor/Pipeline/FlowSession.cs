using TrafficSensor.Flows;
using TrafficSensor.Http;
using TrafficSensor.Output;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Pipeline;

/// <summary>What a worker keeps per flow: one reassembler per direction feeding the HTTP connection.</summary>
internal sealed class FlowSession : IHttpTransactionSink
{
    private readonly Flow<FlowSession> _flow;
    private readonly FlowWorker _worker;
    private readonly HttpServerRegistry _servers;

    public FlowSession(Flow<FlowSession> flow, FlowWorker worker, HttpServerRegistry servers)
    {
        _flow = flow;
        _worker = worker;
        _servers = servers;
        var key = flow.Key;
        var serverKnownForHttp = servers.Contains(key.LowAddress, key.LowPort) || servers.Contains(key.HighAddress, key.HighPort);
        Http = new HttpConnection(worker.Options.Http, worker.InspectMemory, worker.Http, this, serverKnownForHttp);
        Tcp = new TcpConnection(Http.FromLow, Http.FromHigh, worker.Options.Reassembly, worker.ReassemblyMemory, worker.Reassembly,
            worker.Options.Decoding.ChecksumValidation);
    }

    public HttpConnection Http { get; }
    public TcpConnection Tcp { get; }

    public void OnTransaction(HttpTransaction transaction)
    {
        _flow.SetClient(transaction.ClientIsLow, ClientEvidence.Content);
        if (transaction.Index == 0 && transaction.Request is not null)
        {
            var key = _flow.Key;
            if (transaction.ClientIsLow) _servers.Add(key.HighAddress, key.HighPort); else _servers.Add(key.LowAddress, key.LowPort);
        }
        AttachTcpAnomalies(transaction);
        _worker.Complete(TransactionRecord.Create(_flow, transaction));
    }

    public void Close(long timestampMicros)
    {
        Tcp.Flush(timestampMicros);
        Http.Close(timestampMicros);
    }

    /// <summary>
    /// TCP choices made since the previous transaction was written go on this one: they were made
    /// while its bytes were in flight (the decoy came before the request it tried to hide).
    /// </summary>
    private void AttachTcpAnomalies(HttpTransaction transaction)
    {
        var tcp = Tcp.TakeAnomalies();
        for (var bit = 0; tcp != TcpAnomalies.None && bit < 32; bit++)
        {
            var flag = (TcpAnomalies)(1 << bit);
            if ((tcp & flag) == 0) continue;
            tcp &= ~flag;
            transaction.Anomalies.Add(HttpAnomaly.TcpBadChecksum + bit);
        }
    }
}
