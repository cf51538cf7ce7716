using System.Text;
using System.Text.Json;
using TrafficSensor.Output;

namespace TrafficSensor.Tests.Output;

/// <summary>The log file's contract with logrotate and restarts: append, whole lines, reopen on demand.</summary>
public sealed class JsonLinesLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-log-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Line(int i) => Encoding.UTF8.GetBytes($"{{\"n\":{i},\"pad\":\"{new string('x', i % 300)}\"}}");

    private static List<int> Numbers(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("n").GetInt32()).ToList();

    [Fact]
    public void A_restart_appends_instead_of_truncating()
    {
        var path = Path.Combine(_dir, "alerts.json");
        using (var log = JsonLinesLog.Open(path)) log.Append(Line(1));
        using (var log = JsonLinesLog.Open(path)) log.Append(Line(2));
        Assert.Equal([1, 2], Numbers(path));
    }

    [Fact]
    public void After_copytruncate_the_next_line_starts_the_file_without_nul_bytes()
    {
        var path = Path.Combine(_dir, "alerts.json");
        using var log = JsonLinesLog.Open(path);
        for (var i = 0; i < 100; i++) log.Append(Line(i));
        log.Flush();
        // What logrotate's copytruncate does: copy, then truncate the file in place while the writer keeps it open.
        File.Copy(path, path + ".1");
        using (var truncate = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) truncate.SetLength(0);
        log.Append(Line(100));
        log.Flush();
        var bytes = File.ReadAllBytes(path);
        Assert.DoesNotContain((byte)0, bytes); // a FileStream would write at its old offset, after 100 lines' worth of NULs
        Assert.Equal([100], Numbers(path));
        Assert.Equal(Enumerable.Range(0, 100), Numbers(path + ".1"));
    }

    [Fact]
    public void Reopen_after_a_rename_loses_and_repeats_nothing()
    {
        var path = Path.Combine(_dir, "tx.json");
        using var log = JsonLinesLog.Open(path);
        for (var i = 0; i < 50; i++) log.Append(Line(i));
        File.Move(path, path + ".1"); // logrotate's rename; lines 0..49 may still be buffered
        for (var i = 50; i < 60; i++) log.Append(Line(i));
        log.Reopen(); // postrotate kill -HUP
        for (var i = 60; i < 70; i++) log.Append(Line(i));
        log.Dispose();
        Assert.Equal(Enumerable.Range(0, 60), Numbers(path + ".1"));
        Assert.Equal(Enumerable.Range(60, 10), Numbers(path));
    }

    [Fact]
    public void Concurrent_writers_produce_only_whole_lines_in_few_writes()
    {
        var path = Path.Combine(_dir, "tx.json");
        const int threads = 4, perThread = 5000;
        long writes;
        using (var log = JsonLinesLog.Open(path))
        {
            Parallel.For(0, threads, t =>
            {
                for (var i = 0; i < perThread; i++) log.Append(Line(t * perThread + i));
            });
            log.Flush();
            writes = log.WriteCalls;
            Assert.Equal(threads * perThread, log.LinesWritten);
        }
        var numbers = Numbers(path);
        Assert.Equal(Enumerable.Range(0, threads * perThread), numbers.Order());
        // One write(2) per batch of about 64 KiB (≈ 3.2 MB here), plus timer flushes: far fewer than one per record.
        Assert.True(writes < threads * perThread / 20, $"{writes} write calls for {threads * perThread} records");
    }

    [Fact]
    public void Records_reach_the_file_without_an_explicit_flush()
    {
        var path = Path.Combine(_dir, "alerts.json");
        using var log = JsonLinesLog.Open(path);
        log.Append(Line(7));
        // The 100 ms timer writes it; the bound here is only a guard against hanging, not a timing assertion.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (new FileInfo(path).Length == 0 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.Equal([7], Numbers(path));
    }

    [Fact]
    public void A_full_disk_drops_and_counts_lines_instead_of_failing_the_run()
    {
        using var log = JsonLinesLog.Open("/dev/full"); // every write fails with ENOSPC
        for (var i = 0; i < 3; i++) log.Append(Line(i));
        log.Flush();
        log.Append(Line(3));
        log.Flush();
        Assert.Equal(4, log.LinesLost);
        Assert.Equal(0, log.LinesWritten);
        Assert.Contains("/dev/full", log.Error);
    }

    [Fact]
    public void An_unwritable_path_is_a_clear_error()
    {
        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "");
        var e = Assert.Throws<IOException>(() => JsonLinesLog.Open(Path.Combine(file, "x.json")));
        Assert.Contains("a-file", e.Message);
    }
}
