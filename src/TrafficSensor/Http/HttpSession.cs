using TrafficSensor.Output;
using TrafficSensor.Protocols;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Http;

/// <summary>
/// One HTTP/1.x connection behind the seam: feeds an <see cref="HttpConnection"/> and turns its
/// transactions into <see cref="TransactionRecord"/>s carrying the flow's facts and the TCP choices
/// made while their bytes were in flight. After <c>101 Switching Protocols</c> with <c>Upgrade: h2c</c>
/// the rest of both streams goes to the registry's "http2" session when one is registered.
/// Owned by the flow worker's thread.
/// </summary>
public sealed class HttpSession : IAppSession, IHttpTransactionSink
{
    private readonly AppSessionContext _context;
    private readonly HttpServerRegistry _servers;

    public HttpSession(AppSessionContext context, HttpServerRegistry servers)
    {
        _context = context;
        _servers = servers;
        var key = context.Flow.Key;
        var serverKnownForHttp = servers.Contains(key.LowAddress, key.LowPort) || servers.Contains(key.HighAddress, key.HighPort);
        var counters = context.Counters as HttpCounters ?? new HttpCounters();
        Connection = new HttpConnection(context.Options.Http, context.InspectMemory, counters, this, serverKnownForHttp)
        {
            SwitchProtocol = name => name is null ? context.CreateDetector() : context.CreateInner(name),
        };
    }

    public HttpConnection Connection { get; }
    public ITcpStreamSink FromLow => Connection.FromLow;
    public ITcpStreamSink FromHigh => Connection.FromHigh;
    public bool Finished => Connection.Finished;

    public void Close(long timestampMicros) => Connection.Close(timestampMicros);

    public void OnTransaction(HttpTransaction transaction)
    {
        var flow = _context.Flow;
        flow.SetClient(transaction.ClientIsLow);
        if (transaction.Index == 0 && transaction.Request is not null)
        {
            var key = flow.Key;
            if (transaction.ClientIsLow) _servers.Add(key.HighAddress, key.HighPort); else _servers.Add(key.LowAddress, key.LowPort);
        }
        AttachTcpAnomalies(_context.Flow, transaction);
        _context.Records.Emit(TransactionRecord.Create(flow.Facts(transaction.ClientIsLow), transaction));
    }

    /// <summary>
    /// TCP choices made since the previous transaction was written go on this one: they were made
    /// while its bytes were in flight (the decoy came before the request it tried to hide).
    /// </summary>
    internal static void AttachTcpAnomalies(IAppFlow flow, HttpTransaction transaction)
    {
        var tcp = flow.TakeTcpAnomalies();
        for (var bit = 0; tcp != TcpAnomalies.None && bit < 32; bit++)
        {
            var flag = (TcpAnomalies)(1 << bit);
            if ((tcp & flag) == 0) continue;
            tcp &= ~flag;
            transaction.Anomalies.Add(HttpAnomaly.TcpBadChecksum + bit);
        }
    }
}
