using TrafficSensor.Capture;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Capture;

/// <summary>Hostile trees of inputs: symlink loops, the same file by many names, FIFOs, unreadable entries.</summary>
public sealed class CaptureFileSetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-files-").FullName;

    private readonly List<string> _locked = new();

    public void Dispose()
    {
        foreach (var path in _locked) Tool("chmod", "700", path);
        Directory.Delete(_dir, recursive: true);
    }

    private string Capture(string relative)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Copy(Path.Combine(TestPaths.SharedRealPcaps, "cmdshell-php-marcellelee.pcap"), path);
        return path;
    }

    private static void Tool(string tool, params string[] args)
    {
        var (code, _, err) = ExternalTool.Run(tool, args);
        Assert.True(code == 0, $"{tool}: {err}");
    }

    private static void MakeFifo(string path) => Tool("mkfifo", path);

    [Fact]
    public void Symlink_loops_end_and_each_file_is_read_once_whatever_leads_to_it()
    {
        var a = Capture("tree/a.pcap");
        File.CreateSymbolicLink(Path.Combine(_dir, "tree", "self"), ".");            // tree/self/self/self/...
        File.CreateSymbolicLink(Path.Combine(_dir, "tree", "up"), "..");             // back to the root, which holds tree
        File.CreateSymbolicLink(Path.Combine(_dir, "tree", "alias.pcap"), "a.pcap"); // the same file under another name
        Tool("ln", a, Path.Combine(_dir, "tree", "hard.pcap"));             // and by a hard link

        var result = CaptureFileSet.Find([Path.Combine(_dir, "tree"), a, Path.Combine(_dir, "tree", "up", "tree", "a.pcap")]);

        var input = Assert.Single(result.Inputs);
        Assert.Equal(FileKind.Regular, input.Identity.Kind);
        Assert.NotNull(input.FirstTimestampMicros);
        Assert.Contains(result.Skipped, s => s.Contains("read once"));
    }

    [Fact]
    public void A_fifo_inside_a_directory_is_skipped_without_blocking_and_a_named_one_is_a_stream()
    {
        Capture("dir/a.pcap");
        var fifo = Path.Combine(_dir, "dir", "live.pcap");
        MakeFifo(fifo);

        var walked = CaptureFileSet.Find([Path.Combine(_dir, "dir")]); // would block forever if the FIFO were opened
        Assert.Single(walked.Inputs);
        Assert.Contains(walked.Skipped, s => s.Contains("live.pcap") && s.Contains("FIFO"));

        var named = CaptureFileSet.Find([fifo, Path.Combine(_dir, "dir", "a.pcap"), "-"]);
        Assert.Equal(["a.pcap", "live.pcap", "-"], named.Inputs.Select(i => Path.GetFileName(i.Path)));
        Assert.Equal([false, true, true], named.Inputs.Select(i => i.IsStream));
    }

    [Fact]
    public void Files_are_ordered_by_first_packet_and_a_transaction_maps_to_its_file()
    {
        var late = Capture("x/late.pcap");
        var lateFirst = PcapFileReader.FirstTimestamp(late)!.Value;
        var early = Path.Combine(_dir, "x", "early.pcap");
        SensorRun.ToPcap(LinkType.Ethernet, [new byte[40]], startMicros: lateFirst - 10_000_000).WriteTo(early);
        var result = CaptureFileSet.Find([Path.Combine(_dir, "x")]);
        Assert.Equal([early, late], result.Files);
        Assert.Equal(early, result.FileOf(lateFirst - 1));
        Assert.Equal(late, result.FileOf(lateFirst + 5));
    }

    [Fact]
    public void An_unreadable_directory_or_file_is_skipped_with_a_reason()
    {
        Capture("ok/a.pcap");
        var locked = Path.Combine(_dir, "ok", "locked");
        Capture("ok/locked/b.pcap");
        var unreadable = Capture("ok/c.pcap");
        Tool("chmod", "000", unreadable, locked);
        _locked.Add(locked);
        if (Environment.UserName == "root")
        {
            // root reads anything: check the same walk as an unprivileged user, through the CLI.
            Tool("chmod", "755", _dir);
            var (code, output, err) = ExternalTool.Run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "dotnet",
                Path.Combine(AppContext.BaseDirectory, "trafficsensor.dll"), "replay", "-q", "--no-model", Path.Combine(_dir, "ok")], environment: new Dictionary<string, string> { ["DOTNET_CLI_HOME"] = "/tmp", ["HOME"] = "/tmp" });
            Assert.True(code == 0, err); // before: UnauthorizedAccessException, exit 134
            Assert.Equal(11, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // a.pcap only
            Assert.Contains("skipped", err);
            Assert.Contains("locked: cannot list the directory", err);
            Assert.Contains("c.pcap: cannot be read", err);
            return;
        }
        var result = CaptureFileSet.Find([Path.Combine(_dir, "ok")]);
        Assert.Single(result.Inputs);
        Assert.Contains(result.Skipped, s => s.Contains("locked") && s.Contains("cannot list"));
        Assert.Contains(result.Skipped, s => s.Contains("c.pcap") && s.Contains("cannot be read"));
    }
}
