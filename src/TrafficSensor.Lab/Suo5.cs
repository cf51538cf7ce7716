using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using static TrafficSensor.Lab.Operators;

namespace TrafficSensor.Lab;

/// <summary>
/// suo5's HTTP tunnel: frames [length:4 BE][xor key:1][map xor key], the map being entries
/// [key length:1][key][value length:4 BE][value] with ac (0 create, 1 data, 2 delete, 3 status), id,
/// h/p (target) and dt (data). Full duplex streams frames both ways in one chunked POST; half duplex
/// streams the answers of one POST and writes through short POSTs. The lab's tunnel never connects
/// anywhere: its emulator answers with an SSH banner and filler.
/// </summary>
public static class Suo5
{
    public static byte[] Frame(Random random, Dictionary<string, byte[]> map)
    {
        var ms = new MemoryStream();
        var len = new byte[4];
        foreach (var (k, v) in map)
        {
            ms.WriteByte((byte)k.Length);
            ms.Write(Encoding.ASCII.GetBytes(k));
            BinaryPrimitives.WriteInt32BigEndian(len, v.Length);
            ms.Write(len);
            ms.Write(v);
        }
        var body = ms.ToArray();
        var key = (byte)random.Next(1, 256);
        var frame = new byte[5 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        frame[4] = key;
        for (var i = 0; i < body.Length; i++) frame[5 + i] = (byte)(body[i] ^ key);
        return frame;
    }

    public static async Task Run(LabContext ctx, LabClient client, Random random, bool fullDuplex)
    {
        var tag = fullDuplex ? "suo5/full" : "suo5/half";
        var server = ctx.Weblogic;
        var path = $"/erp/static/{new[] { "suo5", "check", "status", "health", "api" }[random.Next(5)]}{random.Next(10, 99)}.jsp";
        // The tunnel page is dropped through the application's upload like the other Java shells.
        var form = FormParts.Create($"----WebKitFormBoundary{RandomPrintable(random, 16)}");
        FormParts.Add(form, new StringContent("/erp/static"), "dir");
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes("<%@ page import=\"java.nio.ByteBuffer,java.io.*,java.net.*,java.util.*\" %><%! /* suo5 tunnel: application/plain chunked frames */ %>"));
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        FormParts.Add(form, file, "file", path[(path.LastIndexOf('/') + 1)..]);
        await client.SendAsync(server, HttpMethod.Post, "/erp/upload.jsp", tag, "upload", form, [("Accept", "text/html,*/*")]);
        await ctx.Think(random, 2);
        // suo5 checks the page answers before it tunnels.
        await client.SendAsync(server, HttpMethod.Get, path, tag, "first_contact", headers: [("Accept-Encoding", "gzip")]);
        await ctx.Resume(client);
        var sessions = ctx.SessionRequests > 0 ? Math.Max(1, ctx.SessionRequests / 20) : 2 + random.Next(2);
        for (var s = 0; s < sessions; s++)
        {
            var id = Encoding.ASCII.GetBytes(RandomPrintable(random, 8));
            var target = $"10.10.{random.Next(1, 5)}.{random.Next(2, 250)}";
            var port = new[] { 22, 3389, 445, 3306, 80 }[random.Next(5)];
            var exchanges = ctx.SessionRequests > 0 ? Math.Min(60, Math.Max(4, ctx.SessionRequests / 5)) : 4 + random.Next(10);
            var create = Frame(random, new() { ["ac"] = [0], ["id"] = id, ["h"] = Encoding.ASCII.GetBytes(target), ["p"] = Encoding.ASCII.GetBytes(port.ToString()), ["m"] = [(byte)(fullDuplex ? 0 : 1)] });
            if (fullDuplex)
                await FullDuplex(ctx, client, random, server, path, tag, id, create, exchanges);
            else
                await HalfDuplex(ctx, client, random, server, path, tag, id, create, exchanges);
            await ctx.Think(random, 3);
        }
    }

    private static async Task FullDuplex(LabContext ctx, LabClient client, Random random, LabServer server, string path, string tag, byte[] id, byte[] create, int exchanges)
    {
        using var tunnel = await Tunnel.Open(client, server);
        client.WriteRaw(server, tunnel.LocalPort, "POST", path, tag, "tunnel_connect", DateTime.UtcNow);
        await tunnel.WriteHead(server, path, client.UserAgent, chunked: true, contentLength: 0);
        await tunnel.WriteChunk(create);
        await tunnel.ReadHead();
        await tunnel.ReadFrame(); // status
        for (var i = 0; i < exchanges; i++)
        {
            var data = new byte[16 + random.Next(300)];
            random.NextBytes(data);
            await tunnel.WriteChunk(Frame(random, new() { ["ac"] = [1], ["id"] = id, ["dt"] = data }));
            await tunnel.ReadFrame();
            await Task.Delay(TimeSpan.FromMilliseconds((100 + random.Next(400)) / ctx.Speed));
        }
        await tunnel.WriteChunk(Frame(random, new() { ["ac"] = [2], ["id"] = id }));
        await tunnel.WriteChunk([]);
        await tunnel.ReadToEnd();
    }

    private static async Task HalfDuplex(LabContext ctx, LabClient client, Random random, LabServer server, string path, string tag, byte[] id, byte[] create, int exchanges)
    {
        using var tunnel = await Tunnel.Open(client, server);
        client.WriteRaw(server, tunnel.LocalPort, "POST", path, tag, "tunnel_connect", DateTime.UtcNow);
        await tunnel.WriteHead(server, path, client.UserAgent, chunked: false, contentLength: create.Length);
        await tunnel.Write(create);
        await tunnel.ReadHead();
        await tunnel.ReadFrame(); // status
        (string, string)[] headers = [("Accept-Encoding", "gzip")];
        for (var i = 0; i < exchanges; i++)
        {
            var data = new byte[16 + random.Next(300)];
            random.NextBytes(data);
            await client.SendAsync(server, HttpMethod.Post, path, tag, "tunnel_forward", Raw(Frame(random, new() { ["ac"] = [1], ["id"] = id, ["dt"] = data }), "application/plain"), headers);
            await tunnel.ReadFrame();
            await Task.Delay(TimeSpan.FromMilliseconds((100 + random.Next(400)) / ctx.Speed));
        }
        await client.SendAsync(server, HttpMethod.Post, path, tag, "tunnel_disconnect", Raw(Frame(random, new() { ["ac"] = [2], ["id"] = id }), "application/plain"), headers);
        await tunnel.ReadToEnd();
    }

    /// <summary>One HTTP/1.1 exchange on its own socket, so request and answer can stream at the same time.</summary>
    private sealed class Tunnel(Socket socket, Stream stream) : IDisposable
    {
        private readonly Stream _stream = stream;
        private readonly MemoryStream _pending = new();
        private bool _chunked;
        private bool _ended;
        public int LocalPort => ((IPEndPoint)socket.LocalEndPoint!).Port;

        public static async Task<Tunnel> Open(LabClient client, LabServer server)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Bind(new IPEndPoint(client.Source, 0));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(new IPEndPoint(server.Address, server.Port), timeout.Token);
            var network = new NetworkStream(socket, ownsSocket: true);
            if (!server.Tls) return new Tunnel(socket, network);
            // Over HTTPS: the lab's self-signed certificate, SNI from the Host header, HTTP/1.1 by ALPN.
            var tls = new SslStream(network, leaveInnerStreamOpen: false, static (_, _, _, _) => true);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = server.Host.Split(':')[0],
                ApplicationProtocols = [SslApplicationProtocol.Http11],
                CipherSuitesPolicy = client.CipherSuites,
            }, timeout.Token);
            return new Tunnel(socket, tls);
        }

        public Task WriteHead(LabServer server, string path, string agent, bool chunked, int contentLength) =>
            Write(Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: {server.Host}\r\nUser-Agent: {agent}\r\nContent-Type: application/plain\r\n" +
                (chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {contentLength}\r\n") + "Accept-Encoding: gzip\r\n\r\n"));

        public async Task Write(byte[] data) { await _stream.WriteAsync(data); await _stream.FlushAsync(); }

        public Task WriteChunk(byte[] data) => data.Length == 0
            ? Write("0\r\n\r\n"u8.ToArray())
            : Write([.. Encoding.ASCII.GetBytes($"{data.Length:x}\r\n"), .. data, .. "\r\n"u8.ToArray()]);

        private async Task<string> ReadLine()
        {
            var line = new StringBuilder();
            var one = new byte[1];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                if (await _stream.ReadAsync(one, timeout.Token) == 0) throw new IOException("suo5: connection closed");
                if (one[0] == '\n') return line.ToString().TrimEnd('\r');
                line.Append((char)one[0]);
            }
        }

        public async Task ReadHead()
        {
            var status = await ReadLine();
            if (!status.StartsWith("HTTP/1.1 200")) throw new IOException("suo5: " + status);
            for (var line = await ReadLine(); line.Length > 0; line = await ReadLine())
                if (line.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) && line.Contains("chunked")) _chunked = true;
        }

        /// <summary>Reads chunks until one whole frame is buffered, and drops it.</summary>
        public async Task ReadFrame()
        {
            while (!_ended)
            {
                var buffered = _pending.ToArray();
                if (buffered.Length >= 4 && (uint)BinaryPrimitives.ReadInt32BigEndian(buffered) > 1 << 20) throw new IOException("suo5: bad frame length");
                if (buffered.Length >= 5 && buffered.Length >= 5 + BinaryPrimitives.ReadInt32BigEndian(buffered))
                {
                    var used = 5 + BinaryPrimitives.ReadInt32BigEndian(buffered);
                    _pending.SetLength(0);
                    _pending.Write(buffered, used, buffered.Length - used);
                    return;
                }
                await ReadChunk();
            }
        }

        private async Task ReadChunk()
        {
            if (!_chunked) throw new IOException("suo5: answer is not chunked");
            var size = Convert.ToInt32((await ReadLine()).Split(';')[0].Trim(), 16);
            if (size == 0) { await ReadLine(); _ended = true; return; }
            var data = new byte[size];
            await _stream.ReadExactlyAsync(data);
            await ReadLine();
            _pending.Write(data);
        }

        public async Task ReadToEnd() { while (!_ended) await ReadChunk(); }

        public void Dispose() => _stream.Dispose();
    }
}
