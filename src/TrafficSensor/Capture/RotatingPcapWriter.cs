using System.Globalization;

namespace TrafficSensor.Capture;

/// <summary>
/// Keeps a rolling window of what a live sensor saw: every frame goes to
/// DIR/PREFIX-yyyyMMddTHHmmssZ-NNNN.pcap, a new file starts after <c>rotateBytes</c>, and only the
/// newest <c>keepFiles</c> are kept on disk. It remembers which file holds which span of time, so an
/// alert can name the file(s) holding its flow. A write failure (disk full) stops the recording
/// and is reported; it never stops the sensor.
/// </summary>
public sealed class RotatingPcapWriter : IDisposable
{
    private readonly string _directory;
    private readonly string _prefix;
    private readonly long _rotateBytes;
    private readonly int _keepFiles;
    private readonly int _snaplen;
    private readonly Lock _lock = new();
    private readonly List<RecordedFile> _files = new();
    private FileStream? _current;
    private long _currentBytes;
    private int _sequence;

    private sealed class RecordedFile(string path, long firstMicros)
    {
        public string Path { get; } = path;
        public long FirstMicros { get; } = firstMicros;
        public long LastMicros = firstMicros;
    }

    public RotatingPcapWriter(string directory, string prefix, long rotateBytes, int keepFiles, int snaplen = 262144)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rotateBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(keepFiles, 1);
        _directory = System.IO.Path.GetFullPath(directory);
        _prefix = string.Concat(prefix.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        _rotateBytes = rotateBytes;
        _keepFiles = keepFiles;
        _snaplen = snaplen;
        Directory.CreateDirectory(_directory);
    }

    public long FramesWritten { get; private set; }
    public long BytesWritten { get; private set; }
    public long FilesDeleted { get; private set; }
    /// <summary>The error that stopped recording, if one did.</summary>
    public string? Error { get; private set; }

    /// <summary>Called on the capture thread for every frame.</summary>
    public void Write(in CaptureFrame frame)
    {
        if (Error is not null) return;
        try
        {
            if (_current is null || _currentBytes >= _rotateBytes) StartFile(frame);
            var written = PcapFormat.WriteRecord(_current!, frame);
            _currentBytes += written;
            BytesWritten += written;
            FramesWritten++;
            lock (_lock) _files[^1].LastMicros = Math.Max(_files[^1].LastMicros, frame.TimestampMicros);
        }
        catch (IOException e)
        {
            Stop("pcap recording stopped: " + e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            Stop("pcap recording stopped: " + e.Message);
        }
    }

    /// <summary>The recorded files (still on disk) that hold packets between the two times, oldest first.</summary>
    public IReadOnlyList<string> FilesFor(long firstMicros, long lastMicros)
    {
        lock (_lock)
        {
            var result = new List<string>();
            for (var i = 0; i < _files.Count; i++)
            {
                // A file spans until the next one starts (its last packet may be older than a late flow packet).
                var end = i + 1 < _files.Count ? _files[i + 1].FirstMicros : long.MaxValue;
                if (_files[i].FirstMicros <= lastMicros && end >= firstMicros) result.Add(_files[i].Path);
            }
            return result;
        }
    }

    public void Flush()
    {
        try
        {
            _current?.Flush();
        }
        catch (IOException e)
        {
            Stop("pcap recording stopped: " + e.Message);
        }
    }

    public void Dispose()
    {
        Flush();
        _current?.Dispose();
        _current = null;
    }

    private void StartFile(in CaptureFrame frame)
    {
        _current?.Dispose();
        var stamp = DateTimeOffset.FromUnixTimeMilliseconds(frame.TimestampMicros / 1000).UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var path = System.IO.Path.Combine(_directory, $"{_prefix}-{stamp}-{++_sequence:D4}.pcap");
        _current = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        PcapFormat.WriteFileHeader(_current, frame.LinkType, _snaplen);
        _currentBytes = PcapFormat.FileHeaderLength;
        lock (_lock)
        {
            _files.Add(new RecordedFile(path, frame.TimestampMicros));
            while (_files.Count > _keepFiles)
            {
                TryDelete(_files[0].Path);
                _files.RemoveAt(0);
                FilesDeleted++;
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Someone holds it open or removed it already; the window moves on regardless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Stop(string error)
    {
        Error = error;
        try
        {
            _current?.Dispose();
        }
        catch (IOException)
        {
        }
        _current = null;
    }
}
