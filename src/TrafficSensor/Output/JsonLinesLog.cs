using System.Buffers;
using System.Runtime.InteropServices;

namespace TrafficSensor.Output;

/// <summary>
/// A JSON-lines log file (or standard output) that never truncates and never writes part of a line.
/// <list type="bullet">
/// <item>Opened with O_APPEND: a restart continues the file, and after logrotate's <c>copytruncate</c>
/// the next write lands at the new end (a FileStream keeps its own offset and leaves a run of NUL bytes).</item>
/// <item>Records are appended to a memory buffer as whole lines and written with one write(2) per batch:
/// when the buffer passes <see cref="BatchBytes"/> (by the appending thread) and at least every
/// <see cref="FlushInterval"/> (by a timer), so every record is on disk within 100 ms.</item>
/// <item><see cref="Reopen"/> (on SIGHUP, logrotate's <c>postrotate</c>) writes what is buffered to the old
/// file, then opens the path again, as Suricata does.</item>
/// </list>
/// Thread-safe: any worker appends under <c>_fillLock</c>; the buffer is swapped out and written under
/// <c>_writeLock</c>, so workers never wait for the disk unless the buffer is full.
/// </summary>
public sealed class JsonLinesLog : IDisposable
{
    public const int BatchBytes = 64 << 10;
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private const int StdoutFd = 1;
    private const int OWronly = 0x1, OCreat = 0x40, OAppend = 0x400, OCloexec = 0x80000;
    private const int EIntr = 4;

    private readonly Lock _fillLock = new();
    private readonly Lock _writeLock = new();
    private readonly Timer _timer;
    private ArrayBufferWriter<byte> _fill = new(BatchBytes * 2);
    private ArrayBufferWriter<byte> _drain = new(BatchBytes * 2);
    private long _fillLines;
    private int _fd;
    private bool _disposed;
    private bool _cutLine;

    private JsonLinesLog(string? path, int fd)
    {
        Path = path;
        _fd = fd;
        _timer = new Timer(_ => FlushQuietly(), null, FlushInterval, FlushInterval);
    }

    /// <summary>The file, or null for standard output.</summary>
    public string? Path { get; }

    /// <summary>Lines written to the file (not counting those still buffered).</summary>
    public long LinesWritten { get; private set; }

    /// <summary>Lines that could not be written (disk full, closed pipe…), with the first error.</summary>
    public long LinesLost { get; private set; }
    public string? Error { get; private set; }

    /// <summary>write(2) calls made, for the figures in docs/.</summary>
    public long WriteCalls { get; private set; }

    /// <summary>Opens <paramref name="path"/> for appending ("-" is standard output). Throws <see cref="IOException"/> with the reason.</summary>
    public static JsonLinesLog Open(string path)
    {
        if (path == "-") return new JsonLinesLog(null, StdoutFd);
        return new JsonLinesLog(path, OpenAppend(path));
    }

    private static int OpenAppend(string path)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory)) Directory.CreateDirectory(directory);
        var fd = Native.open(path, OWronly | OCreat | OAppend | OCloexec, Convert.ToInt32("640", 8));
        if (fd < 0) throw new IOException($"cannot open {path} for appending: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return fd;
    }

    /// <summary>Appends one record; <paramref name="line"/> is a whole JSON object without its newline.</summary>
    public void Append(ReadOnlySpan<byte> line)
    {
        bool full;
        lock (_fillLock)
        {
            var span = _fill.GetSpan(line.Length + 1);
            line.CopyTo(span);
            span[line.Length] = (byte)'\n';
            _fill.Advance(line.Length + 1);
            _fillLines++;
            full = _fill.WrittenCount >= BatchBytes;
        }
        if (full) Flush();
    }

    /// <summary>Writes every buffered line to the file now.</summary>
    public void Flush()
    {
        lock (_writeLock)
        {
            if (_disposed && _fd < 0) return;
            long lines;
            lock (_fillLock)
            {
                if (_fill.WrittenCount == 0) return;
                (_fill, _drain) = (_drain, _fill);
                lines = _fillLines;
                _fillLines = 0;
            }
            WriteAll(_drain.WrittenSpan, lines);
            _drain.ResetWrittenCount();
            if (_drain.Capacity > BatchBytes * 4) _drain = new ArrayBufferWriter<byte>(BatchBytes * 2); // one burst must not pin memory
        }
    }

    /// <summary>Writes what is buffered to the current file, then opens the path again (the old one was renamed by logrotate).</summary>
    public void Reopen()
    {
        if (Path is null) return;
        lock (_writeLock)
        {
            Flush();
            var fd = OpenAppend(Path);
            var old = _fd;
            _fd = fd;
            Native.close(old);
        }
    }

    private void WriteAll(ReadOnlySpan<byte> bytes, long lines)
    {
        if (_cutLine)
        {
            // An earlier batch failed part-way (disk full): end its cut line so this batch starts on a line of its own.
            _cutLine = false;
            WriteAll("\n"u8, 0);
        }
        var started = false;
        while (!bytes.IsEmpty)
        {
            WriteCalls++;
            var n = Native.write(_fd, ref MemoryMarshal.GetReference(bytes), bytes.Length);
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EIntr) continue;
                // The batch's lines are dropped and counted (memory stays bounded while the disk is full).
                LinesLost += lines;
                _cutLine = started;
                Error ??= $"{Path ?? "stdout"}: {Marshal.GetPInvokeErrorMessage(errno)}";
                return;
            }
            bytes = bytes[(int)n..];
            started = true;
        }
        LinesWritten += lines;
    }

    private void FlushQuietly()
    {
        try
        {
            Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            Error ??= e.Message;
        }
    }

    public void Dispose()
    {
        lock (_writeLock)
        {
            if (_disposed) return;
            _disposed = true;
            _timer.Dispose();
            Flush();
            if (_fd != StdoutFd) Native.close(_fd);
            _fd = -1;
        }
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

        [DllImport("libc", SetLastError = true)]
        public static extern nint write(int fd, ref byte buffer, nint count);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);
    }
}
