using System.IO.Compression;
using System.Net;
using System.Text.Json;
using TrafficSensor.Capture;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Cli;

/// <summary>
/// The shipped logrotate configuration (deploy/logrotate/trafficsensor), run by Debian's logrotate
/// while the sensor is writing: the sensor replays a capture fed slowly through a FIFO, and the test
/// forces rotations in the middle. Every transaction must be in exactly one file, every line whole,
/// no NUL byte anywhere. Needs root (logrotate, signalling) like the other CLI integration tests.
/// </summary>
public sealed class LogRotationTests : IDisposable
{
    private const int Transactions = 3000;
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-logrotate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Capture()
    {
        var packets = new List<byte[]>();
        for (var i = 0; i < Transactions; i++)
        {
            var client = IPAddress.Parse($"10.1.{i / 250}.{i % 250 + 1}");
            packets.AddRange(new TcpConversation(client, (ushort)(20000 + i), IPAddress.Parse("10.0.0.80"), 80)
                .Client($"GET /page?n={i} HTTP/1.1\r\nHost: h\r\n\r\n").Server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").Packets());
        }
        return SensorRun.ToPcap(LinkType.Ethernet, packets).ToBytes();
    }

    private string Config(int pid)
    {
        var shipped = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "deploy", "logrotate", "trafficsensor"));
        Assert.DoesNotContain("\n    copytruncate", shipped);
        var lines = shipped.Split('\n').Select(line =>
            line.StartsWith("/var/log/trafficsensor/*.json", StringComparison.Ordinal) ? line.Replace("/var/log/trafficsensor", _dir)
            : line.Contains("systemctl show --property=MainPID") ? $"        kill -HUP {pid}" // the same signal, to this test's sensor instead of the unit's
            : line);
        var path = Path.Combine(_dir, "logrotate.conf");
        File.WriteAllLines(path, lines);
        Assert.Contains($"kill -HUP {pid}", File.ReadAllText(path));
        return path;
    }

    [Fact]
    public async Task Logrotate_with_the_shipped_config_loses_and_breaks_nothing_while_the_sensor_writes()
    {
        var capture = Capture();
        var fifo = Path.Combine(_dir, "feed.pcap");
        var (mk, _, mkErr) = ExternalTool.Run("mkfifo", [fifo]);
        Assert.True(mk == 0, mkErr);
        var log = Path.Combine(_dir, "transactions.json");
        using var sensor = ExternalTool.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "trafficsensor.dll"), "replay", "-q", "--no-model", fifo, "-t", log]);
        var sensorErr = sensor.StandardError.ReadToEndAsync();
        var config = Config(sensor.Id);
        var state = Path.Combine(_dir, "logrotate.state");

        var rotations = 0;
        // Opening a FIFO for writing waits for its reader: bounded, so a sensor that never opens it fails the test instead of hanging it.
        var opening = Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write));
        try
        {
            await opening.WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            sensor.Kill();
            Assert.Fail($"the sensor never opened its input: {await sensorErr}");
        }
        using (var feed = await opening)
        {
            const int chunks = 40;
            var size = capture.Length / chunks + 1;
            for (var c = 0; c < chunks; c++)
            {
                feed.Write(capture.AsSpan(c * size, Math.Min(size, capture.Length - c * size)));
                feed.Flush();
                Thread.Sleep(50); // a slow replay, so rotations land while records are being written
                if (c % 8 == 7 && File.Exists(log) && new FileInfo(log).Length > 0)
                {
                    var (code, _, err) = ExternalTool.Run("logrotate", ["--force", "--state", state, config]);
                    Assert.True(code == 0, $"logrotate: {err}");
                    rotations++;
                }
            }
        }
        Assert.True(sensor.WaitForExit(120_000), "the sensor did not finish");
        Assert.True(sensor.ExitCode == 0, await sensorErr);
        Assert.True(rotations >= 2, $"only {rotations} rotation(s) happened while the sensor wrote");

        var files = Directory.GetFiles(_dir, "transactions.json*").Order().ToList();
        var urls = new List<string>();
        var filesWithLines = 0;
        foreach (var file in files)
        {
            using var raw = File.OpenRead(file);
            using Stream stream = file.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(raw, CompressionMode.Decompress) : raw;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            var bytes = memory.ToArray();
            Assert.DoesNotContain((byte)0, bytes);
            if (bytes.Length == 0) continue;
            filesWithLines++;
            Assert.Equal((byte)'\n', bytes[^1]); // the file ends on a whole line
            foreach (var line in System.Text.Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var doc = JsonDocument.Parse(line); // a broken line throws
                urls.Add(doc.RootElement.GetProperty("http").GetProperty("url").GetString()!);
            }
        }
        Assert.True(filesWithLines >= 2, $"records in {filesWithLines} file(s): {string.Join(", ", files)}");
        Assert.Equal(Transactions, urls.Count);
        Assert.Equal(Transactions, urls.Distinct().Count());
        Assert.Contains(files, f => f.EndsWith(".gz", StringComparison.Ordinal) || f.EndsWith(".json.1", StringComparison.Ordinal));
    }
}
