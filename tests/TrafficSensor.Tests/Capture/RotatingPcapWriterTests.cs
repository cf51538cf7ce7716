using TrafficSensor.Capture;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Capture;

public sealed class RotatingPcapWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-rotate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Collect : IFrameHandler
    {
        public readonly List<(long Time, byte[] Data)> Frames = new();
        public void OnFrame(in CaptureFrame frame) => Frames.Add((frame.TimestampMicros, frame.Data.ToArray()));
    }

    private static byte[] Frame(int i, int size)
    {
        var data = new byte[size];
        new Random(i).NextBytes(data);
        return data;
    }

    [Fact]
    public void Rotates_by_size_keeps_the_newest_files_and_they_read_back_byte_for_byte()
    {
        const long start = 1_790_000_000_000_000;
        var writer = new RotatingPcapWriter(_dir, "trafficsensor-eth1", rotateBytes: 10_000, keepFiles: 3);
        for (var i = 0; i < 100; i++)
        {
            var data = Frame(i, 1000);
            writer.Write(new CaptureFrame(start + i * 1_000_000L, LinkType.Ethernet, data, 1000));
        }
        writer.Dispose();

        var files = Directory.GetFiles(_dir).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, files.Count);
        Assert.Equal(100, writer.FramesWritten);
        Assert.True(writer.FilesDeleted > 0);
        Assert.All(files, f => Assert.StartsWith("trafficsensor-eth1-", Path.GetFileName(f)));

        // libpcap reads every kept file; together they hold the newest frames, in order, unchanged.
        var reader = new PcapFileReader(null);
        var collect = new Collect();
        foreach (var f in files) Assert.Null(reader.Read(f, collect, default).Error);
        var firstKept = 100 - collect.Frames.Count;
        Assert.InRange(collect.Frames.Count, 20, 30); // 3 files of ~10 frames
        for (var k = 0; k < collect.Frames.Count; k++)
        {
            Assert.Equal(start + (firstKept + k) * 1_000_000L, collect.Frames[k].Time);
            Assert.Equal(Frame(firstKept + k, 1000), collect.Frames[k].Data);
        }
    }

    [Fact]
    public void Names_the_files_that_cover_a_time_span()
    {
        const long start = 1_790_000_000_000_000;
        using var writer = new RotatingPcapWriter(_dir, "x", rotateBytes: 3_000, keepFiles: 10);
        for (var i = 0; i < 10; i++) writer.Write(new CaptureFrame(start + i * 1_000_000L, LinkType.Ethernet, Frame(i, 1000), 1000));
        writer.Flush();
        var all = Directory.GetFiles(_dir).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(4, all.Count); // 3 frames (plus headers) per file

        Assert.Equal([all[0]], writer.FilesFor(start, start + 1_500_000));
        Assert.Equal([all[1], all[2]], writer.FilesFor(start + 4_000_000, start + 6_500_000));
        Assert.Equal([all[3]], writer.FilesFor(start + 9_500_000, start + 20_000_000)); // the newest file is still open-ended
        Assert.Empty(writer.FilesFor(start - 5_000_000, start - 1_000_000));
    }

    [Fact]
    public void A_failing_disk_stops_recording_without_throwing()
    {
        var sub = Path.Combine(_dir, "gone");
        using var writer = new RotatingPcapWriter(sub, "x", rotateBytes: 1_000, keepFiles: 2);
        writer.Write(new CaptureFrame(1, LinkType.Ethernet, Frame(1, 100), 100));
        Directory.Delete(sub, recursive: true); // the next rotation cannot create its file
        for (var i = 0; i < 20; i++) writer.Write(new CaptureFrame(2 + i, LinkType.Ethernet, Frame(i, 200), 200));
        Assert.NotNull(writer.Error);
        Assert.Contains("pcap recording stopped", writer.Error);
    }
}
