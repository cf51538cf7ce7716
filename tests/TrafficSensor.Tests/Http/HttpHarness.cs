using System.Text;
using TrafficSensor.Decoding;
using TrafficSensor.Http;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Tests.Http;

/// <summary>Feeds byte streams to an <see cref="HttpConnection"/> (client = low side) and collects its transactions.</summary>
internal sealed class HttpHarness : IHttpTransactionSink
{
    public readonly List<HttpTransaction> Transactions = new();
    public readonly HttpCounters Counters = new();
    public readonly HttpConnection Connection;

    public HttpHarness(HttpOptions? options = null, bool serverKnownForHttp = false) =>
        Connection = new HttpConnection(options ?? new HttpOptions(), new MemoryBudget(64 << 20), Counters, this, serverKnownForHttp);

    public void OnTransaction(HttpTransaction transaction) => Transactions.Add(transaction);

    public HttpHarness Client(string text, int chunk = int.MaxValue) => Feed(Connection.FromLow, Bytes(text), chunk);
    public HttpHarness Server(string text, int chunk = int.MaxValue) => Feed(Connection.FromHigh, Bytes(text), chunk);
    public HttpHarness Client(byte[] data) => Feed(Connection.FromLow, data, int.MaxValue);
    public HttpHarness Server(byte[] data) => Feed(Connection.FromHigh, data, int.MaxValue);
    public HttpHarness ClientGap(int n) { Connection.FromLow.OnGap(n, 0); return this; }
    public HttpHarness ServerGap(int n) { Connection.FromHigh.OnGap(n, 0); return this; }

    public List<HttpTransaction> Close()
    {
        Connection.Close(0);
        return Transactions;
    }

    public static byte[] Bytes(string s) => Encoding.Latin1.GetBytes(s);

    private HttpHarness Feed(ITcpStreamSink sink, byte[] data, int chunk)
    {
        for (var o = 0; o < data.Length; o += chunk) sink.OnData(data.AsSpan(o, Math.Min(chunk, data.Length - o)), 0);
        return this;
    }

    /// <summary>The comparable shape of a transaction.</summary>
    public static string Describe(HttpTransaction t) =>
        $"{t.Request?.Method} {t.Request?.Target} {t.Request?.BodyLength} -> {t.Response?.Status} {t.Response?.BodyLength} " +
        $"[{string.Join(",", t.Parameters.Select(p => p.Source + ":" + p.Name + "=" + p.Value))}] " +
        $"req=\"{(t.Request?.Body is { } rb ? Encoding.Latin1.GetString(rb) : "")}\" resp=\"{(t.Response?.Body is { } sb ? Encoding.Latin1.GetString(sb) : "")}\" " +
        $"{{{string.Join(",", t.AllAnomalies.Names())}}}";

    /// <summary>Feeds both streams through real TCP reassemblers as arbitrary segments (shuffled, duplicated).</summary>
    public static List<HttpTransaction> ThroughTcp(byte[] client, byte[] server, Random random, int maxSegment, int duplicates)
    {
        var harness = new HttpHarness();
        FeedThroughTcp(harness.Connection.FromLow, harness.Connection.FromHigh, client, server, random, maxSegment, duplicates);
        return harness.Close();
    }

    /// <summary>
    /// Sends the client's and the server's bytes to <paramref name="fromLow"/> and <paramref name="fromHigh"/> through
    /// real TCP reassemblers, as segments of random size in random order with random overlapping duplicates.
    /// </summary>
    public static void FeedThroughTcp(ITcpStreamSink fromLow, ITcpStreamSink fromHigh, byte[] client, byte[] server, Random random, int maxSegment, int duplicates)
    {
        var counters = new ReassemblyCounters();
        var memory = new MemoryBudget(64 << 20);
        var fromClient = new TcpStreamReassembler(fromLow, new ReassemblyOptions(), memory, counters);
        var fromServer = new TcpStreamReassembler(fromHigh, new ReassemblyOptions(), memory, counters);
        fromClient.OnSegment(100, TcpFlags.Syn, default, 0, 0);
        fromServer.OnSegment(900, TcpFlags.Syn | TcpFlags.Ack, default, 0, 0);
        Send(fromClient, 101, client, random, maxSegment, duplicates);
        Send(fromServer, 901, server, random, maxSegment, duplicates);
        fromClient.Flush(0);
        fromServer.Flush(0);
    }

    private static void Send(TcpStreamReassembler r, uint isn, byte[] data, Random random, int maxSegment, int duplicates)
    {
        var segments = new List<(int Offset, int Length)>();
        for (var o = 0; o < data.Length;)
        {
            var n = Math.Min(random.Next(1, maxSegment + 1), data.Length - o);
            segments.Add((o, n));
            o += n;
        }
        for (var i = 0; i < duplicates && data.Length > 0; i++)
        {
            var start = random.Next(data.Length);
            segments.Add((start, random.Next(1, Math.Min(maxSegment * 2, data.Length - start) + 1)));
        }
        foreach (var (offset, length) in segments.OrderBy(_ => random.Next()))
            r.OnSegment(isn + (uint)offset, TcpFlags.Ack, data.AsSpan(offset, length), length, 0);
    }
}
