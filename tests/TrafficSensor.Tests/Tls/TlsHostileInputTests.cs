using CsCheck;
using TrafficSensor.Tls;
using static TrafficSensor.Tests.Tls.TlsMessages;

namespace TrafficSensor.Tests.Tls;

/// <summary>Hostile and odd input: any segmentation, truncated and oversized lengths, garbage, huge lists, SSLv2 hellos.</summary>
public class TlsHostileInputTests
{
    private sealed class RecordLog : ITlsRecordHandler
    {
        public readonly List<string> Records = new();
        public bool WantsFragment(byte contentType) => contentType != TlsWire.ApplicationData;
        public void OnRecord(byte contentType, ushort version, ReadOnlySpan<byte> fragment, int length, long timestampMicros) =>
            Records.Add($"{contentType}/{version:x4}/{length}/{Convert.ToHexString(fragment)}");
        public void OnRecordLost(byte contentType, long timestampMicros) => Records.Add($"lost {contentType}");
        public void OnSsl2ClientHello(ReadOnlySpan<byte> message, long timestampMicros) => Records.Add("ssl2/" + Convert.ToHexString(message));
    }

    private static List<string> Frame(byte[] stream, IEnumerable<int> cuts, MemoryBudget budget, TlsCounters? counters = null)
    {
        var log = new RecordLog();
        var reader = new TlsRecordReader(log, counters ?? new TlsCounters(), budget, allowSsl2: true);
        var at = 0;
        foreach (var cut in cuts.Where(c => c > 0 && c < stream.Length).Distinct().Order())
        {
            reader.OnData(stream.AsSpan(at, cut - at), 0);
            at = cut;
        }
        reader.OnData(stream.AsSpan(at), 0);
        reader.OnEnd(0);
        return log.Records;
    }

    private static readonly Gen<byte[]> Records =
        Gen.Select(Gen.Int[20, 24], Gen.Byte.Array[0, 300]).Select((t, f) => Record((byte)t, f)).Array[1, 8].Select(a => a.SelectMany(r => r).ToArray());

    [Fact]
    public void Any_segmentation_gives_the_same_records()
    {
        Gen.Select(Records, Gen.Int[0, 2000].Array[0, 40]).Sample((stream, cuts) =>
        {
            var budget = new MemoryBudget(1 << 20);
            var whole = Frame(stream, [], budget);
            var split = Frame(stream, cuts, budget);
            Assert.Equal(whole, split);
            Assert.Equal(0, budget.UsedBytes);
        }, iter: 300);
    }

    [Fact]
    public void Records_split_byte_by_byte_equal_records_in_one_piece()
    {
        var hello = Record(TlsWire.Handshake, Ja4SpecClientHello());
        byte[] stream = [.. hello, .. Record(TlsWire.ChangeCipherSpec, [1]), .. Record(TlsWire.ApplicationData, new byte[100])];
        var budget = new MemoryBudget(1 << 20);
        Assert.Equal(Frame(stream, [], budget), Frame(stream, Enumerable.Range(1, stream.Length), budget));
        Assert.Equal(0, budget.UsedBytes);
    }

    [Fact]
    public void Handshake_messages_split_across_records_and_several_per_record_are_rebuilt()
    {
        var ch = Ja4SpecClientHello();
        var expected = TlsFingerprints.Ja4(TlsClientHello.Parse(ch.AsSpan(4), new TlsCounters())!);
        // The hello in three records of 7, 50 and the rest bytes, each record delivered byte by byte.
        byte[] stream = [.. Record(22, ch[..7]), .. Record(22, ch[7..57]), .. Record(22, ch[57..])];
        var parser = NewParser();
        foreach (var b in stream) parser.FromLow.OnData([b], 0);
        Assert.Equal(expected, TlsFingerprints.Ja4(parser.ClientHello!));

        // ServerHello, Certificate (empty list), ServerHelloDone in one record.
        var sh = ServerHello(0xc02f, [Extension(0xff01, [0])]);
        byte[] flight = [.. sh, .. Handshake(11, Vector(3)), .. Handshake(14, [])];
        parser.FromHigh.OnData(Record(22, flight), 0);
        Assert.Equal(0xc02f, parser.ServerHello!.CipherSuite);
        Assert.True(parser.ClientIsLow);
    }

    [Fact]
    public void Garbage_after_a_hello_stops_the_direction_and_keeps_the_hello()
    {
        var counters = new TlsCounters();
        var parser = NewParser(counters);
        parser.FromLow.OnData([.. Record(22, Ja4SpecClientHello()), .. "GET / HTTP/1.1\r\n\r\n"u8.ToArray()], 0);
        Assert.NotNull(parser.ClientHello);
        Assert.True(parser.FromLow.Stopped);
        Assert.Equal(1, counters.Events[TlsParseEvent.InvalidRecordHeader]);
        parser.FromLow.OnData(Record(22, Ja4SpecClientHello()), 0); // ignored: framing is lost
        Assert.Single(parser.ClientHellos);
    }

    [Fact]
    public void Oversized_record_is_skipped_and_framing_goes_on()
    {
        var counters = new TlsCounters();
        var big = new byte[5 + 20000];
        big[0] = 22; big[1] = 3; big[2] = 3; big[3] = 20000 >> 8; big[4] = 20000 & 0xff;
        var budget = new MemoryBudget(1 << 20);
        var records = Frame([.. big, .. Record(21, [2, 40])], [100, 5000], budget, counters);
        Assert.Equal(["lost 22", "22/0303/20000/", "21/0303/2/0228"], records);
        Assert.Equal(1, counters.Events[TlsParseEvent.RecordOversized]);
        Assert.Equal(0, budget.UsedBytes);
    }

    [Fact]
    public void Huge_handshake_length_is_skipped_without_buffering()
    {
        var counters = new TlsCounters();
        var budget = new MemoryBudget(1 << 20);
        var parser = new TlsConnectionParser(counters, budget, new TlsMetadataOptions { MaxHandshakeMessageBytes = 4096 }, clientIsLow: true);
        // A ClientHello claiming 16 MB: 1,000 records of 16 KiB follow; then a real hello.
        parser.FromLow.OnData(Record(22, [1, 0xff, 0xff, 0xff, .. new byte[16000]]), 0);
        for (var i = 0; i < 1000; i++) parser.FromLow.OnData(Record(22, new byte[16384]), 0);
        Assert.True(budget.PeakBytes <= 2 * TlsWire.MaxRecordFragment, $"peak {budget.PeakBytes} bytes");
        Assert.Equal(1, counters.Events[TlsParseEvent.HandshakeMessageOversized]);
        Assert.Null(parser.ClientHello);
    }

    [Fact]
    public void Truncated_lengths_inside_hellos_are_counted_not_thrown()
    {
        var ch = Ja4SpecClientHello();
        var counters = new TlsCounters();
        for (var cut = 4; cut < ch.Length; cut++)
            TlsClientHello.Parse(ch.AsSpan(4, cut - 4), counters); // every prefix: malformed or shorter, never an exception
        Assert.True(counters.Events[TlsParseEvent.MalformedClientHello] > 100);

        // Vector lengths pointing past the end.
        var bad = (byte[])ch.Clone();
        bad[4 + 2 + 32] = 200; // session id length beyond 32
        Assert.Null(TlsClientHello.Parse(bad.AsSpan(4), counters));
        Assert.Null(TlsServerHello.Parse([3, 3, 1, 2], counters));
        Assert.Null(TlsCertificateInfo.Parse([0, 0, 9, 0, 0, 20, 1, 2, 3], tls13: false, counters));
        Assert.Null(TlsCertificateInfo.Parse([0, 0, 6, 0, 0, 3, 1, 2, 3], tls13: false, counters));
        Assert.Equal(1, counters.Events[TlsParseEvent.CertificateUnreadable]);
    }

    [Fact]
    public void Random_bytes_never_throw_and_give_back_their_memory()
    {
        Gen.Select(Gen.Byte.Array[0, 3000], Gen.Int[0, 3000].Array[0, 10], Gen.Bool).Sample((bytes, cuts, framed) =>
        {
            var budget = new MemoryBudget(1 << 20);
            var parser = new TlsConnectionParser(new TlsCounters(), budget, new TlsMetadataOptions(), clientIsLow: null);
            byte[] stream = framed ? [.. Record(22, [1, 0, (byte)(bytes.Length >> 8), (byte)bytes.Length, .. bytes])] : bytes;
            var at = 0;
            foreach (var cut in cuts.Where(c => c < stream.Length).Order())
            {
                parser.FromLow.OnData(stream.AsSpan(at, cut - at), 0);
                parser.FromHigh.OnData(stream.AsSpan(at, cut - at), 0);
                at = cut;
            }
            parser.FromLow.OnData(stream.AsSpan(at), 0);
            parser.FromLow.OnEnd(0);
            parser.FromHigh.OnEnd(0);
            Assert.Equal(0, budget.UsedBytes);
        }, iter: 500);
    }

    [Fact]
    public void Huge_extension_counts_are_capped_and_counted()
    {
        var counters = new TlsCounters();
        var extensions = Enumerable.Range(0x100, 5000).Select(t => Extension((ushort)t, [])).ToList();
        extensions.Add(Extension(0x000a, U16List(2, Enumerable.Range(1, 3000).Select(i => (ushort)i))));
        var hello = TlsClientHello.Parse(ClientHello([0x1301], extensions).AsSpan(4), counters)!;
        Assert.Equal(TlsClientHello.MaxListEntries, hello.ExtensionTypes.Count);
        Assert.Equal(TlsClientHello.MaxListEntries, hello.SupportedGroups.Count);
        Assert.True(hello.Truncated);
        Assert.Equal(1, counters.Events[TlsParseEvent.ListTruncated]);
        Assert.StartsWith("t12i0199", TlsFingerprints.Ja4(hello));
    }

    [Fact]
    public void Sslv2_compatible_client_hello_is_read()
    {
        // RFC 5246 E.2: msg_type 1, version 3.1, 3-byte cipher specs (two TLS suites and one SSLv2-only), no session id, 16-byte challenge.
        byte[] specs = [0x00, 0x00, 0x2f, 0x07, 0x00, 0xc0, 0x00, 0x00, 0x0a];
        var challenge = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        byte[] message = [1, 3, 1, 0, (byte)specs.Length, 0, 0, 0, 16, .. specs, .. challenge];
        byte[] record = [(byte)(0x80 | (message.Length >> 8)), (byte)message.Length, .. message];
        var parser = NewParser();
        foreach (var b in record) parser.FromLow.OnData([b], 0);
        var hello = parser.ClientHello!;
        Assert.True(hello.Ssl2Framed);
        Assert.Equal(TlsWire.Tls10, hello.LegacyVersion);
        Assert.Equal([0x002f, 0x000a], hello.CipherSuites);
        Assert.Equal(challenge, hello.Random[16..]);
        Assert.Equal("t10i020000_" , TlsFingerprints.Ja4(hello)[..11]);
    }

    [Fact]
    public void Gap_stops_the_direction_and_is_counted()
    {
        var counters = new TlsCounters();
        var parser = NewParser(counters);
        var ch = Record(22, Ja4SpecClientHello());
        parser.FromLow.OnData(ch.AsSpan(0, 30), 0);
        parser.FromLow.OnGap(100, 0);
        parser.FromLow.OnData(ch.AsSpan(130), 0);
        Assert.Null(parser.ClientHello);
        Assert.Equal(1, counters.Events[TlsParseEvent.StreamGap]);
    }

    [Fact]
    public void Hello_retry_request_is_told_from_the_server_hello()
    {
        var parser = NewParser();
        parser.FromLow.OnData(Record(22, Ja4SpecClientHello()), 0);
        var supported13 = Extension(0x002b, U16(0x0304));
        parser.FromHigh.OnData(Record(22, ServerHello(0x1302, [supported13], random: TlsWire.HelloRetryRequestRandom.ToArray())), 0);
        Assert.NotNull(parser.HelloRetryRequest);
        Assert.Null(parser.ServerHello);
        parser.FromLow.OnData([.. Record(20, [1]), .. Record(22, Ja4SpecClientHello())], 0);
        parser.FromHigh.OnData([.. Record(22, ServerHello(0x1302, [supported13])), .. Record(20, [1]), .. Record(23, new byte[50])], 0);
        Assert.Equal(TlsWire.Tls13, parser.ServerHello!.NegotiatedVersion);
        Assert.False(parser.IsHandshakeDone);
        parser.FromLow.OnData(Record(23, new byte[40]), 0);
        Assert.True(parser.IsHandshakeDone);
        Assert.Equal(2, parser.ClientHellos.Count);
    }

    private static TlsConnectionParser NewParser(TlsCounters? counters = null) =>
        new(counters ?? new TlsCounters(), new MemoryBudget(1 << 20), new TlsMetadataOptions(), clientIsLow: null);
}

/// <summary>The content probe: TLS by its first bytes, whatever the port.</summary>
public class TlsContentProbeTests
{
    [Fact]
    public void Hellos_match_and_other_protocols_do_not()
    {
        var ch = TlsMessages.Record(22, TlsMessages.Ja4SpecClientHello(), version: 0x0301);
        for (var n = 0; n < 6; n++) Assert.Equal(TlsProbeVerdict.NeedMoreData, TlsContentProbe.Probe(ch.AsSpan(0, n)));
        Assert.Equal(TlsProbeVerdict.Tls, TlsContentProbe.Probe(ch.AsSpan(0, 6)));
        Assert.Equal(TlsProbeVerdict.Tls, TlsContentProbe.Probe(TlsMessages.Record(22, TlsMessages.ServerHello(0x1301, []))));
        Assert.Equal(TlsProbeVerdict.Tls, TlsContentProbe.Probe([0x80, 0x2e, 0x01, 0x03, 0x01]));
        Assert.Equal(TlsProbeVerdict.NotTls, TlsContentProbe.Probe("GET / HTTP/1.1\r\n"u8));
        Assert.Equal(TlsProbeVerdict.NotTls, TlsContentProbe.Probe("PRI * HTTP/2.0\r\n"u8));
        Assert.Equal(TlsProbeVerdict.NotTls, TlsContentProbe.Probe("SSH-2.0-OpenSSH"u8));
        Assert.Equal(TlsProbeVerdict.NotTls, TlsContentProbe.Probe([22, 3, 3, 0, 40, 11])); // a Certificate cannot start a stream
        Assert.Equal(TlsProbeVerdict.NotTls, TlsContentProbe.Probe([22, 3, 3, 0xff, 0xff, 1])); // longer than a record can be
        Assert.Equal(TlsProbeVerdict.NotTls, TlsContentProbe.Probe([23, 3, 3, 0, 40, 1]));
    }
}
