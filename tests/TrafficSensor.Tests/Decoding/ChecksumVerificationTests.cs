using System.Net;
using CsCheck;
using TrafficSensor.Capture;
using TrafficSensor.Decoding;
using static TrafficSensor.Tests.TestSupport.PacketFactory;

namespace TrafficSensor.Tests.Decoding;

public class ChecksumVerificationTests
{
    private static readonly IPAddress Client = IPAddress.Parse("10.1.2.3");
    private static readonly IPAddress Server = IPAddress.Parse("192.0.2.80");
    private static readonly IPAddress Client6 = IPAddress.Parse("2001:db8::1");
    private static readonly IPAddress Server6 = IPAddress.Parse("2001:db8::80");

    private static ChecksumStatus Status(PacketDecoder decoder, byte[] ip, int? originalLength = null)
    {
        var packet = new DecodedPacket();
        var frame = Ethernet(ip);
        var outcome = decoder.Decode(new CaptureFrame(1, LinkType.Ethernet, frame, originalLength ?? frame.Length), ref packet);
        return outcome == DecodeOutcome.Tcp ? packet.Checksum : (ChecksumStatus)255;
    }

    private static PacketDecoder Decoder(ChecksumValidation mode = ChecksumValidation.Always) => new(new DecodingOptions { ChecksumValidation = mode });

    [Fact]
    public void Intact_ipv4_and_ipv6_segments_verify_and_any_flipped_bit_is_caught()
    {
        // The factory computes checksums its own way (byte pairs, big-endian): an independent oracle.
        Gen.Select(Gen.Byte.Array[0, 1500], Gen.Bool, Gen.Int, Gen.Int[0, 7]).Sample((payload, v6, where, bit) =>
        {
            var ip = v6 ? TcpSegment(Client6, 40000, Server6, 80, 7, 9, Tcp.Ack, payload) : TcpSegment(Client, 40000, Server, 80, 7, 9, Tcp.Ack, payload);
            var decoder = Decoder();
            Assert.Equal(ChecksumStatus.Valid, Status(decoder, ip));
            // Flip one bit of the TCP header or payload (not the IP header's addresses and lengths).
            var tcpStart = v6 ? 40 : 20;
            var at = tcpStart + (int)((uint)where % (uint)(ip.Length - tcpStart));
            if (at == tcpStart + 12) at++; // not the header length: that would make it another packet
            ip[at] ^= (byte)(1 << bit);
            Assert.Equal(ChecksumStatus.BadTcp, Status(decoder, ip));
        }, iter: 300);
    }

    [Fact]
    public void A_bad_ipv4_header_checksum_is_reported_as_such()
    {
        var ip = TcpSegment(Client, 40000, Server, 80, 7, 9, Tcp.Ack, "GET / HTTP/1.1\r\n\r\n"u8);
        ip[10] ^= 0x5A;
        var decoder = Decoder();
        Assert.Equal(ChecksumStatus.BadIp, Status(decoder, ip));
        Assert.Equal(1, decoder.Checksums[ChecksumEvent.BadIpChecksum]);
    }

    [Fact]
    public void Snaplen_cut_segments_and_disabled_validation_are_not_verified()
    {
        var ip = TcpSegment(Client, 40000, Server, 80, 7, 9, Tcp.Ack, new byte[400]);
        var frame = Ethernet(ip);
        var packet = new DecodedPacket();
        Decoder().Decode(new CaptureFrame(1, LinkType.Ethernet, frame.AsSpan(0, 100).ToArray(), frame.Length), ref packet);
        Assert.Equal(ChecksumStatus.NotVerified, packet.Checksum);

        ip[^1] ^= 1;
        Assert.Equal(ChecksumStatus.NotVerified, Status(Decoder(ChecksumValidation.Never), ip));
    }

    [Fact]
    public void Automatic_mode_stops_verifying_a_capture_with_offloaded_checksums_and_counts_it()
    {
        var decoder = Decoder(ChecksumValidation.Auto);
        var good = TcpSegment(Client, 40000, Server, 80, 7, 9, Tcp.Ack, "abc"u8);
        var offloaded = TcpSegment(Server, 80, Client, 40000, 9, 10, Tcp.Ack, "def"u8);
        offloaded[36] ^= 0xFF; // checksum field left unfilled by the sending NIC's driver
        var statuses = new List<ChecksumStatus>();
        for (var i = 0; i < 20; i++)
        {
            statuses.Add(Status(decoder, good));
            statuses.Add(Status(decoder, offloaded));
        }
        Assert.Equal(8, statuses.Count(s => s == ChecksumStatus.BadTcp)); // the first 8 bad ones, then it gives up
        Assert.False(decoder.VerifyingChecksums);
        Assert.Equal(1, decoder.Checksums[ChecksumEvent.ValidationDisabled]);
        Assert.Equal(ChecksumStatus.NotVerified, statuses[^1]);
    }

    [Fact]
    public void Automatic_mode_keeps_verifying_when_bad_checksums_are_a_few_decoys()
    {
        var decoder = Decoder(ChecksumValidation.Auto);
        var good = TcpSegment(Client, 40000, Server, 80, 7, 9, Tcp.Ack, "abc"u8);
        var decoy = TcpSegment(Client, 40000, Server, 80, 7, 9, Tcp.Ack, "xyz"u8);
        decoy[^1] ^= 1;
        for (var i = 0; i < 1000; i++) Status(decoder, i % 50 == 0 ? decoy : good); // 2 % bad
        Assert.True(decoder.VerifyingChecksums);
        Assert.Equal(ChecksumStatus.BadTcp, Status(decoder, decoy));
        Assert.Equal(0, decoder.Checksums[ChecksumEvent.ValidationDisabled]);
    }
}
