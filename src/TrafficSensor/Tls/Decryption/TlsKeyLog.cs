using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;

namespace TrafficSensor.Tls.Decryption;

/// <summary>A key log that cannot be read; the message names the file.</summary>
public sealed class TlsKeyLogException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The secrets of an NSS key log (the format SSLKEYLOGFILE makes browsers, curl and OpenSSL write):
/// <c>CLIENT_RANDOM &lt;client random&gt; &lt;master secret&gt;</c> for TLS 1.0–1.2 and the TLS 1.3 handshake
/// and traffic secrets, each line keyed by the connection's 32-byte client random in hex.
/// Comments (<c>#</c>), blank lines, the labels the decryptor does not need (EXPORTER_SECRET, the early-data
/// secrets, RSA) and malformed lines are counted, never fatal. At most <c>maxBytes</c> of the file are
/// read, so a runaway file cannot grow the sensor's memory without bound.
/// Thread-safety: lookups come from every flow worker (a concurrent dictionary); reading the file is
/// serialised by a lock, so one thread at a time appends what the file gained.
/// </summary>
public sealed class TlsKeyLog
{
    /// <summary>Default read limit: about 350,000 lines.</summary>
    public const long DefaultMaxBytes = 64L << 20;

    /// <summary>Follow mode re-reads the file on a missing secret at most this often (wall clock).</summary>
    private const long FollowIntervalMilliseconds = 200;

    private readonly ConcurrentDictionary<SecretKey, byte[]> _secrets = new();
    private readonly object _readLock = new();
    private readonly string? _path;
    private readonly long _maxBytes;
    // Owned by whoever holds _readLock: the file offset read so far and a line still being written.
    private long _offset;
    private readonly List<byte> _partialLine = [];
    private long _lastRefreshTicks;
    private long _generation;

    private long _comments, _malformed, _ignored, _duplicates, _bytesOverLimit;

    private TlsKeyLog(string? path, bool follow, long maxBytes)
    {
        _path = path;
        Follow = follow;
        _maxBytes = maxBytes;
    }

    /// <summary>True when the file is re-read as it grows (live capture), so a missing secret may still come.</summary>
    public bool Follow { get; }

    /// <summary>Secrets held.</summary>
    public int Count => _secrets.Count;
    public long Comments => Interlocked.Read(ref _comments);
    public long MalformedLines => Interlocked.Read(ref _malformed);
    /// <summary>Lines with a label the decryptor does not use (EXPORTER_SECRET, early-data secrets, RSA, OpenSSL's *_TRAFFIC_SECRET_N).</summary>
    public long IgnoredLines => Interlocked.Read(ref _ignored);
    /// <summary>Lines repeating a secret already held (the first one is kept).</summary>
    public long DuplicateLines => Interlocked.Read(ref _duplicates);
    /// <summary>Bytes of the file beyond the read limit, not read.</summary>
    public long BytesOverLimit => Interlocked.Read(ref _bytesOverLimit);
    /// <summary>Grows each time secrets are added: a decryptor waiting for keys retries when it changes.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Reads the key log at <paramref name="path"/>; <paramref name="follow"/>: re-read it as it grows (live).</summary>
    /// <exception cref="TlsKeyLogException">The file cannot be read.</exception>
    public static TlsKeyLog Load(string path, bool follow) => Load(path, follow, DefaultMaxBytes);

    /// <inheritdoc cref="Load(string, bool)"/>
    public static TlsKeyLog Load(string path, bool follow, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        var keyLog = new TlsKeyLog(Path.GetFullPath(path), follow, maxBytes);
        if (keyLog.ReadNewBytes(throwOnError: true) < 0)
            throw new TlsKeyLogException($"cannot read TLS key log {path}");
        return keyLog;
    }

    /// <summary>A key log from text (tests, tools); never re-read.</summary>
    public static TlsKeyLog Parse(string text, long maxBytes = DefaultMaxBytes)
    {
        var keyLog = new TlsKeyLog(null, false, maxBytes);
        var bytes = Encoding.UTF8.GetBytes(text);
        lock (keyLog._readLock) keyLog.Append(bytes.AsSpan(0, (int)Math.Min(bytes.Length, maxBytes)), endOfInput: true);
        if (bytes.Length > maxBytes) keyLog._bytesOverLimit = bytes.Length - maxBytes;
        return keyLog;
    }

    /// <summary>
    /// The secret logged under <paramref name="label"/> for the connection with this client random. In
    /// follow mode a miss re-reads what the file gained (at most every 200 ms).
    /// </summary>
    public bool TryGetSecret(TlsSecretLabel label, ReadOnlySpan<byte> clientRandom, out byte[] secret)
    {
        secret = [];
        if (clientRandom.Length != 32) return false;
        var key = SecretKey.Of(label, clientRandom);
        if (_secrets.TryGetValue(key, out var found))
        {
            secret = found;
            return true;
        }
        if (!Follow) return false;
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastRefreshTicks);
        if (now - last < FollowIntervalMilliseconds || Interlocked.CompareExchange(ref _lastRefreshTicks, now, last) != last) return false;
        Refresh();
        if (!_secrets.TryGetValue(key, out found)) return false;
        secret = found;
        return true;
    }

    /// <summary>Follow mode: reads what the file gained since the last read. Returns the secrets added.</summary>
    public int Refresh()
    {
        if (_path is null) return 0;
        var before = _secrets.Count;
        ReadNewBytes(throwOnError: false);
        return _secrets.Count - before;
    }

    /// <summary>Reads from the saved offset to the end of the file (from 0 again when it shrank: rotated or truncated).</summary>
    private long ReadNewBytes(bool throwOnError)
    {
        lock (_readLock)
        {
            try
            {
                using var stream = new FileStream(_path!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var length = stream.Length;
                if (length < _offset)
                {
                    _offset = 0;
                    _partialLine.Clear();
                }
                var room = _maxBytes - _offset;
                var available = length - _offset;
                if (available > room) Interlocked.Exchange(ref _bytesOverLimit, available - Math.Max(0, room));
                var toRead = (int)Math.Min(Math.Max(0, room), available);
                if (toRead == 0) return 0;
                stream.Position = _offset;
                var buffer = new byte[toRead];
                stream.ReadExactly(buffer);
                _offset += toRead;
                // Without follow the file is complete: its last line counts even without a newline.
                Append(buffer, endOfInput: !Follow);
                return toRead;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (throwOnError) throw new TlsKeyLogException($"cannot read TLS key log {_path}: {e.Message}", e);
                return -1;
            }
        }
    }

    /// <summary>Parses complete lines; an unfinished last line waits for the rest (caller holds _readLock).</summary>
    private void Append(ReadOnlySpan<byte> bytes, bool endOfInput)
    {
        var added = false;
        while (true)
        {
            var newline = bytes.IndexOf((byte)'\n');
            if (newline < 0) break;
            if (_partialLine.Count > 0)
            {
                _partialLine.AddRange(bytes[..newline]);
                added |= ParseLine(_partialLine.ToArray());
                _partialLine.Clear();
            }
            else
            {
                added |= ParseLine(bytes[..newline]);
            }
            bytes = bytes[(newline + 1)..];
        }
        if (_partialLine.Count + bytes.Length > 4096)
        {
            // Longer than any key log line: count it once and skip to the next newline.
            Interlocked.Increment(ref _malformed);
            _partialLine.Clear();
        }
        else
        {
            _partialLine.AddRange(bytes);
        }
        if (endOfInput && _partialLine.Count > 0)
        {
            added |= ParseLine(_partialLine.ToArray());
            _partialLine.Clear();
        }
        if (added) Interlocked.Increment(ref _generation);
    }

    private bool ParseLine(ReadOnlySpan<byte> line)
    {
        line = line.Trim(" \t\r"u8);
        if (line.IsEmpty) return false;
        if (line[0] == (byte)'#')
        {
            Interlocked.Increment(ref _comments);
            return false;
        }
        Span<Range> fields = stackalloc Range[4];
        var count = Split(line, fields);
        if (count != 3)
        {
            Interlocked.Increment(ref _malformed);
            return false;
        }
        var labelText = line[fields[0]];
        TlsSecretLabel label;
        if (labelText.SequenceEqual("CLIENT_RANDOM"u8)) label = TlsSecretLabel.ClientRandom;
        else if (labelText.SequenceEqual("CLIENT_HANDSHAKE_TRAFFIC_SECRET"u8)) label = TlsSecretLabel.ClientHandshakeTrafficSecret;
        else if (labelText.SequenceEqual("SERVER_HANDSHAKE_TRAFFIC_SECRET"u8)) label = TlsSecretLabel.ServerHandshakeTrafficSecret;
        else if (labelText.SequenceEqual("CLIENT_TRAFFIC_SECRET_0"u8)) label = TlsSecretLabel.ClientTrafficSecret0;
        else if (labelText.SequenceEqual("SERVER_TRAFFIC_SECRET_0"u8)) label = TlsSecretLabel.ServerTrafficSecret0;
        else if (labelText.SequenceEqual("EXPORTER_SECRET"u8) || labelText.SequenceEqual("EARLY_EXPORTER_SECRET"u8)
                 || labelText.SequenceEqual("CLIENT_EARLY_TRAFFIC_SECRET"u8) || labelText.SequenceEqual("RSA"u8)
                 // OpenSSL logs the secrets after a KeyUpdate under these; the decryptor derives them itself.
                 || labelText.SequenceEqual("CLIENT_TRAFFIC_SECRET_N"u8) || labelText.SequenceEqual("SERVER_TRAFFIC_SECRET_N"u8))
        {
            Interlocked.Increment(ref _ignored);
            return false;
        }
        else
        {
            Interlocked.Increment(ref _malformed);
            return false;
        }
        Span<byte> random = stackalloc byte[32];
        var secretHex = line[fields[2]];
        var secretLength = label == TlsSecretLabel.ClientRandom ? 48 : secretHex.Length / 2;
        if (!TryHex(line[fields[1]], random) || secretHex.Length != secretLength * 2 || secretLength is not (32 or 48))
        {
            Interlocked.Increment(ref _malformed);
            return false;
        }
        var secret = new byte[secretLength];
        if (!TryHex(secretHex, secret))
        {
            Interlocked.Increment(ref _malformed);
            return false;
        }
        if (_secrets.TryAdd(SecretKey.Of(label, random), secret)) return true;
        Interlocked.Increment(ref _duplicates);
        return false;
    }

    /// <summary>Splits on spaces and tabs; returns the number of fields (stops counting past the span's size).</summary>
    private static int Split(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        var count = 0;
        var i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && line[i] is (byte)' ' or (byte)'\t') i++;
            if (i == line.Length) break;
            var start = i;
            while (i < line.Length && line[i] is not ((byte)' ' or (byte)'\t')) i++;
            if (count == fields.Length) return count + 1;
            fields[count++] = new Range(start, i);
        }
        return count;
    }

    private static bool TryHex(ReadOnlySpan<byte> hex, Span<byte> destination)
    {
        if (hex.Length != destination.Length * 2) return false;
        for (var i = 0; i < destination.Length; i++)
        {
            var high = HexValue(hex[2 * i]);
            var low = HexValue(hex[2 * i + 1]);
            if ((high | low) < 0) return false;
            destination[i] = (byte)(high << 4 | low);
        }
        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>A label and a 32-byte client random, compared by value without allocation.</summary>
    private readonly record struct SecretKey(TlsSecretLabel Label, ulong A, ulong B, ulong C, ulong D)
    {
        public static SecretKey Of(TlsSecretLabel label, ReadOnlySpan<byte> random) => new(label,
            BinaryPrimitives.ReadUInt64BigEndian(random), BinaryPrimitives.ReadUInt64BigEndian(random[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(random[16..]), BinaryPrimitives.ReadUInt64BigEndian(random[24..]));
    }
}
