using System.Net;
using CsCheck;
using TrafficSensor.Capture;
using TrafficSensor.Decoding;
using TrafficSensor.Tests.TestSupport;
using static TrafficSensor.Tests.TestSupport.PacketFactory;

namespace TrafficSensor.Tests.Decoding;

public class PacketDecoderTests
{
    private static readonly IPAddress Client = IPAddress.Parse("10.1.2.3");
    private static readonly IPAddress Server = IPAddress.Parse("192.0.2.80");
    private static readonly byte[] Hello = "GET / HTTP/1.1\r\n\r\n"u8.ToArray();

    private static (DecodeOutcome Outcome, DecodedPacketCopy Packet, PacketDecoder Decoder) Decode(LinkType link, byte[] frame, int? originalLength = null, PacketDecoder? decoder = null)
    {
        decoder ??= new PacketDecoder(new DecodingOptions());
        var packet = new DecodedPacket();
        var outcome = decoder.Decode(new CaptureFrame(123, link, frame, originalLength ?? frame.Length), ref packet);
        return (outcome, new DecodedPacketCopy(packet), decoder);
    }

    [Theory]
    [InlineData(LinkType.Ethernet)]
    [InlineData(LinkType.LinuxSll)]
    [InlineData(LinkType.LinuxSll2)]
    [InlineData(LinkType.Null)]
    [InlineData(LinkType.Raw)]
    public void Decodes_tcp_over_every_link_type(LinkType link)
    {
        var ip = TcpSegment(Client, 40000, Server, 80, 77, 88, Tcp.Ack | Tcp.Psh, Hello);
        var (outcome, p, _) = Decode(link, Wrap(link, ip));
        Assert.Equal(DecodeOutcome.Tcp, outcome);
        Assert.Equal(IpAddress.From(Client), p.Source);
        Assert.Equal(IpAddress.From(Server), p.Destination);
        Assert.Equal((ushort)40000, p.SourcePort);
        Assert.Equal((ushort)80, p.DestinationPort);
        Assert.Equal(77u, p.Sequence);
        Assert.Equal(88u, p.Acknowledgment);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, p.Flags);
        Assert.Equal(Hello, p.Payload);
    }

    [Fact]
    public void Reads_802_1Q_and_QinQ_tags_into_the_packet()
    {
        var ip = TcpSegment(Client, 1, Server, 80, 1, 1, Tcp.Ack, Hello);
        var single = Decode(LinkType.Ethernet, Ethernet(ip, 42)).Packet;
        Assert.Equal((ushort)42, single.Vlan);
        Assert.Equal((ushort)0, single.InnerVlan);
        var (outcome, qinq, _) = Decode(LinkType.Ethernet, Ethernet(ip, 100, 200));
        Assert.Equal(DecodeOutcome.Tcp, outcome);
        Assert.Equal((ushort)100, qinq.Vlan);
        Assert.Equal((ushort)200, qinq.InnerVlan);
        Assert.Equal(Hello, qinq.Payload);
    }

    [Fact]
    public void Decodes_ipv6()
    {
        var c = IPAddress.Parse("2001:db8::1");
        var s = IPAddress.Parse("2001:db8::80");
        var (outcome, p, _) = Decode(LinkType.Ethernet, Ethernet(TcpSegment(c, 5555, s, 8080, 9, 0, Tcp.Syn, default)));
        Assert.Equal(DecodeOutcome.Tcp, outcome);
        Assert.Equal(6, p.IpVersion);
        Assert.Equal("2001:db8::1", p.Source.ToString());
        Assert.Equal((ushort)8080, p.DestinationPort);
        Assert.Equal(TcpFlags.Syn, p.Flags);
    }

    [Theory]
    [InlineData((ushort)0x6558)] // GRE transparent Ethernet bridging
    [InlineData((ushort)0x88BE)] // ERSPAN type II
    [InlineData((ushort)0x22EB)] // ERSPAN type III
    public void Unwraps_gre_and_erspan_mirror_encapsulation(ushort protocol)
    {
        var inner = Ethernet(TcpSegment(Client, 1234, Server, 80, 5, 6, Tcp.Ack, Hello), 7);
        var frame = Gre(inner, protocol, IPAddress.Parse("172.16.0.1"), IPAddress.Parse("172.16.0.2"));
        var (outcome, p, _) = Decode(LinkType.Ethernet, frame);
        Assert.Equal(DecodeOutcome.Tcp, outcome);
        Assert.Equal(IpAddress.From(Client), p.Source);
        Assert.Equal((ushort)7, p.Vlan); // the inner frame's tag, not the mirror's
        Assert.Equal(1, p.EncapsulationDepth);
        Assert.Equal(Hello, p.Payload);
    }

    [Fact]
    public void Unwraps_vxlan()
    {
        var inner = Ethernet(TcpSegment(Client, 1234, Server, 80, 5, 6, Tcp.Ack, Hello));
        var (outcome, p, _) = Decode(LinkType.Ethernet, Vxlan(inner, IPAddress.Parse("172.16.0.1"), IPAddress.Parse("172.16.0.2")));
        Assert.Equal(DecodeOutcome.Tcp, outcome);
        Assert.Equal(IpAddress.From(Server), p.Destination);
        Assert.Equal(Hello, p.Payload);
    }

    [Fact]
    public void Tunnels_nested_beyond_the_limit_are_counted_not_followed()
    {
        var frame = Ethernet(TcpSegment(Client, 1, Server, 80, 1, 1, Tcp.Ack, Hello));
        for (var i = 0; i < 6; i++) frame = Vxlan(frame, IPAddress.Parse("172.16.0.1"), IPAddress.Parse("172.16.0.2"));
        var (outcome, _, decoder) = Decode(LinkType.Ethernet, frame);
        Assert.Equal(DecodeOutcome.Error, outcome);
        Assert.Equal(1, decoder.Errors[DecodeError.TunnelTooDeep]);
    }

    [Fact]
    public void Trims_ethernet_padding_using_the_ip_length()
    {
        var ip = TcpSegment(Client, 1, Server, 80, 1, 1, Tcp.Ack, default); // 40 bytes: padded to 60 on the wire
        var frame = Ethernet(ip).Concat(new byte[6]).ToArray();
        var (_, p, _) = Decode(LinkType.Ethernet, frame);
        Assert.Empty(p.Payload);
        Assert.Equal(0, p.PayloadWireLength);
    }

    [Fact]
    public void Snaplen_cut_packet_reports_the_missing_payload()
    {
        var payload = new byte[1000];
        var frame = Ethernet(TcpSegment(Client, 1, Server, 80, 1, 1, Tcp.Ack, payload));
        var cut = frame[..200];
        var (outcome, p, _) = Decode(LinkType.Ethernet, cut, frame.Length);
        Assert.Equal(DecodeOutcome.Tcp, outcome);
        Assert.Equal(200 - 14 - 40, p.Payload.Length);
        Assert.Equal(1000, p.PayloadWireLength);
    }

    [Fact]
    public void Reassembles_ipv4_fragments_in_any_order()
    {
        var payload = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
        var ip = TcpSegment(Client, 1, Server, 80, 1, 1, Tcp.Ack, payload, ipId: 4242);
        var fragments = Fragment(ip, 1208);
        Assert.Equal(3, fragments.Count);
        var decoder = new PacketDecoder(new DecodingOptions());
        Assert.Equal(DecodeOutcome.FragmentHeld, Decode(LinkType.Raw, fragments[2], decoder: decoder).Outcome);
        Assert.Equal(DecodeOutcome.FragmentHeld, Decode(LinkType.Raw, fragments[0], decoder: decoder).Outcome);
        var (outcome, p, _) = Decode(LinkType.Raw, fragments[1], decoder: decoder);
        Assert.Equal(DecodeOutcome.Tcp, outcome);
        Assert.Equal(payload, p.Payload);
        Assert.Equal(1, decoder.FragmentsReassembled);
        Assert.Equal(0, decoder.FragmentBytesHeld);
    }

    [Fact]
    public void Fragment_table_is_bounded_and_counts_what_it_drops()
    {
        var options = new DecodingOptions { MaxFragmentedDatagrams = 10 };
        var decoder = new PacketDecoder(options);
        for (ushort id = 0; id < 100; id++)
        {
            var first = Fragment(TcpSegment(Client, 1, Server, 80, 1, 1, Tcp.Ack, new byte[64], ipId: id), 32)[0];
            Decode(LinkType.Raw, first, decoder: decoder);
        }
        Assert.Equal(90, decoder.Errors[DecodeError.FragmentTableFull]);
        Assert.True(decoder.FragmentBytesHeld <= 10 * 1024); // 32 bytes each, plus buffer and bookkeeping as held
    }

    [Fact]
    public void Non_tcp_is_ignored_and_counted()
    {
        var (outcome, _, decoder) = Decode(LinkType.Ethernet, Ethernet(Udp(Client, 53, Server, 53, new byte[10])));
        Assert.Equal(DecodeOutcome.Ignored, outcome);
        Assert.Equal(1, decoder.Ignored[IgnoredProtocol.Udp]);
    }

    [Fact]
    public void Every_prefix_of_a_valid_frame_decodes_or_is_counted_never_throws()
    {
        var frame = Gre(Ethernet(TcpSegment(Client, 1, Server, 80, 1, 1, Tcp.Ack, Hello), 3, 4), 0x22EB,
            IPAddress.Parse("172.16.0.1"), IPAddress.Parse("172.16.0.2"));
        var decoder = new PacketDecoder(new DecodingOptions());
        for (var n = 0; n <= frame.Length; n++)
        {
            var (outcome, _, _) = Decode(LinkType.Ethernet, frame[..n], frame.Length, decoder);
            Assert.True(outcome is DecodeOutcome.Tcp or DecodeOutcome.Error or DecodeOutcome.Ignored, $"prefix {n}: {outcome}");
        }
    }

    [Fact]
    public void Random_bytes_never_crash_the_decoder()
    {
        var decoder = new PacketDecoder(new DecodingOptions());
        Gen.Select(Gen.Enum<LinkType>(), Gen.Byte.Array[0, 200]).Sample((link, bytes) =>
        {
            var packet = new DecodedPacket();
            decoder.Decode(new CaptureFrame(1, link, bytes, bytes.Length), ref packet);
        }, iter: 20_000);
    }

    [Fact]
    public void Agrees_with_PacketDotNet_on_random_ethernet_tcp_frames()
    {
        // PacketDotNet is an independent decoder: both must read the same fields from the same bytes.
        var gen = Gen.Select(Gen.UInt, Gen.UInt, Gen.UShort, Gen.UShort, Gen.Byte.Array[0, 300], Gen.Bool, Gen.UShort[0, 4094]);
        gen.Sample((a, b, sport, dport, payload, v6, vlan) =>
        {
            var src = v6 ? new IPAddress(BitConverter.GetBytes((ulong)a).Concat(BitConverter.GetBytes((ulong)b)).ToArray()) : new IPAddress(a);
            var dst = v6 ? new IPAddress(BitConverter.GetBytes((ulong)b).Concat(BitConverter.GetBytes((ulong)a)).ToArray()) : new IPAddress(b);
            var frame = vlan == 0 ? Ethernet(TcpSegment(src, sport, dst, dport, a, b, Tcp.Ack, payload))
                                  : Ethernet(TcpSegment(src, sport, dst, dport, a, b, Tcp.Ack, payload), vlan);
            var reference = PacketDotNet.Packet.ParsePacket(PacketDotNet.LinkLayers.Ethernet, frame).Extract<PacketDotNet.TcpPacket>();
            var referenceIp = (PacketDotNet.IPPacket)reference.ParentPacket;
            var (outcome, p, _) = Decode(LinkType.Ethernet, frame);
            Assert.Equal(DecodeOutcome.Tcp, outcome);
            Assert.Equal(referenceIp.SourceAddress, p.Source.ToIPAddress());
            Assert.Equal(referenceIp.DestinationAddress, p.Destination.ToIPAddress());
            Assert.Equal(reference.SourcePort, p.SourcePort);
            Assert.Equal(reference.DestinationPort, p.DestinationPort);
            Assert.Equal(reference.SequenceNumber, p.Sequence);
            Assert.Equal(reference.AcknowledgmentNumber, p.Acknowledgment);
            Assert.Equal(reference.PayloadDataSegment.ToArray(), p.Payload);
        }, iter: 2_000);
    }

    /// <summary>A heap copy of a decoded packet, so assertions can run after the ref struct is gone.</summary>
    private sealed class DecodedPacketCopy
    {
        public DecodedPacketCopy(DecodedPacket p)
        {
            Source = p.Source; Destination = p.Destination; SourcePort = p.SourcePort; DestinationPort = p.DestinationPort;
            Sequence = p.Sequence; Acknowledgment = p.Acknowledgment; Flags = p.Flags; Payload = p.Payload.ToArray();
            PayloadWireLength = p.PayloadWireLength; Vlan = p.Vlan; InnerVlan = p.InnerVlan; IpVersion = p.IpVersion;
            EncapsulationDepth = p.EncapsulationDepth;
        }

        public IpAddress Source, Destination;
        public ushort SourcePort, DestinationPort, Vlan, InnerVlan;
        public uint Sequence, Acknowledgment;
        public TcpFlags Flags;
        public byte[] Payload;
        public int PayloadWireLength, IpVersion, EncapsulationDepth;
    }
}
