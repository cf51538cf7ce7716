using TrafficSensor.Flows;
using TrafficSensor.Protocols;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Pipeline;

/// <summary>
/// What a worker keeps per flow: one reassembler per direction feeding the application layer, whose
/// protocol is chosen by content (<see cref="ProtocolDetector"/>); the flow as the protocol's session
/// sees it (<see cref="IAppFlow"/>) and where its records go. Owned by the flow worker's thread.
/// </summary>
internal sealed class FlowSession : IAppFlow, IAppRecordSink
{
    private readonly Flow<FlowSession> _flow;
    private readonly FlowWorker _worker;

    public FlowSession(Flow<FlowSession> flow, FlowWorker worker)
    {
        _flow = flow;
        _worker = worker;
        App = new ProtocolDetector(new AppSessionContext(this, worker.Options, worker.InspectMemory, this, worker.Protocols, worker.AppLayer));
        Tcp = new TcpConnection(App.FromLow, App.FromHigh, worker.Options.Reassembly, worker.ReassemblyMemory, worker.Reassembly,
            worker.Options.Decoding.ChecksumValidation);
    }

    public ProtocolDetector App { get; }
    public TcpConnection Tcp { get; }

    public FlowKey Key => _flow.Key;

    public AppFlowFacts Facts(bool clientIsLow)
    {
        var f = _flow;
        var key = f.Key;
        return clientIsLow
            ? new AppFlowFacts(f.FlowId, f.CommunityId, key.LowAddress, key.LowPort, key.HighAddress, key.HighPort, key.Vlan, key.InnerVlan,
                new FlowCounters(f.PacketsFromLow, f.PacketsFromHigh, f.BytesFromLow, f.BytesFromHigh, f.StartMicros))
            : new AppFlowFacts(f.FlowId, f.CommunityId, key.HighAddress, key.HighPort, key.LowAddress, key.LowPort, key.Vlan, key.InnerVlan,
                new FlowCounters(f.PacketsFromHigh, f.PacketsFromLow, f.BytesFromHigh, f.BytesFromLow, f.StartMicros));
    }

    public void SetClient(bool clientIsLow) => _flow.SetClient(clientIsLow, ClientEvidence.Content);

    public TcpAnomalies TakeTcpAnomalies() => Tcp.TakeAnomalies();

    public void Emit(AppRecord record)
    {
        _worker.AppLayer.RecordEmitted(record);
        _worker.Complete(record);
    }

    public void Close(long timestampMicros)
    {
        Tcp.Flush(timestampMicros);
        App.Close(timestampMicros);
    }
}
