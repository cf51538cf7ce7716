using TrafficSensor.Flows;
using TrafficSensor.Http;
using TrafficSensor.Output;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Pipeline;

/// <summary>What a worker keeps per flow: one reassembler per direction feeding the HTTP connection.</summary>
internal sealed class FlowSession : IHttpTransactionSink
{
    private readonly Flow<FlowSession> _flow;
    private readonly ITransactionOutput _output;
    private readonly HttpServerRegistry _servers;
    private readonly TransactionAnalyzer? _analyzer;

    public FlowSession(Flow<FlowSession> flow, FlowWorker worker, HttpServerRegistry servers)
    {
        _flow = flow;
        _output = worker.Output;
        _analyzer = worker.Analyzer;
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
        var record = TransactionRecord.Create(_flow, transaction);
        if (_analyzer is not null) record = _analyzer.Analyze(record);
        _output.Write(record);
    }

    public void Close(long timestampMicros)
    {
        FromLow.Flush(timestampMicros);
        FromHigh.Flush(timestampMicros);
        Http.Close(timestampMicros);
    }
}
