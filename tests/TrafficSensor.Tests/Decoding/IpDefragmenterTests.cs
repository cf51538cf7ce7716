using System.Net;
using TrafficSensor.Capture;
using TrafficSensor.Decoding;
using static TrafficSensor.Tests.TestSupport.PacketFactory;

namespace TrafficSensor.Tests.Decoding;

/// <summary>IP fragment reassembly as the protected servers' stack does it (issue 10), with memory measured as held.</summary>
public class IpDefragmenterTests
{
    private static readonly IPAddress Client = IPAddress.Parse("10.1.2.3");
    private static readonly IPAddress Server = IPAddress.Parse("192.0.2.80");
    private static readonly IPAddress Client6 = IPAddress.Parse("2001:db8::3");
    private static readonly IPAddress Server6 = IPAddress.Parse("2001:db8::80");

    private static DecodeOutcome Decode(PacketDecoder decoder, byte[] ip, out byte[] payload)
    {
        var packet = new DecodedPacket();
        var outcome = decoder.Decode(new CaptureFrame(123, LinkType.Raw, ip, ip.Length), ref packet);
        payload = outcome == DecodeOutcome.Tcp ? packet.Payload.ToArray() : [];
        return outcome;
    }

    /// <summary>The genuine datagram "AAAA…" in two fragments, and a decoy that overlaps the first's tail with "BBBB…".</summary>
    private static (byte[] First, byte[] Decoy, byte[] Second, byte[] Genuine) OverlapAttack()
    {
        var genuine = Enumerable.Repeat((byte)'A', 64).ToArray();
        var fragments = Fragment(TcpSegment(Client, 1, Server, 80, 1, 1, Tcp.Ack, genuine, ipId: 9), 48);
        var decoy = (byte[])fragments[0].Clone();
        for (var i = 40; i < decoy.Length; i++) decoy[i] = (byte)'B';
        // The decoy covers bytes 16..48 only: shift it to offset 16 (2 blocks) so it overlaps partially.
        var shifted = new byte[20 + 40];
        decoy.AsSpan(0, 20).CopyTo(shifted);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(shifted.AsSpan(2), (ushort)shifted.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(shifted.AsSpan(6), 0x2000 | 2);
        shifted.AsSpan(20).Fill((byte)'B');
        // A real decoy carries a valid header checksum (a bad one is discarded before reassembly).
        shifted[10] = shifted[11] = 0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(shifted.AsSpan(10), Checksum(shifted.AsSpan(0, 20)));
        return (fragments[0], shifted, fragments[1], genuine);
    }

    [Fact]
    public void Linux_policy_drops_a_datagram_whose_fragments_overlap()
    {
        var (first, decoy, second, _) = OverlapAttack();
        var decoder = new PacketDecoder(new DecodingOptions());
        Assert.Equal(DecodeOutcome.FragmentHeld, Decode(decoder, first, out _));
        Assert.Equal(DecodeOutcome.FragmentHeld, Decode(decoder, decoy, out _));
        Assert.Equal(DecodeOutcome.FragmentHeld, Decode(decoder, second, out _)); // starts a new datagram that never completes
        Assert.Equal(1, decoder.Errors[DecodeError.FragmentOverlap]);
        Assert.Equal(1, decoder.Errors[DecodeError.FragmentOverlapDropped]);
        Assert.Equal(0, decoder.FragmentsReassembled);
    }

    [Theory]
    [InlineData(FragmentOverlapPolicy.First, (byte)'A')]
    [InlineData(FragmentOverlapPolicy.Last, (byte)'B')]
    public void First_and_last_policies_keep_the_bytes_they_name(FragmentOverlapPolicy policy, byte expected)
    {
        var (first, decoy, second, genuine) = OverlapAttack();
        var decoder = new PacketDecoder(new DecodingOptions { FragmentOverlap = policy });
        Decode(decoder, first, out _);
        Decode(decoder, decoy, out _);
        Assert.Equal(DecodeOutcome.Tcp, Decode(decoder, second, out var payload));
        Assert.Equal(genuine.Length, payload.Length);
        Assert.Equal(expected, payload[10]); // TCP payload byte 10 = IP payload byte 30, inside the overlap
        Assert.Equal(2, decoder.Errors[DecodeError.FragmentOverlap]); // the decoy over the first, the second over the decoy
    }

    [Fact]
    public void An_exact_duplicate_fragment_is_ignored_and_the_datagram_completes()
    {
        var payload = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        var fragments = Fragment(TcpSegment(Client, 1, Server, 80, 1, 1, Tcp.Ack, payload, ipId: 3), 40);
        var decoder = new PacketDecoder(new DecodingOptions());
        Decode(decoder, fragments[1], out _);
        Decode(decoder, fragments[1], out _);
        Decode(decoder, fragments[0], out _);
        Assert.Equal(DecodeOutcome.Tcp, Decode(decoder, fragments[2], out var got));
        Assert.Equal(payload, got);
        Assert.Equal(1, decoder.Errors[DecodeError.FragmentDuplicate]);
        Assert.Equal(0, decoder.Errors[DecodeError.FragmentOverlap]);
        Assert.Equal(0, decoder.FragmentBytesHeld);
    }

    [Fact]
    public void Tiny_fragments_are_charged_what_they_hold_not_a_whole_datagram()
    {
        var decoder = new PacketDecoder(new DecodingOptions());
        for (ushort id = 0; id < 1000; id++)
            Decode(decoder, Fragment(TcpSegment(Client, 1, Server, 80, 1, 1, Tcp.Ack, new byte[64], ipId: id), 16)[0], out _);
        // Before: 64 KiB rented per datagram (65 MB here). Now buffer, fragment and datagram bookkeeping.
        Assert.InRange(decoder.FragmentBytesHeld, 1000 * 16, 1000 * 1024);
    }

    [Fact]
    public void The_memory_cap_bounds_what_is_held_whatever_the_fragments()
    {
        var options = new DecodingOptions { MaxFragmentBytes = 1 << 20, MaxFragmentedDatagrams = 1_000_000 };
        var decoder = new PacketDecoder(options);
        var max = 0L;
        for (var i = 0; i < 20_000; i++)
        {
            var offset = (i % 7) * 8000; // far offsets too: the buffer stays compact
            var fragment = Fragment(TcpSegment(Client, 1, Server, 80, 1, 1, Tcp.Ack, new byte[offset + 64], ipId: (ushort)i), 8)[offset / 8 + 1];
            Decode(decoder, fragment, out _);
            max = Math.Max(max, decoder.FragmentBytesHeld);
        }
        Assert.True(max <= options.MaxFragmentBytes, $"held {max}");
        Assert.True(decoder.Errors[DecodeError.FragmentMemoryCap] > 0);
    }

    [Fact]
    public void Ipv6_fragments_are_reassembled_in_any_order()
    {
        var payload = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();
        var fragments = Fragment6(TcpSegment(Client6, 1, Server6, 80, 1, 1, Tcp.Ack, payload), 1208, id: 77);
        Assert.Equal(3, fragments.Count);
        var decoder = new PacketDecoder(new DecodingOptions());
        Assert.Equal(DecodeOutcome.FragmentHeld, Decode(decoder, fragments[2], out _));
        Assert.Equal(DecodeOutcome.FragmentHeld, Decode(decoder, fragments[0], out _));
        Assert.Equal(DecodeOutcome.Tcp, Decode(decoder, fragments[1], out var got));
        Assert.Equal(payload, got);
        Assert.Equal(1, decoder.FragmentsReassembled);
        Assert.Equal(0, decoder.Errors[DecodeError.Ipv6Fragment]);
    }

    [Fact]
    public void Overlapping_ipv6_fragments_drop_the_datagram()
    {
        var payload = new byte[200];
        var a = Fragment6(TcpSegment(Client6, 1, Server6, 80, 1, 1, Tcp.Ack, payload), 112, id: 5);
        var b = Fragment6(TcpSegment(Client6, 1, Server6, 80, 1, 1, Tcp.Ack, payload), 56, id: 5);
        var decoder = new PacketDecoder(new DecodingOptions());
        Decode(decoder, a[0], out _);                                        // bytes 0..112
        Assert.Equal(DecodeOutcome.FragmentHeld, Decode(decoder, b[1], out _)); // 56..112: inside, a duplicate
        Assert.Equal(DecodeOutcome.FragmentHeld, Decode(decoder, b[2], out _)); // 112..168
        Assert.Equal(1, decoder.Errors[DecodeError.FragmentDuplicate]);
        var overlapping = Fragment6(TcpSegment(Client6, 1, Server6, 80, 1, 1, Tcp.Ack, payload), 160, id: 5)[0]; // 0..160 over 0..168, partly new? no: wholly inside
        Decode(decoder, overlapping, out _);
        var tail = Fragment6(TcpSegment(Client6, 1, Server6, 80, 1, 1, Tcp.Ack, payload), 104, id: 5)[1]; // 104..208: partly new
        Assert.Equal(DecodeOutcome.FragmentHeld, Decode(decoder, tail, out _));
        Assert.Equal(1, decoder.Errors[DecodeError.FragmentOverlapDropped]);
        Assert.Equal(0, decoder.FragmentsReassembled);
    }
}
