using TrafficSensor.Flows;
using TrafficSensor.Http;
using TrafficSensor.Output;
using TrafficSensor.Protocols;

namespace TrafficSensor.Http2;

/// <summary>
/// HTTP/2 as an application protocol of the seam: the probe takes a side that starts with the client
/// connection preface (h2c by prior knowledge) or with a server's SETTINGS frame; TLS hosts it by name ("http2", ALPN h2) and HTTP/1
/// after <c>101</c> with <c>Upgrade: h2c</c> (<see cref="IHttpUpgradeTarget"/>). Its sessions are
/// <see cref="Http2Connection"/>s whose transactions become <see cref="TransactionRecord"/>s with
/// <c>app_proto</c> "http2" (EVE <c>event_type</c> http, as Suricata writes them), scored like HTTP/1's.
/// Stateless across flows.
/// </summary>
public sealed class Http2Protocol : IAppProtocol
{
    public const string ProtocolName = "http2";

    public string Name => ProtocolName;

    /// <summary>
    /// The client preface, or the server's connection preface: a SETTINGS frame on stream 0 (some
    /// servers write it as soon as the connection opens, before the client's preface is captured).
    /// </summary>
    public ProbeResult Probe(ReadOnlySpan<byte> firstBytes, bool? fromLow, in FlowKey key)
    {
        var preface = Http2Preface.Client;
        var n = Math.Min(preface.Length, firstBytes.Length);
        if (firstBytes[..n].SequenceEqual(preface[..n])) return n < preface.Length ? ProbeResult.NeedMoreData : ProbeResult.Match;
        return ProbeServerSettings(firstBytes);
    }

    // 00 00 LL 04 00 00 00 00 00: at most 10 settings (6 bytes each), no flags (not an ACK), stream 0.
    private static ProbeResult ProbeServerSettings(ReadOnlySpan<byte> bytes)
    {
        ReadOnlySpan<byte> expected = [0, 0, 0, (byte)Http2FrameType.Settings, 0, 0, 0, 0, 0];
        var n = Math.Min(expected.Length, bytes.Length);
        for (var i = 0; i < n; i++)
        {
            if (i == 2)
            {
                if (bytes[2] % 6 != 0 || bytes[2] > 60) return ProbeResult.NoMatch;
                continue;
            }
            if (bytes[i] != expected[i]) return ProbeResult.NoMatch;
        }
        return n < expected.Length ? ProbeResult.NeedMoreData : ProbeResult.Match;
    }

    public IAppSession CreateSession(AppSessionContext context)
    {
        var options = context.Options;
        var counters = context.Counters as Http2Counters ?? new Http2Counters();
        return new Http2Connection(options.Http, options.Http2, context.InspectMemory, counters, new RecordSink(context));
    }

    public IProtocolCounters CreateCounters() => new Http2Counters();

    /// <summary>Turns a connection's transactions into records of the flow (flow worker's thread).</summary>
    private sealed class RecordSink(AppSessionContext context) : IHttpTransactionSink
    {
        public void OnTransaction(HttpTransaction transaction)
        {
            var flow = context.Flow;
            flow.SetClient(transaction.ClientIsLow);
            HttpSession.AttachTcpAnomalies(flow, transaction);
            context.Records.Emit(TransactionRecord.Create(flow.Facts(transaction.ClientIsLow), transaction, ProtocolName));
        }
    }
}
