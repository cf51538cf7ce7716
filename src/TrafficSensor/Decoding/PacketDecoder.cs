using System.Buffers.Binary;
using TrafficSensor.Capture;

namespace TrafficSensor.Decoding;

/// <summary>
/// Decodes link, network and transport headers straight from the captured bytes, without copying or
/// allocating: Ethernet with 802.1Q/QinQ tags, Linux cooked v1/v2, BSD loopback, raw IP; IPv4 (with
/// fragment reassembly) and IPv6; the mirror encapsulations GRE, ERSPAN I/II/III and VXLAN are
/// unwrapped to the inner packet. Every malformed packet is counted by reason, never thrown.
/// One instance per reading thread.
/// </summary>
public sealed class PacketDecoder
{
    private const ushort EtherTypeIpv4 = 0x0800;
    private const ushort EtherTypeIpv6 = 0x86DD;
    private const ushort EtherTypeVlan = 0x8100;
    private const ushort EtherTypeQinQ = 0x88A8;
    private const ushort EtherTypeQinQOld = 0x9100;
    private const ushort GreTransparentEthernet = 0x6558;
    private const ushort GreErspanII = 0x88BE;
    private const ushort GreErspanIII = 0x22EB;
    private const ushort VxlanPort = 4789;
    private const int MaxVlanTags = 2;

    private readonly IpDefragmenter _defragmenter;
    private readonly int _maxEncapsulationDepth;
    private readonly DecodingOptions _options;

    // Checksum verification: decided in capture order on the reading thread, so every worker count
    // and every run of the same input sees the same decisions.
    private bool _verifyChecksums;
    private long _checksumsSampled;
    private long _checksumsBadInSample;
    private ulong _pseudoHeaderSum;   // of the innermost IP header, for the TCP checksum
    private bool _ipHeaderBad;

    public PacketDecoder(DecodingOptions options)
    {
        _options = options;
        _defragmenter = new IpDefragmenter(options, Errors);
        _maxEncapsulationDepth = options.MaxEncapsulationDepth;
        _verifyChecksums = options.ChecksumValidation != ChecksumValidation.Never;
    }

    /// <summary>Bad checksums seen (the packets still go on, marked) and whether automatic mode gave up verifying.</summary>
    public ReasonCounters<ChecksumEvent> Checksums { get; } = new();
    public bool VerifyingChecksums => _verifyChecksums;

    public ReasonCounters<DecodeError> Errors { get; } = new();
    public ReasonCounters<IgnoredProtocol> Ignored { get; } = new();
    public long FragmentsReassembled => _defragmenter.Reassembled;
    public long FragmentBytesHeld => _defragmenter.BytesHeld;

    public DecodeOutcome Decode(in CaptureFrame frame, ref DecodedPacket packet)
    {
        packet = default;
        packet.TimestampMicros = frame.TimestampMicros;
        var data = frame.Data;
        switch (frame.LinkType)
        {
            case LinkType.Ethernet:
                return DecodeEthernet(data, ref packet);
            case LinkType.Raw:
                return data.Length == 0 ? Fail(DecodeError.TruncatedIpHeader) : DecodeIpByVersion(data, ref packet);
            case LinkType.Ipv4:
                return DecodeIpv4(data, ref packet);
            case LinkType.Ipv6:
                return DecodeIpv6(data, ref packet);
            case LinkType.Null:
            case LinkType.Loop:
                return DecodeNull(data, frame.LinkType == LinkType.Loop, ref packet);
            case LinkType.LinuxSll:
                if (data.Length < 16) return Fail(DecodeError.TruncatedLinkHeader);
                return DecodeEtherType(BinaryPrimitives.ReadUInt16BigEndian(data[14..]), data[16..], ref packet);
            case LinkType.LinuxSll2:
                if (data.Length < 20) return Fail(DecodeError.TruncatedLinkHeader);
                return DecodeEtherType(BinaryPrimitives.ReadUInt16BigEndian(data), data[20..], ref packet);
            default:
                return Fail(DecodeError.UnsupportedLinkProtocol);
        }
    }

    /// <summary>Advances packet time for the fragment table even when no fragment arrives.</summary>
    public void ExpireFragments(long nowMicros) => _defragmenter.Expire(nowMicros);

    private DecodeOutcome Fail(DecodeError error)
    {
        Errors.Add(error);
        return DecodeOutcome.Error;
    }

    private DecodeOutcome Ignore(IgnoredProtocol protocol)
    {
        Ignored.Add(protocol);
        return DecodeOutcome.Ignored;
    }

    private DecodeOutcome DecodeNull(ReadOnlySpan<byte> data, bool networkOrder, ref DecodedPacket packet)
    {
        if (data.Length < 4) return Fail(DecodeError.TruncatedLinkHeader);
        // DLT_NULL stores the address family in the byte order of the capturing host.
        var family = networkOrder ? BinaryPrimitives.ReadUInt32BigEndian(data) : BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (!networkOrder && family > 0xFFFF) family = BinaryPrimitives.ReadUInt32BigEndian(data);
        return family switch
        {
            2 => DecodeIpv4(data[4..], ref packet),
            10 or 24 or 28 or 30 => DecodeIpv6(data[4..], ref packet),
            _ => Ignore(IgnoredProtocol.NonIp),
        };
    }

    private DecodeOutcome DecodeEthernet(ReadOnlySpan<byte> data, ref DecodedPacket packet)
    {
        if (data.Length < 14) return Fail(DecodeError.TruncatedLinkHeader);
        var etherType = BinaryPrimitives.ReadUInt16BigEndian(data[12..]);
        var offset = 14;
        var tags = 0;
        packet.Vlan = 0;
        packet.InnerVlan = 0;
        while (etherType is EtherTypeVlan or EtherTypeQinQ or EtherTypeQinQOld)
        {
            if (++tags > MaxVlanTags) return Fail(DecodeError.TooManyVlanTags);
            if (data.Length < offset + 4) return Fail(DecodeError.TruncatedLinkHeader);
            var vlanId = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(data[offset..]) & 0x0FFF);
            if (tags == 1) packet.Vlan = vlanId; else packet.InnerVlan = vlanId;
            etherType = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
            offset += 4;
        }
        return DecodeEtherType(etherType, data[offset..], ref packet);
    }

    private DecodeOutcome DecodeEtherType(ushort etherType, ReadOnlySpan<byte> data, ref DecodedPacket packet) => etherType switch
    {
        EtherTypeIpv4 => DecodeIpv4(data, ref packet),
        EtherTypeIpv6 => DecodeIpv6(data, ref packet),
        _ => Ignore(IgnoredProtocol.NonIp),
    };

    private DecodeOutcome DecodeIpByVersion(ReadOnlySpan<byte> data, ref DecodedPacket packet) => (data[0] >> 4) switch
    {
        4 => DecodeIpv4(data, ref packet),
        6 => DecodeIpv6(data, ref packet),
        _ => Fail(DecodeError.BadIpVersion),
    };

    private DecodeOutcome DecodeIpv4(ReadOnlySpan<byte> data, ref DecodedPacket packet)
    {
        if (data.Length < 20) return Fail(DecodeError.TruncatedIpHeader);
        if (data[0] >> 4 != 4) return Fail(DecodeError.BadIpVersion);
        var headerLength = (data[0] & 0x0F) * 4;
        if (headerLength < 20) return Fail(DecodeError.BadIpHeaderLength);
        if (data.Length < headerLength) return Fail(DecodeError.TruncatedIpHeader);
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        // Total length 0 is what TCP segmentation offload leaves in locally captured packets.
        if (totalLength == 0) totalLength = data.Length;
        if (totalLength < headerLength) return Fail(DecodeError.BadIpHeaderLength);

        packet.IpVersion = 4;
        packet.Protocol = data[9];
        packet.Ttl = data[8];
        packet.Source = IpAddress.FromV4(data[12..]);
        packet.Destination = IpAddress.FromV4(data[16..]);
        // Offload (TSO) leaves the total length 0 and the checksums unfilled: nothing to verify then.
        var verifiable = _verifyChecksums && BinaryPrimitives.ReadUInt16BigEndian(data[2..]) != 0;
        _ipHeaderBad = verifiable && !InternetChecksum.IsValid(InternetChecksum.Add(0, data[..headerLength]));
        _pseudoHeaderSum = verifiable ? InternetChecksum.Add(0, data.Slice(12, 8)) : 0;

        // Trim Ethernet padding; a frame shorter than the IP length was cut by the snaplen.
        var available = Math.Min(totalLength, data.Length);
        var payload = data[headerLength..available];
        var payloadWireLength = totalLength - headerLength;

        var flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(data[6..]);
        var moreFragments = (flagsAndOffset & 0x2000) != 0;
        var fragmentOffset = (flagsAndOffset & 0x1FFF) * 8;
        if (moreFragments || fragmentOffset != 0)
        {
            if (payload.Length < payloadWireLength) return Fail(DecodeError.IpLengthBeyondFrame);
            if (_ipHeaderBad)
            {
                // The receiver's IP layer discards it before reassembly: so does the sensor.
                CountChecksum(bad: true, ChecksumEvent.BadIpChecksum);
                return DecodeOutcome.Error;
            }
            var id = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
            if (!_defragmenter.Add(packet.TimestampMicros, packet.Source, packet.Destination, id, packet.Protocol, 0,
                    fragmentOffset, moreFragments, payload, out var datagram, out _))
                return DecodeOutcome.FragmentHeld;
            return DecodeTransport(datagram, datagram.Length, ref packet);
        }
        return DecodeTransport(payload, payloadWireLength, ref packet);
    }

    private DecodeOutcome DecodeIpv6(ReadOnlySpan<byte> data, ref DecodedPacket packet)
    {
        if (data.Length < 40) return Fail(DecodeError.TruncatedIpHeader);
        if (data[0] >> 4 != 6) return Fail(DecodeError.BadIpVersion);
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
        if (payloadLength == 0) payloadLength = data.Length - 40; // jumbogram or offload
        packet.IpVersion = 6;
        packet.Ttl = data[7];
        packet.Source = IpAddress.FromV6(data[8..]);
        packet.Destination = IpAddress.FromV6(data[24..]);
        _ipHeaderBad = false; // IPv6 has no header checksum
        _pseudoHeaderSum = _verifyChecksums && BinaryPrimitives.ReadUInt16BigEndian(data[4..]) != 0 ? InternetChecksum.Add(0, data.Slice(8, 32)) : 0;

        var next = data[6];
        var available = Math.Min(40 + payloadLength, data.Length);
        var rest = data[40..available];
        var restWire = payloadLength;
        // Walk the extension header chain to the transport header.
        for (var hops = 0; ; hops++)
        {
            if (hops > 8) return Fail(DecodeError.Ipv6ExtensionHeaders);
            if (next is 0 or 43 or 60 or 51)
            {
                if (rest.Length < 8) return Fail(DecodeError.Ipv6ExtensionHeaders);
                var length = next == 51 ? (rest[1] + 2) * 4 : (rest[1] + 1) * 8;
                if (rest.Length < length) return Fail(DecodeError.Ipv6ExtensionHeaders);
                next = rest[0];
                rest = rest[length..];
                restWire -= length;
                continue;
            }
            if (next == 44)
            {
                // Fragment header: next header, reserved, offset (13 bits) << 3 | M, identification.
                if (rest.Length < 8) return Fail(DecodeError.Ipv6Fragment);
                var offsetAndMore = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
                var fragmentOffset = offsetAndMore & 0xFFF8;
                var moreFragments = (offsetAndMore & 1) != 0;
                var fragmentNext = rest[0];
                var fragmentId = BinaryPrimitives.ReadUInt32BigEndian(rest[4..]);
                rest = rest[8..];
                restWire -= 8;
                if (fragmentOffset == 0 && !moreFragments) { next = fragmentNext; continue; } // atomic fragment (RFC 6946)
                if (rest.Length < restWire) return Fail(DecodeError.IpLengthBeyondFrame);
                if (!_defragmenter.Add(packet.TimestampMicros, packet.Source, packet.Destination,
                        fragmentId, 0, fragmentNext,
                        fragmentOffset, moreFragments, rest, out var datagram, out var firstNext))
                    return DecodeOutcome.FragmentHeld;
                next = firstNext;
                rest = datagram;
                restWire = datagram.Length;
                continue;
            }
            break;
        }
        packet.Protocol = next;
        return DecodeTransport(rest, restWire, ref packet);
    }

    private DecodeOutcome DecodeTransport(ReadOnlySpan<byte> data, int wireLength, ref DecodedPacket packet)
    {
        switch (packet.Protocol)
        {
            case 6:
                return DecodeTcp(data, wireLength, ref packet);
            case 17:
                return DecodeUdp(data, ref packet);
            case 47:
                return DecodeGre(data, ref packet);
            case 4:
                return Encapsulated(ref packet) ? DecodeIpv4(data, ref packet) : DecodeOutcome.Error;
            case 41:
                return Encapsulated(ref packet) ? DecodeIpv6(data, ref packet) : DecodeOutcome.Error;
            case 1:
            case 58:
                return Ignore(IgnoredProtocol.Icmp);
            default:
                return Ignore(IgnoredProtocol.OtherIp);
        }
    }

    private DecodeOutcome DecodeTcp(ReadOnlySpan<byte> data, int wireLength, ref DecodedPacket packet)
    {
        if (data.Length < 20) return Fail(DecodeError.TruncatedTcpHeader);
        var headerLength = (data[12] >> 4) * 4;
        if (headerLength < 20) return Fail(DecodeError.BadTcpHeaderLength);
        if (data.Length < headerLength) return Fail(DecodeError.TruncatedTcpHeader);
        packet.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(data);
        packet.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        packet.Sequence = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        packet.Acknowledgment = BinaryPrimitives.ReadUInt32BigEndian(data[8..]);
        packet.Flags = (TcpFlags)data[13];
        packet.Window = BinaryPrimitives.ReadUInt16BigEndian(data[14..]);
        packet.UrgentPointer = BinaryPrimitives.ReadUInt16BigEndian(data[18..]);
        packet.WindowScale = (packet.Flags & TcpFlags.Syn) != 0 ? ReadWindowScale(data[20..headerLength]) : (sbyte)-1;
        packet.Payload = data[headerLength..];
        packet.PayloadWireLength = Math.Max(packet.Payload.Length, wireLength - headerLength);
        packet.Checksum = VerifyTcpChecksum(data, wireLength, packet.IpVersion);
        return DecodeOutcome.Tcp;
    }

    private ChecksumStatus VerifyTcpChecksum(ReadOnlySpan<byte> segment, int wireLength, byte ipVersion)
    {
        if (!_verifyChecksums || _pseudoHeaderSum == 0) return ChecksumStatus.NotVerified;
        if (_ipHeaderBad) return CountChecksum(bad: true, ChecksumEvent.BadIpChecksum);
        if (segment.Length < wireLength) return ChecksumStatus.NotVerified; // cut by the snaplen
        var sum = _pseudoHeaderSum;
        sum = InternetChecksum.AddNetwork16(sum, 6);
        if (ipVersion == 6) sum = InternetChecksum.AddNetwork16(sum, (ushort)(segment.Length >> 16));
        sum = InternetChecksum.AddNetwork16(sum, (ushort)segment.Length);
        sum = InternetChecksum.Add(sum, segment);
        return CountChecksum(!InternetChecksum.IsValid(sum), ChecksumEvent.BadTcpChecksum);
    }

    private ChecksumStatus CountChecksum(bool bad, ChecksumEvent reason)
    {
        if (bad) Checksums.Add(reason);
        if (_options.ChecksumValidation == ChecksumValidation.Auto && _checksumsSampled < _options.ChecksumAutoSamplePackets)
        {
            _checksumsSampled++;
            if (bad) _checksumsBadInSample++;
            // Suricata's rule of thumb: more than a tenth bad among the first packets means offload, not attack.
            if (_checksumsBadInSample >= _options.ChecksumAutoMinBad && _checksumsBadInSample * 10 > _checksumsSampled)
            {
                _verifyChecksums = false;
                _checksumsSampled = long.MaxValue;
                Checksums.Add(ChecksumEvent.ValidationDisabled);
            }
        }
        if (!bad) return ChecksumStatus.Valid;
        return reason == ChecksumEvent.BadIpChecksum ? ChecksumStatus.BadIp : ChecksumStatus.BadTcp;
    }

    /// <summary>The shift count of a window scale option (kind 3), or -1 when the options carry none.</summary>
    private static sbyte ReadWindowScale(ReadOnlySpan<byte> options)
    {
        while (!options.IsEmpty)
        {
            var kind = options[0];
            if (kind == 0) break;
            if (kind == 1) { options = options[1..]; continue; }
            if (options.Length < 2 || options[1] < 2 || options[1] > options.Length) break;
            if (kind == 3 && options[1] == 3) return (sbyte)Math.Min(options[2], (byte)14); // RFC 7323: larger counts mean 14
            options = options[options[1]..];
        }
        return -1;
    }

    private DecodeOutcome DecodeUdp(ReadOnlySpan<byte> data, ref DecodedPacket packet)
    {
        if (data.Length < 8) return Fail(DecodeError.TruncatedUdpHeader);
        var destinationPort = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if (destinationPort != VxlanPort) return Ignore(IgnoredProtocol.Udp);
        // VXLAN: 8-byte header whose I flag says a valid VNI follows, then an Ethernet frame.
        var vxlan = data[8..];
        if (vxlan.Length < 8) return Fail(DecodeError.TruncatedTunnelHeader);
        if ((vxlan[0] & 0x08) == 0) return Fail(DecodeError.UnsupportedTunnel);
        return Encapsulated(ref packet) ? DecodeEthernet(vxlan[8..], ref packet) : DecodeOutcome.Error;
    }

    private DecodeOutcome DecodeGre(ReadOnlySpan<byte> data, ref DecodedPacket packet)
    {
        if (data.Length < 4) return Fail(DecodeError.TruncatedTunnelHeader);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(data);
        if ((flags & 0x0007) != 0) return Fail(DecodeError.UnsupportedTunnel); // GRE v1 is PPTP
        var protocol = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        var hasSequence = (flags & 0x1000) != 0;
        var length = 4 + ((flags & 0x8000) != 0 ? 4 : 0) + ((flags & 0x2000) != 0 ? 4 : 0) + (hasSequence ? 4 : 0);
        if (data.Length < length) return Fail(DecodeError.TruncatedTunnelHeader);
        var inner = data[length..];
        if (!Encapsulated(ref packet)) return DecodeOutcome.Error;
        switch (protocol)
        {
            case EtherTypeIpv4:
                return DecodeIpv4(inner, ref packet);
            case EtherTypeIpv6:
                return DecodeIpv6(inner, ref packet);
            case GreTransparentEthernet:
                return DecodeEthernet(inner, ref packet);
            case GreErspanII:
                // ERSPAN type I has no sequence number and no ERSPAN header; type II has an 8-byte header.
                if (!hasSequence) return DecodeEthernet(inner, ref packet);
                return inner.Length < 8 ? Fail(DecodeError.TruncatedTunnelHeader) : DecodeEthernet(inner[8..], ref packet);
            case GreErspanIII:
                {
                    // 12-byte header, plus an 8-byte platform sub-header when the O bit is set.
                    if (inner.Length < 12) return Fail(DecodeError.TruncatedTunnelHeader);
                    var headerLength = (inner[11] & 0x01) != 0 ? 20 : 12;
                    return inner.Length < headerLength ? Fail(DecodeError.TruncatedTunnelHeader) : DecodeEthernet(inner[headerLength..], ref packet);
                }
            default:
                return Fail(DecodeError.UnsupportedTunnel);
        }
    }

    private bool Encapsulated(ref DecodedPacket packet)
    {
        if (++packet.EncapsulationDepth <= _maxEncapsulationDepth) return true;
        Errors.Add(DecodeError.TunnelTooDeep);
        return false;
    }
}
