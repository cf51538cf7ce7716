using System.Net;
using static TrafficSensor.Tests.TestSupport.PacketFactory;

namespace TrafficSensor.Tests.TestSupport;

/// <summary>
/// Produces the IP packets of a TCP connection: handshake, the given exchanges (each direction cut
/// into segments of at most <c>mss</c> bytes, acknowledged by the peer), and an orderly close.
/// </summary>
public sealed class TcpConversation(IPAddress client, ushort clientPort, IPAddress server, ushort serverPort, int mss = 1460)
{
    private readonly List<(bool FromClient, byte[] Data)> _exchanges = new();
    public uint ClientIsn { get; init; } = 1000;
    public uint ServerIsn { get; init; } = 5000;
    public bool Handshake { get; init; } = true;
    public bool Close { get; init; } = true;

    public TcpConversation Client(string text) => Client(System.Text.Encoding.Latin1.GetBytes(text));
    public TcpConversation Server(string text) => Server(System.Text.Encoding.Latin1.GetBytes(text));
    public TcpConversation Client(byte[] data) { _exchanges.Add((true, data)); return this; }
    public TcpConversation Server(byte[] data) { _exchanges.Add((false, data)); return this; }

    /// <summary>The packets in order, as IP datagrams.</summary>
    public List<byte[]> Packets()
    {
        var packets = new List<byte[]>();
        uint cseq = ClientIsn, sseq = ServerIsn;
        ushort id = 1;
        if (Handshake)
        {
            packets.Add(TcpSegment(client, clientPort, server, serverPort, cseq, 0, Tcp.Syn, default, id++));
            packets.Add(TcpSegment(server, serverPort, client, clientPort, sseq, cseq + 1, Tcp.Syn | Tcp.Ack, default, id++));
            cseq++; sseq++;
            packets.Add(TcpSegment(client, clientPort, server, serverPort, cseq, sseq, Tcp.Ack, default, id++));
        }
        foreach (var (fromClient, data) in _exchanges)
        {
            for (var o = 0; o < data.Length; o += mss)
            {
                var piece = data.AsSpan(o, Math.Min(mss, data.Length - o));
                if (fromClient)
                {
                    packets.Add(TcpSegment(client, clientPort, server, serverPort, cseq, sseq, Tcp.Ack | Tcp.Psh, piece, id++));
                    cseq += (uint)piece.Length;
                    packets.Add(TcpSegment(server, serverPort, client, clientPort, sseq, cseq, Tcp.Ack, default, id++));
                }
                else
                {
                    packets.Add(TcpSegment(server, serverPort, client, clientPort, sseq, cseq, Tcp.Ack | Tcp.Psh, piece, id++));
                    sseq += (uint)piece.Length;
                    packets.Add(TcpSegment(client, clientPort, server, serverPort, cseq, sseq, Tcp.Ack, default, id++));
                }
            }
        }
        if (Close)
        {
            packets.Add(TcpSegment(client, clientPort, server, serverPort, cseq, sseq, Tcp.Fin | Tcp.Ack, default, id++));
            packets.Add(TcpSegment(server, serverPort, client, clientPort, sseq, cseq + 1, Tcp.Fin | Tcp.Ack, default, id++));
            packets.Add(TcpSegment(client, clientPort, server, serverPort, cseq + 1, sseq + 1, Tcp.Ack, default, id++));
        }
        return packets;
    }
}
