using System.Text;
using TrafficSensor.Tls.Decryption;

namespace TrafficSensor.Tests.Tls.Decryption;

public sealed class TlsKeyLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tdec-keylog-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Hex(byte fill, int length) => Convert.ToHexString(Enumerable.Repeat(fill, length).ToArray());
    private static byte[] Random(byte fill) => Enumerable.Repeat(fill, 32).ToArray();

    [Fact]
    public void Lines_are_read_by_label_and_everything_else_is_counted_never_fatal()
    {
        var log = TlsKeyLog.Parse(
            "# SSL/TLS secrets log file\r\n" +
            $"CLIENT_RANDOM {Hex(1, 32)} {Hex(0xAA, 48)}\r\n" +
            $"CLIENT_HANDSHAKE_TRAFFIC_SECRET\t{Hex(2, 32)}\t{Hex(0xBB, 32)}\n" +
            $"SERVER_TRAFFIC_SECRET_0 {Hex(2, 32)} {Hex(0xCC, 48)}\n" +
            $"EXPORTER_SECRET {Hex(2, 32)} {Hex(0xDD, 32)}\n" +
            $"CLIENT_EARLY_TRAFFIC_SECRET {Hex(2, 32)} {Hex(0xDD, 32)}\n" +
            $"CLIENT_RANDOM {Hex(3, 32)} {Hex(0xAA, 32)}\n" +          // a master secret is 48 bytes
            $"CLIENT_RANDOM {Hex(3, 31)} {Hex(0xAA, 48)}\n" +          // a client random is 32
            $"CLIENT_RANDOM {Hex(3, 32)} {Hex(0xAA, 48)} extra\n" +
            $"CLIENT_RANDOM {Hex(3, 32)[..62]}zz {Hex(0xAA, 48)}\n" +  // not hex
            $"SERVER_SECRET {Hex(3, 32)} {Hex(0xAA, 48)}\n" +
            $"CLIENT_RANDOM {Hex(1, 32)} {Hex(0xEE, 48)}\n" +          // the first one is kept
            "\n   \n" +
            $"SERVER_HANDSHAKE_TRAFFIC_SECRET {Hex(2, 32)} {Hex(0x11, 32)}");   // last line without a newline
        Assert.Equal(4, log.Count);
        Assert.Equal(1, log.Comments);
        Assert.Equal(2, log.IgnoredLines);
        Assert.Equal(5, log.MalformedLines);
        Assert.Equal(1, log.DuplicateLines);
        Assert.True(log.TryGetSecret(TlsSecretLabel.ClientRandom, Random(1), out var master));
        Assert.Equal(Enumerable.Repeat((byte)0xAA, 48), master);
        Assert.True(log.TryGetSecret(TlsSecretLabel.ServerTrafficSecret0, Random(2), out var traffic));
        Assert.Equal(48, traffic.Length);
        Assert.True(log.TryGetSecret(TlsSecretLabel.ServerHandshakeTrafficSecret, Random(2), out _));
        Assert.False(log.TryGetSecret(TlsSecretLabel.ClientTrafficSecret0, Random(2), out _));
        Assert.False(log.TryGetSecret(TlsSecretLabel.ClientRandom, Random(2), out _));
        Assert.False(log.TryGetSecret(TlsSecretLabel.ClientRandom, Random(1).AsSpan(1), out _));
    }

    [Fact]
    public void Reading_stops_at_the_size_limit_and_counts_the_rest()
    {
        var line = $"CLIENT_RANDOM {Hex(1, 32)} {Hex(0xAA, 48)}\n";
        var text = string.Concat(Enumerable.Range(0, 10).Select(i => line.Replace(Hex(1, 32), Hex((byte)i, 32))));
        var path = Path.Combine(_dir, "big.keys");
        File.WriteAllText(path, text);
        var log = TlsKeyLog.Load(path, follow: false, maxBytes: line.Length * 3 + 10);
        Assert.Equal(3, log.Count);
        Assert.Equal(text.Length - (line.Length * 3 + 10), log.BytesOverLimit);
        Assert.Equal(1, log.MalformedLines); // the cut fourth line
        Assert.Equal(3, TlsKeyLog.Parse(text, line.Length * 3).Count);
    }

    [Fact]
    public void A_missing_file_is_an_error_naming_it()
    {
        var path = Path.Combine(_dir, "absent.keys");
        var e = Assert.Throws<TlsKeyLogException>(() => TlsKeyLog.Load(path, follow: true));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Follow_mode_reads_what_the_file_gains_and_waits_for_a_line_to_be_finished()
    {
        var path = Path.Combine(_dir, "live.keys");
        File.WriteAllText(path, "# SSL/TLS secrets log file\n");
        var log = TlsKeyLog.Load(path, follow: true);
        Assert.True(log.Follow);
        var generation = log.Generation;
        var line = $"CLIENT_RANDOM {Hex(7, 32)} {Hex(0xAA, 48)}\n";
        File.AppendAllText(path, line[..40]);
        Assert.Equal(0, log.Refresh());
        Assert.Equal(0, log.MalformedLines);
        File.AppendAllText(path, line[40..]);
        Assert.Equal(1, log.Refresh());
        Assert.True(log.Generation > generation);
        Assert.True(log.TryGetSecret(TlsSecretLabel.ClientRandom, Random(7), out _));

        // Rotated: a new, shorter file is read from its start, and what was learnt stays.
        File.WriteAllText(path, $"CLIENT_RANDOM {Hex(8, 32)} {Hex(0xAA, 48)}\n");
        Assert.Equal(1, log.Refresh());
        Assert.True(log.TryGetSecret(TlsSecretLabel.ClientRandom, Random(7), out _));
        Assert.True(log.TryGetSecret(TlsSecretLabel.ClientRandom, Random(8), out _));
    }

    [Fact]
    public void Lookups_from_many_threads_while_the_file_grows_see_every_secret_once_it_is_read()
    {
        var path = Path.Combine(_dir, "busy.keys");
        File.WriteAllText(path, "");
        var log = TlsKeyLog.Load(path, follow: true);
        using var writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), Encoding.ASCII) { AutoFlush = true };
        var errors = 0;
        Parallel.For(0, 200, i =>
        {
            try
            {
                if (i % 2 == 0)
                {
                    lock (writer) writer.Write($"CLIENT_RANDOM {Hex((byte)i, 32)} {Hex(0xAA, 48)}\n");
                    log.Refresh();
                }
                else
                {
                    log.TryGetSecret(TlsSecretLabel.ClientRandom, Random((byte)(i - 1)), out _);
                }
            }
            catch
            {
                Interlocked.Increment(ref errors);
            }
        });
        log.Refresh();
        Assert.Equal(0, errors);
        Assert.Equal(100, log.Count);
        Assert.All(Enumerable.Range(0, 100), i => Assert.True(log.TryGetSecret(TlsSecretLabel.ClientRandom, Random((byte)(2 * i)), out _)));
    }
}
