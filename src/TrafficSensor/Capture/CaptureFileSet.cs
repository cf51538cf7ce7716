namespace TrafficSensor.Capture;

/// <summary>One capture input: a regular file (with its first packet's time, if readable) or a stream (FIFO, /dev/stdin, "-").</summary>
public sealed record CaptureInput(string Path, FileIdentity Identity, long? FirstTimestampMicros)
{
    public bool IsStream => Identity.Kind == FileKind.Stream || Path == "-";
}

/// <summary>The capture files to read, and what was skipped on the way and why.</summary>
public sealed record CaptureFileSetResult(IReadOnlyList<CaptureInput> Inputs, IReadOnlyList<string> Skipped)
{
    public IReadOnlyList<string> Files => Inputs.Select(i => i.Path).ToList();

    /// <summary>The input holding a transaction that started at <paramref name="micros"/>: the last regular file whose first packet is not later (files are read in that order).</summary>
    public string? FileOf(long micros)
    {
        string? found = null;
        // By index: an enumerator of the list interface would be one allocation per record written.
        for (var i = 0; i < Inputs.Count; i++)
        {
            var input = Inputs[i];
            if (input.FirstTimestampMicros is not { } first) continue;
            if (first > micros) break;
            found = input.Path;
        }
        return found ?? (Inputs.Count == 1 ? Inputs[0].Path : null);
    }
}

/// <summary>
/// Turns the paths a user gives (files, directories, FIFOs, "-" for standard input) into the list of
/// captures to read, in the order of their first packet, which is the order rotated captures
/// (tcpdump -G/-C, dumpcap ring buffers) were written in. Files whose first packet cannot be read go
/// after them, in name order, so their errors are still reported; streams go last, in the order given
/// (their first packet cannot be peeked without consuming it).
/// <para>Hostile trees are the normal case: each file is read once however many paths or symlinks lead
/// to it (identity = device + inode), symlink loops end (a directory is entered once), FIFOs and devices
/// inside directories are skipped (opening one would block), and unreadable entries are skipped; every
/// skip is reported in <see cref="CaptureFileSetResult.Skipped"/>.</para>
/// </summary>
public static class CaptureFileSet
{
    private static readonly string[] CaptureExtensions = [".pcap", ".pcapng", ".cap", ".dmp"];

    /// <summary>Bounds a hostile tree: beyond this many directory levels the walk stops (reported).</summary>
    public const int MaxDepth = 64;

    public static IReadOnlyList<string> Resolve(IEnumerable<string> paths) => Find(paths).Files;

    public static CaptureFileSetResult Find(IEnumerable<string> paths)
    {
        var files = new List<CaptureInput>();
        var streams = new List<CaptureInput>();
        var skipped = new List<string>();
        var seenFiles = new HashSet<(ulong, ulong)>();
        var seenDirectories = new HashSet<(ulong, ulong)>();

        void AddFile(string path, FileIdentity id, bool explicitlyNamed)
        {
            if (!seenFiles.Add((id.Device, id.Inode)))
            {
                if (explicitlyNamed) skipped.Add($"{path}: the same file as another input, read once");
                return;
            }
            files.Add(new CaptureInput(path, id, null));
        }

        void Walk(string directory, int depth)
        {
            if (depth > MaxDepth) { skipped.Add($"{directory}: deeper than {MaxDepth} directory levels, not searched"); return; }
            IEnumerable<string> entries;
            try
            {
                // Materialised here so an unreadable directory fails now, inside this try.
                entries = Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                skipped.Add($"{directory}: cannot list the directory ({e.Message})");
                return;
            }
            foreach (var entry in entries)
            {
                var id = FileIdentity.Of(entry);
                switch (id.Kind)
                {
                    case FileKind.Directory:
                        if (seenDirectories.Add((id.Device, id.Inode))) Walk(entry, depth + 1);
                        break;
                    case FileKind.Regular when LooksLikeCapture(entry):
                        if (!CanRead(entry, out var why)) skipped.Add($"{entry}: {why}");
                        else AddFile(entry, id, explicitlyNamed: false);
                        break;
                    case FileKind.Stream when LooksLikeCapture(entry):
                        skipped.Add($"{entry}: a FIFO or device inside a directory is not opened (it could block forever); name it on the command line to read it as a stream");
                        break;
                    case FileKind.Missing when LooksLikeCapture(entry):
                        skipped.Add($"{entry}: cannot be examined (a dangling symlink?)");
                        break;
                }
            }
        }

        foreach (var path in paths)
        {
            if (path == "-")
            {
                streams.Add(new CaptureInput("-", new FileIdentity(0, 0, FileKind.Stream), null));
                continue;
            }
            var id = FileIdentity.Of(path);
            switch (id.Kind)
            {
                case FileKind.Directory:
                    if (seenDirectories.Add((id.Device, id.Inode))) Walk(path, 0);
                    break;
                case FileKind.Regular:
                    AddFile(path, id, explicitlyNamed: true);
                    break;
                case FileKind.Stream:
                    if (seenFiles.Add((id.Device, id.Inode))) streams.Add(new CaptureInput(path, id, null));
                    break;
                default:
                    files.Add(new CaptureInput(path, id, null)); // missing or odd: the reader reports it
                    break;
            }
        }

        var ordered = files
            .Select(f => f with { FirstTimestampMicros = f.Identity.Kind == FileKind.Regular ? PcapFileReader.FirstTimestamp(f.Path) : null })
            .OrderBy(f => f.FirstTimestampMicros is null)
            .ThenBy(f => f.FirstTimestampMicros ?? 0)
            .ThenBy(f => f.Path, StringComparer.Ordinal)
            .Concat(streams)
            .ToList();
        return new CaptureFileSetResult(ordered, skipped);
    }

    private static bool LooksLikeCapture(string path) =>
        CaptureExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase)
        || Path.GetFileName(path).Contains(".pcap", StringComparison.OrdinalIgnoreCase);

    private static bool CanRead(string path, out string why)
    {
        try
        {
            using var _ = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            why = "";
            return true;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            why = $"cannot be read ({e.Message})";
            return false;
        }
    }
}
