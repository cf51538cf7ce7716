namespace TrafficSensor.Capture;

/// <summary>
/// Turns the paths a user gives (files and directories) into the list of capture files to read, in
/// the order of their first packet, which is the order rotated captures (tcpdump -G/-C, dumpcap
/// ring buffers) were written in. Files whose first packet cannot be read go last, in name order,
/// so their errors are still reported.
/// </summary>
public static class CaptureFileSet
{
    private static readonly string[] CaptureExtensions = [".pcap", ".pcapng", ".cap", ".dmp"];

    public static IReadOnlyList<string> Resolve(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => CaptureExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase)
                                || Path.GetFileName(f).Contains(".pcap", StringComparison.OrdinalIgnoreCase)));
            }
            else
            {
                files.Add(path); // missing files are reported by the reader
            }
        }

        return files
            .Distinct(StringComparer.Ordinal)
            .Select(f => (File: f, First: File.Exists(f) ? PcapFileReader.FirstTimestamp(f) : null))
            .OrderBy(x => x.First is null)
            .ThenBy(x => x.First ?? 0)
            .ThenBy(x => x.File, StringComparer.Ordinal)
            .Select(x => x.File)
            .ToList();
    }
}
