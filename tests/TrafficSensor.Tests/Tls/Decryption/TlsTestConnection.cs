using System.Buffers;
using System.Buffers.Binary;
using TrafficSensor.Capture;
using TrafficSensor.Decoding;
using TrafficSensor.Tls.Decryption;

namespace TrafficSensor.Tests.Tls.Decryption;

/// <summary>One TLS record as framed from a direction's stream (test-only framing: the sensor's own is the tls helper's).</summary>
public sealed record TestRecord(bool FromClient, byte Type, byte[] Fragment);

/// <summary>What a test drive of the decryptor produced.</summary>
public sealed class DecryptionResult
{
    public List<byte> ClientApplicationData { get; } = [];
    public List<byte> ServerApplicationData { get; } = [];
    /// <summary>Decrypted handshake messages (TLS 1.3 EncryptedExtensions ... Finished, KeyUpdate, tickets), per direction.</summary>
    public List<byte> ClientHandshake { get; } = [];
    public List<byte> ServerHandshake { get; } = [];
    public List<(bool FromClient, byte InnerType, TlsDecryptOutcome Outcome, TlsDecryptFailure? Failure)> Records { get; } = [];
}

/// <summary>
/// A captured TLS connection for tests: the two TCP byte streams of a one-connection pcap (loopback
/// captures: in order, no loss), cut into records, with the hello fields the TLS reader would give the
/// decryptor. Test-only: the sensor's record framing and handshake parsing belong to Tls/.
/// </summary>
public sealed class TlsTestConnection
{
    private TlsTestConnection(List<TestRecord> records) => Records = records;

    /// <summary>Records in capture order (each direction in stream order).</summary>
    public List<TestRecord> Records { get; }

    public byte[] ClientRandom { get; private set; } = [];
    public byte[] ServerRandom { get; private set; } = [];
    public ushort Version { get; private set; }
    public ushort CipherSuite { get; private set; }
    public bool EncryptThenMac { get; private set; }

    public static TlsTestConnection FromPcap(string path)
    {
        var handler = new StreamCollector();
        var result = new PcapFileReader(null).Read(path, handler, CancellationToken.None);
        Assert.Null(result.Error);
        return FromRecords(handler.Records());
    }

    public static TlsTestConnection FromRecords(List<TestRecord> records)
    {
        var connection = new TlsTestConnection(records);
        connection.ReadHellos();
        return connection;
    }

    /// <summary>Drives a decryptor the way the TLS session does: hellos, ChangeCipherSpecs, then every later record.</summary>
    public DecryptionResult Decrypt(TlsConnectionDecryptor decryptor, Func<TestRecord, TestRecord>? alter = null)
    {
        var result = new DecryptionResult();
        var sawClientHello = false;
        var sawServerHello = false;
        bool clientEncrypted = false, serverEncrypted = false;
        var writer = new ArrayBufferWriter<byte>();
        foreach (var original in Records)
        {
            var record = alter?.Invoke(original) ?? original;
            if (!sawClientHello && record.FromClient && record.Type == 22)
            {
                decryptor.OnClientHello(ClientRandom);
                sawClientHello = true;
                continue;
            }
            if (!sawServerHello && !record.FromClient && record.Type == 22)
            {
                decryptor.OnServerHello(ServerRandom, Version, CipherSuite, EncryptThenMac);
                sawServerHello = true;
                continue;
            }
            if (Version != TlsVersions.Tls13)
            {
                // TLS 1.0-1.2: a side encrypts after its ChangeCipherSpec; its cleartext handshake before it is not the decryptor's.
                if (record.Type == 20 && !(record.FromClient ? clientEncrypted : serverEncrypted))
                {
                    decryptor.OnChangeCipherSpec(record.FromClient);
                    if (record.FromClient) clientEncrypted = true; else serverEncrypted = true;
                    continue;
                }
                if (!(record.FromClient ? clientEncrypted : serverEncrypted)) continue;
            }
            writer.Clear();
            var outcome = decryptor.Decrypt(record.FromClient, record.Type, record.Fragment, writer, out var inner);
            Collect(result, record.FromClient, inner, outcome, decryptor.LastFailure, writer);
            writer.Clear();
            while (decryptor.TryTakePending(writer, out var fromClient, out var heldInner, out var heldOutcome))
            {
                Collect(result, fromClient, heldInner, heldOutcome, decryptor.LastFailure, writer);
                writer.Clear();
            }
        }
        return result;
    }

    private static void Collect(DecryptionResult result, bool fromClient, byte inner, TlsDecryptOutcome outcome, TlsDecryptFailure? failure, ArrayBufferWriter<byte> writer)
    {
        result.Records.Add((fromClient, inner, outcome, failure));
        if (outcome != TlsDecryptOutcome.Decrypted) return;
        var target = (fromClient, inner) switch
        {
            (true, 23) => result.ClientApplicationData,
            (false, 23) => result.ServerApplicationData,
            (true, 22) => result.ClientHandshake,
            (false, 22) => result.ServerHandshake,
            _ => null,
        };
        target?.AddRange(writer.WrittenSpan.ToArray());
    }

    /// <summary>ClientHello random; ServerHello random, version (supported_versions for TLS 1.3), suite, encrypt_then_mac.</summary>
    private void ReadHellos()
    {
        var clientHello = Records.First(r => r.FromClient && r.Type == 22).Fragment;
        Assert.Equal(1, clientHello[0]);
        ClientRandom = clientHello.AsSpan(6, 32).ToArray();
        var serverHello = Records.First(r => !r.FromClient && r.Type == 22).Fragment;
        Assert.Equal(2, serverHello[0]);
        var body = serverHello.AsSpan(4);
        Version = BinaryPrimitives.ReadUInt16BigEndian(body);
        ServerRandom = body.Slice(2, 32).ToArray();
        var p = 34;
        p += 1 + body[p];
        CipherSuite = BinaryPrimitives.ReadUInt16BigEndian(body[p..]);
        p += 3;
        if (p + 2 > body.Length) return;
        var end = p + 2 + BinaryPrimitives.ReadUInt16BigEndian(body[p..]);
        for (p += 2; p + 4 <= end;)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(body[p..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(body[(p + 2)..]);
            if (type == 43) Version = BinaryPrimitives.ReadUInt16BigEndian(body[(p + 4)..]);
            if (type == 22) EncryptThenMac = true;
            p += 4 + length;
        }
    }

    /// <summary>Cuts a byte stream into TLS records (type, version, length, fragment).</summary>
    public static List<TestRecord> Frame(bool fromClient, ReadOnlySpan<byte> stream)
    {
        var records = new List<TestRecord>();
        while (stream.Length >= 5)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(stream[3..]);
            if (stream.Length < 5 + length) break;
            records.Add(new TestRecord(fromClient, stream[0], stream.Slice(5, length).ToArray()));
            stream = stream[(5 + length)..];
        }
        return records;
    }

    /// <summary>Collects the TCP payload of each direction of the capture's one connection, in sequence order.</summary>
    private sealed class StreamCollector : IFrameHandler
    {
        private readonly PacketDecoder _decoder = new(new DecodingOptions { ChecksumValidation = ChecksumValidation.Never });
        private readonly List<(bool FromClient, byte[] Payload)> _segments = [];
        private ushort _clientPort;
        private uint _clientNext, _serverNext;
        private bool _clientStarted, _serverStarted;

        public void OnFrame(in CaptureFrame frame)
        {
            var packet = new DecodedPacket();
            if (_decoder.Decode(frame, ref packet) != DecodeOutcome.Tcp) return;
            if ((packet.Flags & TcpFlags.Syn) != 0 && (packet.Flags & TcpFlags.Ack) == 0)
            {
                _clientPort = packet.SourcePort;
                _clientNext = packet.Sequence + 1;
                _clientStarted = true;
                return;
            }
            var fromClient = packet.SourcePort == _clientPort;
            if ((packet.Flags & TcpFlags.Syn) != 0)
            {
                _serverNext = packet.Sequence + 1;
                _serverStarted = true;
                return;
            }
            if (packet.Payload.IsEmpty || !(fromClient ? _clientStarted : _serverStarted)) return;
            // Loopback captures carry no loss; a retransmission repeats bytes already taken.
            ref var next = ref fromClient ? ref _clientNext : ref _serverNext;
            var skip = (int)(next - packet.Sequence);
            if (skip < 0 || skip >= packet.Payload.Length) return;
            _segments.Add((fromClient, packet.Payload[skip..].ToArray()));
            next += (uint)(packet.Payload.Length - skip);
        }

        /// <summary>Records of both directions, interleaved in the order their first byte was captured.</summary>
        public List<TestRecord> Records()
        {
            var records = new List<TestRecord>();
            var pending = new Dictionary<bool, List<byte>> { [true] = [], [false] = [] };
            foreach (var (fromClient, payload) in _segments)
            {
                var buffer = pending[fromClient];
                buffer.AddRange(payload);
                var span = buffer.ToArray().AsSpan();
                var framed = Frame(fromClient, span);
                records.AddRange(framed);
                var used = framed.Sum(r => 5 + r.Fragment.Length);
                buffer.RemoveRange(0, used);
            }
            return records;
        }
    }
}
