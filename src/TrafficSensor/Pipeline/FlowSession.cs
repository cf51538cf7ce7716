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
        FromLow = new TcpStreamReassembler(Http.FromLow, worker.Options.Reassembly, worker.ReassemblyMemory, worker.Reassembly);
        FromHigh = new TcpStreamReassembler(Http.FromHigh, worker.Options.Reassembly, worker.ReassemblyMemory, worker.Reassembly);
    }

    public HttpConnection Http { get; }
    public TcpStreamReassembler FromLow { get; }
    public TcpStreamReassembler FromHigh { get; }

    public void OnTransaction(HttpTransaction transaction)
    {
        _flow.SetClient(transaction.ClientIsLow, ClientEvidence.Content);
        if (transaction.Index == 0 && transaction.Request is not null)
        {
            var key = _flow.Key;
            if (transaction.ClientIsLow) _servers.Add(key.HighAddress, key.HighPort); else _servers.Add(key.LowAddress, key.LowPort);
        }
        _worker.Complete(TransactionRecord.Create(_flow, transaction));
    }

    public void Close(long timestampMicros)
    {
        FromLow.Flush(timestampMicros);
        FromHigh.Flush(timestampMicros);
        Http.Close(timestampMicros);
    }
}
