using System.Text;
using TrafficSensor.Decoding;
using TrafficSensor.Reassembly;

namespace TrafficSensor.Tests.Reassembly;

/// <summary>Connection-level judgement: each segment taken as a Linux receiver would take it.</summary>
public class TcpConnectionTests
{
    private const uint ClientIsn = 5000, ServerIsn = 90000;
    private const byte ClientTtl = 64, ServerTtl = 57;

    private sealed class Harness
    {
        public readonly StreamRecorder Client = new(), Server = new();
        public readonly ReassemblyCounters Counters = new();
        public readonly MemoryBudget Memory = new(1 << 24);
        public readonly TcpConnection Tcp;
        public uint ClientNext = ClientIsn + 1, ServerNext = ServerIsn + 1;

        public Harness(ChecksumValidation checksums = ChecksumValidation.Auto, sbyte scale = 7)
        {
            Tcp = new TcpConnection(Client, Server, new ReassemblyOptions(), Memory, Counters, checksums);
            FromClient(ClientIsn, 0, TcpFlags.Syn, "", windowScale: scale);
            FromServer(ServerIsn, ClientIsn + 1, TcpFlags.Syn | TcpFlags.Ack, "", windowScale: scale);
            FromClient(ClientNext, ServerNext, TcpFlags.Ack, "");
        }

        public TcpSegmentOutcome FromClient(uint seq, uint ack, TcpFlags flags, string data, byte ttl = ClientTtl, ushort window = 502,
            ChecksumStatus checksum = ChecksumStatus.Valid, sbyte windowScale = -1, ushort urgent = 0) =>
            Tcp.OnSegment(true, new TcpSegmentInfo(seq, ack, flags, window, windowScale, ttl, urgent, checksum, data.Length), Encoding.Latin1.GetBytes(data), 0);

        public TcpSegmentOutcome FromServer(uint seq, uint ack, TcpFlags flags, string data, byte ttl = ServerTtl, ushort window = 502,
            ChecksumStatus checksum = ChecksumStatus.Valid, sbyte windowScale = -1) =>
            Tcp.OnSegment(false, new TcpSegmentInfo(seq, ack, flags, window, windowScale, ttl, 0, checksum, data.Length), Encoding.Latin1.GetBytes(data), 0);
    }

    private const TcpFlags PshAck = TcpFlags.Psh | TcpFlags.Ack;

    [Fact]
    public void Data_sent_into_a_zero_window_is_dropped_as_the_receiver_drops_it()
    {
        var h = new Harness();
        // The server advertised 502 << 7 bytes; the client fills them exactly, then the window is zero.
        var window = 502 << 7;
        var fill = new string('a', window);
        h.FromClient(h.ClientNext, h.ServerNext, PshAck, fill);
        h.FromServer(h.ServerNext, h.ClientNext + (uint)window, TcpFlags.Ack, "", window: 0);
        var decoy = h.FromClient(h.ClientNext + (uint)window, h.ServerNext, PshAck, "DECOY");
        Assert.Equal(TcpSegmentOutcome.Ignored, decoy);
        // The application reads, the window opens, the real bytes come.
        h.FromServer(h.ServerNext, h.ClientNext + (uint)window, TcpFlags.Ack, "", window: 502);
        h.FromClient(h.ClientNext + (uint)window, h.ServerNext, PshAck, "REAL!");
        Assert.Equal(fill + "REAL!", h.Client.ToString());
        Assert.Equal(1, h.Counters.Events[ReassemblyEvent.DataOutsideWindow]);
        Assert.Equal(5, h.Counters.DroppedBytes[ReassemblyDrop.NotAccepted]);
        Assert.True(h.Tcp.TakeAnomalies().HasFlag(TcpAnomalies.DataOutsideWindow));
    }

    [Fact]
    public void Without_window_scaling_on_both_sides_the_window_is_taken_unscaled()
    {
        foreach (var scale in new sbyte[] { -1, 7 })
        {
            var h = new Harness(scale: scale);
            h.FromServer(h.ServerNext, h.ClientNext, TcpFlags.Ack, "", window: 502);
            var beyond = h.FromClient(h.ClientNext + 502, h.ServerNext, PshAck, "beyond unscaled window");
            Assert.Equal(scale < 0 ? TcpSegmentOutcome.Ignored : TcpSegmentOutcome.Accepted, beyond);
        }
    }

    [Fact]
    public void Only_an_rst_at_the_expected_sequence_number_ends_the_connection()
    {
        var h = new Harness();
        h.FromClient(h.ClientNext, h.ServerNext, PshAck, "GET / HTTP/1.1\r\n");
        var next = h.ClientNext + 16;
        Assert.Equal(TcpSegmentOutcome.Ignored, h.FromClient(next + 1, 0, TcpFlags.Rst, ""));           // in window, not exact
        Assert.Equal(TcpSegmentOutcome.Ignored, h.FromClient(next + 1_000_000, 0, TcpFlags.Rst, ""));   // far away
        Assert.Equal(TcpSegmentOutcome.Ignored, h.FromClient(next, 0, TcpFlags.Rst, "", checksum: ChecksumStatus.BadTcp));
        Assert.Equal(TcpSegmentOutcome.Ignored, h.FromClient(next, 0, TcpFlags.Rst, "", ttl: 3));
        Assert.Equal(0, h.Client.Ends);
        Assert.Equal(3, h.Counters.Events[ReassemblyEvent.RstIgnored]);
        Assert.Equal(1, h.Counters.Events[ReassemblyEvent.BadChecksumIgnored]);
        Assert.Equal(TcpSegmentOutcome.Reset, h.FromClient(next, 0, TcpFlags.Rst, ""));
        Assert.Equal(1, h.Client.Ends);
        Assert.Equal(1, h.Server.Ends);
    }

    [Fact]
    public void A_held_decoy_does_not_move_where_an_rst_is_expected()
    {
        var h = new Harness();
        h.FromClient(h.ClientNext, h.ServerNext, PshAck, "GET /decoy", ttl: 2); // never reaches the server
        Assert.Equal(TcpSegmentOutcome.Ignored, h.FromClient(h.ClientNext + 10, 0, TcpFlags.Rst, ""));
        Assert.Equal(TcpSegmentOutcome.Reset, h.FromClient(h.ClientNext, 0, TcpFlags.Rst, ""));
    }

    [Fact]
    public void An_rst_refusing_a_syn_is_accepted()
    {
        var client = new StreamRecorder();
        var tcp = new TcpConnection(client, new StreamRecorder(), new ReassemblyOptions(), new MemoryBudget(1 << 20), new ReassemblyCounters());
        tcp.OnSegment(true, new TcpSegmentInfo(ClientIsn, 0, TcpFlags.Syn, 64240, 7, 64, 0, ChecksumStatus.Valid, 0), default, 0);
        var refusal = new TcpSegmentInfo(0, ClientIsn + 1, TcpFlags.Rst | TcpFlags.Ack, 0, -1, 64, 0, ChecksumStatus.Valid, 0);
        Assert.Equal(TcpSegmentOutcome.Reset, tcp.OnSegment(false, refusal, default, 0));
    }

    [Fact]
    public void A_copy_with_another_ttl_is_held_and_replaced_by_the_consistent_copy()
    {
        var h = new Harness();
        h.FromClient(h.ClientNext, h.ServerNext, PshAck, "GET /decoy", ttl: 2);
        Assert.Equal("", h.Client.ToString()); // held: it may die before the server
        h.FromClient(h.ClientNext, h.ServerNext, PshAck, "GET /shell");
        Assert.Equal("GET /shell", h.Client.ToString());
        var anomalies = h.Tcp.TakeAnomalies();
        Assert.True(anomalies.HasFlag(TcpAnomalies.TtlInconsistent));
        Assert.True(anomalies.HasFlag(TcpAnomalies.InconsistentCopyDiscarded));
        Assert.Equal(0, h.Memory.UsedBytes);
    }

    [Fact]
    public void A_consistent_copy_arriving_first_is_not_overwritten_by_a_later_decoy_even_with_overlap_last()
    {
        var h = new Harness();
        h.FromClient(h.ClientNext + 4, h.ServerNext, PshAck, "/shell"); // out of order: buffered
        h.FromClient(h.ClientNext + 4, h.ServerNext, PshAck, "/decoy", ttl: 9);
        h.FromClient(h.ClientNext, h.ServerNext, PshAck, "GET ");
        Assert.Equal("GET /shell", h.Client.ToString());
        Assert.True(h.Tcp.TakeAnomalies().HasFlag(TcpAnomalies.InconsistentCopyDiscarded));
    }

    [Fact]
    public void A_held_copy_the_receiver_acknowledges_is_delivered_and_flagged()
    {
        var h = new Harness();
        h.FromClient(h.ClientNext, h.ServerNext, PshAck, "GET /a", ttl: 60); // route changed: only TTL differs
        Assert.Equal("", h.Client.ToString());
        h.FromServer(h.ServerNext, h.ClientNext + 6, TcpFlags.Ack, "");
        Assert.Equal("GET /a", h.Client.ToString());
        Assert.True(h.Tcp.TakeAnomalies().HasFlag(TcpAnomalies.UnconfirmedCopyUsed));
    }

    [Fact]
    public void With_checksum_validation_always_a_bad_copy_is_dropped_outright()
    {
        var h = new Harness(ChecksumValidation.Always);
        Assert.Equal(TcpSegmentOutcome.Ignored, h.FromClient(h.ClientNext, h.ServerNext, PshAck, "GET /decoy", checksum: ChecksumStatus.BadTcp));
        h.FromServer(h.ServerNext, h.ClientNext + 10, TcpFlags.Ack, ""); // even an ack would not bring it back
        Assert.Equal("", h.Client.ToString());
        h.FromClient(h.ClientNext, h.ServerNext, PshAck, "GET /shell");
        Assert.Equal("GET /shell", h.Client.ToString());
    }

    [Fact]
    public void The_client_stream_follows_the_syn_the_syn_ack_acknowledges()
    {
        var client = new StreamRecorder();
        var counters = new ReassemblyCounters();
        var tcp = new TcpConnection(client, new StreamRecorder(), new ReassemblyOptions(), new MemoryBudget(1 << 20), counters);
        TcpSegmentInfo Seg(uint seq, uint ack, TcpFlags f, byte ttl, int length = 0) => new(seq, ack, f, 502, f.HasFlag(TcpFlags.Syn) ? (sbyte)7 : (sbyte)-1, ttl, 0, ChecksumStatus.Valid, length);
        tcp.OnSegment(true, Seg(7_000_000, 0, TcpFlags.Syn, 2), default, 0);            // decoy SYN, dies on the way
        tcp.OnSegment(true, Seg(ClientIsn, 0, TcpFlags.Syn, 64), default, 0);            // the real one
        tcp.OnSegment(false, Seg(ServerIsn, ClientIsn + 1, TcpFlags.Syn | TcpFlags.Ack, 57), default, 0);
        tcp.OnSegment(true, Seg(7_000_001, ServerIsn + 1, PshAck, 64, 5), "DECOY"u8, 0);
        tcp.OnSegment(true, Seg(ClientIsn + 1, ServerIsn + 1, PshAck, 64, 5), "SHELL"u8, 0);
        Assert.Equal("SHELL", client.ToString());
        Assert.Equal(1, counters.Events[ReassemblyEvent.SynNotAcknowledged]);
    }

    [Fact]
    public void Syn_data_counts_only_as_far_as_the_syn_ack_acknowledges_it()
    {
        foreach (var fastOpen in new[] { false, true })
        {
            var client = new StreamRecorder();
            var tcp = new TcpConnection(client, new StreamRecorder(), new ReassemblyOptions(), new MemoryBudget(1 << 20), new ReassemblyCounters());
            tcp.OnSegment(true, new TcpSegmentInfo(ClientIsn, 0, TcpFlags.Syn, 502, 7, 64, 0, ChecksumStatus.Valid, 4), "EARL"u8, 0);
            var ack = ClientIsn + 1 + (fastOpen ? 4u : 0u);
            tcp.OnSegment(false, new TcpSegmentInfo(ServerIsn, ack, TcpFlags.Syn | TcpFlags.Ack, 502, 7, 57, 0, ChecksumStatus.Valid, 0), default, 0);
            tcp.OnSegment(true, new TcpSegmentInfo(ClientIsn + 1, ServerIsn + 1, PshAck, 502, -1, 64, 0, ChecksumStatus.Valid, 8), "REALDATA"u8, 0);
            Assert.Equal(fastOpen ? "EARLDATA" : "REALDATA", client.ToString());
            Assert.Equal(!fastOpen, tcp.TakeAnomalies().HasFlag(TcpAnomalies.SynDataIgnored));
        }
    }

    [Fact]
    public void The_urgent_byte_is_removed_from_the_stream_like_the_receiving_socket_does()
    {
        var h = new Harness();
        // Urgent pointer 9: the urgent byte is the 9th ("X"), BSD/Linux reading.
        h.FromClient(h.ClientNext, h.ServerNext, PshAck | TcpFlags.Urg, "cmd=id;lXs", urgent: 9);
        Assert.Equal("cmd=id;ls", h.Client.ToString());
        Assert.True(h.Tcp.TakeAnomalies().HasFlag(TcpAnomalies.UrgentData));
    }

    [Fact]
    public void A_retransmission_of_delivered_bytes_with_other_bytes_is_flagged()
    {
        var h = new Harness();
        h.FromClient(h.ClientNext, h.ServerNext, PshAck, "GET /shell");
        h.FromClient(h.ClientNext, h.ServerNext, PshAck, "GET /shell"); // an honest retransmission
        Assert.Equal(TcpAnomalies.None, h.Tcp.TakeAnomalies());
        h.FromClient(h.ClientNext, h.ServerNext, PshAck, "GET /decoy");
        Assert.Equal("GET /shell", h.Client.ToString()); // Linux keeps the bytes it has
        Assert.True(h.Tcp.TakeAnomalies().HasFlag(TcpAnomalies.RetransmissionDifferentData));
    }

    [Fact]
    public void A_fin_with_a_bad_checksum_does_not_close_the_stream()
    {
        var h = new Harness();
        Assert.Equal(TcpSegmentOutcome.Accepted, h.FromClient(h.ClientNext, h.ServerNext, TcpFlags.Fin | TcpFlags.Ack, "", checksum: ChecksumStatus.BadTcp));
        h.FromClient(h.ClientNext, h.ServerNext, PshAck, "GET /shell");
        Assert.Equal("GET /shell", h.Client.ToString());
        Assert.Equal(0, h.Client.Ends);
        Assert.Equal(TcpSegmentOutcome.Fin, h.FromClient(h.ClientNext + 10, h.ServerNext, TcpFlags.Fin | TcpFlags.Ack, ""));
        Assert.Equal(1, h.Client.Ends);
    }
}
