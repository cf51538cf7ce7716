using System.Buffers.Binary;
using System.Net;
using TrafficSensor.Capture;

namespace TrafficSensor.Tests.TestSupport;

/// <summary>Builds real IPv4/IPv6 + TCP bytes (with correct lengths and checksums) and wraps them in link layers and tunnels.</summary>
public static class PacketFactory
{
    [Flags]
    public enum Tcp : byte { Fin = 1, Syn = 2, Rst = 4, Psh = 8, Ack = 16 }

    public static byte[] TcpSegment(IPAddress src, ushort sport, IPAddress dst, ushort dport, uint seq, uint ack, Tcp flags, ReadOnlySpan<byte> payload, ushort ipId = 1)
    {
        var tcp = new byte[20 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), ack);
        tcp[12] = 5 << 4;
        tcp[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 65535);
        payload.CopyTo(tcp.AsSpan(20));
        var checksum = TransportChecksum(src, dst, 6, tcp);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(16), checksum);
        return Ip(src, dst, 6, tcp, ipId);
    }

    public static byte[] Udp(IPAddress src, ushort sport, IPAddress dst, ushort dport, ReadOnlySpan<byte> payload)
    {
        var udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp.AsSpan(8));
        return Ip(src, dst, 17, udp, 7);
    }

    public static byte[] Ip(IPAddress src, IPAddress dst, byte protocol, ReadOnlySpan<byte> payload, ushort id = 1)
    {
        if (src.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            var v6 = new byte[40 + payload.Length];
            v6[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(v6.AsSpan(4), (ushort)payload.Length);
            v6[6] = protocol;
            v6[7] = 64;
            src.TryWriteBytes(v6.AsSpan(8), out _);
            dst.TryWriteBytes(v6.AsSpan(24), out _);
            payload.CopyTo(v6.AsSpan(40));
            return v6;
        }
        var v4 = new byte[20 + payload.Length];
        v4[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(v4.AsSpan(2), (ushort)v4.Length);
        BinaryPrimitives.WriteUInt16BigEndian(v4.AsSpan(4), id);
        v4[8] = 64;
        v4[9] = protocol;
        src.TryWriteBytes(v4.AsSpan(12), out _);
        dst.TryWriteBytes(v4.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(v4.AsSpan(10), Checksum(v4.AsSpan(0, 20)));
        payload.CopyTo(v4.AsSpan(20));
        return v4;
    }

    /// <summary>Splits an IPv4 packet into fragments whose payloads are <paramref name="fragmentPayload"/> bytes (a multiple of 8).</summary>
    public static List<byte[]> Fragment(byte[] ipv4, int fragmentPayload)
    {
        var header = ipv4.AsSpan(0, 20);
        var payload = ipv4.AsSpan(20);
        var list = new List<byte[]>();
        for (var offset = 0; offset < payload.Length; offset += fragmentPayload)
        {
            var n = Math.Min(fragmentPayload, payload.Length - offset);
            var f = new byte[20 + n];
            header.CopyTo(f);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(2), (ushort)f.Length);
            var more = offset + n < payload.Length;
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(6), (ushort)((more ? 0x2000 : 0) | (offset / 8)));
            f[10] = f[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(10), Checksum(f.AsSpan(0, 20)));
            payload.Slice(offset, n).CopyTo(f.AsSpan(20));
            list.Add(f);
        }
        return list;
    }

    /// <summary>Splits an IPv6 packet (no extension headers) into fragments with a Fragment header each.</summary>
    public static List<byte[]> Fragment6(byte[] ipv6, int fragmentPayload, uint id)
    {
        var payload = ipv6.AsSpan(40);
        var list = new List<byte[]>();
        for (var offset = 0; offset < payload.Length; offset += fragmentPayload)
        {
            var n = Math.Min(fragmentPayload, payload.Length - offset);
            var f = new byte[48 + n];
            ipv6.AsSpan(0, 40).CopyTo(f);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(4), (ushort)(8 + n));
            f[6] = 44;
            f[40] = ipv6[6];
            var more = offset + n < payload.Length;
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(42), (ushort)(offset | (more ? 1 : 0)));
            BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(44), id);
            payload.Slice(offset, n).CopyTo(f.AsSpan(48));
            list.Add(f);
        }
        return list;
    }

    public static byte[] Ethernet(byte[] ip, params ushort[] vlans)
    {
        var etherType = (ushort)((ip[0] >> 4) == 6 ? 0x86DD : 0x0800);
        var frame = new byte[14 + 4 * vlans.Length + ip.Length];
        new byte[] { 0x02, 0, 0, 0, 0, 2 }.CopyTo(frame, 0);
        new byte[] { 0x02, 0, 0, 0, 0, 1 }.CopyTo(frame, 6);
        var o = 12;
        for (var i = 0; i < vlans.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(o), (ushort)(i == 0 && vlans.Length > 1 ? 0x88A8 : 0x8100));
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(o + 2), vlans[i]);
            o += 4;
        }
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(o), etherType);
        ip.CopyTo(frame, o + 2);
        return frame;
    }

    public static byte[] LinuxSll(byte[] ip)
    {
        var f = new byte[16 + ip.Length];
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(2), 1); // ARPHRD_ETHER
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(4), 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14), (ushort)((ip[0] >> 4) == 6 ? 0x86DD : 0x0800));
        ip.CopyTo(f, 16);
        return f;
    }

    public static byte[] LinuxSll2(byte[] ip)
    {
        var f = new byte[20 + ip.Length];
        BinaryPrimitives.WriteUInt16BigEndian(f, (ushort)((ip[0] >> 4) == 6 ? 0x86DD : 0x0800));
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(8), 1);
        f[11] = 6;
        ip.CopyTo(f, 20);
        return f;
    }

    public static byte[] Null(byte[] ip)
    {
        var f = new byte[4 + ip.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(f, (ip[0] >> 4) == 6 ? 30u : 2u);
        ip.CopyTo(f, 4);
        return f;
    }

    /// <summary>GRE around an inner Ethernet frame: transparent bridging, ERSPAN type II or III.</summary>
    public static byte[] Gre(byte[] innerEthernet, ushort protocol, IPAddress outerSrc, IPAddress outerDst)
    {
        var erspanHeader = protocol switch { 0x88BE => 8, 0x22EB => 12, _ => 0 };
        var sequence = protocol == 0x88BE || protocol == 0x22EB;
        var gre = new byte[4 + (sequence ? 4 : 0) + erspanHeader + innerEthernet.Length];
        BinaryPrimitives.WriteUInt16BigEndian(gre, (ushort)(sequence ? 0x1000 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(gre.AsSpan(2), protocol);
        var o = 4 + (sequence ? 4 : 0);
        if (erspanHeader > 0) gre[o] = (byte)(protocol == 0x88BE ? 0x10 : 0x20); // version nibble
        innerEthernet.CopyTo(gre, o + erspanHeader);
        return Ethernet(Ip(outerSrc, outerDst, 47, gre, 99));
    }

    public static byte[] Vxlan(byte[] innerEthernet, IPAddress outerSrc, IPAddress outerDst)
    {
        var vx = new byte[8 + innerEthernet.Length];
        vx[0] = 0x08;
        vx[6] = 0x01; // VNI 0x000100 >> 8
        innerEthernet.CopyTo(vx, 8);
        return Ethernet(Udp(outerSrc, 49152, outerDst, 4789, vx));
    }

    public static byte[] Wrap(LinkType link, byte[] ip) => link switch
    {
        LinkType.Ethernet => Ethernet(ip),
        LinkType.LinuxSll => LinuxSll(ip),
        LinkType.LinuxSll2 => LinuxSll2(ip),
        LinkType.Null => Null(ip),
        LinkType.Raw => ip,
        _ => throw new ArgumentOutOfRangeException(nameof(link)),
    };

    private static ushort TransportChecksum(IPAddress src, IPAddress dst, byte protocol, ReadOnlySpan<byte> segment)
    {
        var s = src.GetAddressBytes();
        var d = dst.GetAddressBytes();
        var pseudo = new byte[s.Length + d.Length + 4 + segment.Length + 1];
        s.CopyTo(pseudo, 0);
        d.CopyTo(pseudo, s.Length);
        pseudo[s.Length + d.Length + 1] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(s.Length + d.Length + 2), (ushort)segment.Length);
        segment.CopyTo(pseudo.AsSpan(s.Length + d.Length + 4));
        return Checksum(pseudo.AsSpan(0, pseudo.Length - 1));
    }

    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) != 0) sum += (uint)(data[^1] << 8);
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
