using System.Collections.Concurrent;
using TrafficSensor.Capture;
using TrafficSensor.Detection;
using TrafficSensor.Output;
using TrafficSensor.Pipeline;

namespace TrafficSensor.Tests.TestSupport;

/// <summary>Collects records in memory (thread-safe, like the real outputs must be).</summary>
public sealed class CollectingOutput : ITransactionOutput
{
    private readonly ConcurrentQueue<TransactionRecord> _records = new();
    public IReadOnlyList<TransactionRecord> Records => _records.ToList();
    public void Write(TransactionRecord record) => _records.Enqueue(record);
    public void Flush() { }
    /// <summary>Tests look at whole transactions, response bodies included.</summary>
    public bool ReadsResponseBodies => true;
}

/// <summary>Runs the whole pipeline on capture files and returns what came out.</summary>
public static class SensorRun
{
    public static (IReadOnlyList<TransactionRecord> Records, SensorStatistics Stats) Files(IReadOnlyList<string> files, SensorOptions? options = null)
    {
        var output = new CollectingOutput();
        var pipeline = new SensorPipeline(options ?? new SensorOptions(), output);
        var stats = pipeline.Replay(files);
        return (output.Records, stats);
    }

    /// <summary>The records of <paramref name="inputs"/> (files or directories) scored by the bundled model, in capture order.</summary>
    public static List<TransactionRecord> Scored(SensorOptions options, params string[] inputs)
    {
        var output = new CollectingOutput();
        new SensorPipeline(options, output, TestModels.Default).Replay(CaptureFileSet.Resolve(inputs));
        return output.Records.OrderBy(r => r.Transaction.TimestampMicros).ToList();
    }

    public static (IReadOnlyList<TransactionRecord> Records, SensorStatistics Stats) Capture(PcapFile pcap, SensorOptions? options = null)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ts-test-{Guid.NewGuid():N}.pcap");
        try
        {
            pcap.WriteTo(path);
            return Files([path], options);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The comparable core of a transaction, the tuple the tshark oracle compares.</summary>
    public static string Tuple(TransactionRecord r) =>
        $"{r.ClientAddress} {r.ClientPort} {r.ServerAddress} {r.ServerPort} {r.Transaction.Request?.Method ?? "-"} {r.Transaction.Request?.Target ?? "-"} {(r.Transaction.Response?.Status.ToString() ?? "-")}";

    public static PcapFile ToPcap(LinkType link, IEnumerable<byte[]> ipPackets, long startMicros = 1_700_000_000_000_000)
    {
        var pcap = new PcapFile(link);
        var t = startMicros;
        foreach (var p in ipPackets) pcap.Add(t += 1000, PacketFactory.Wrap(link, p));
        return pcap;
    }
}

/// <summary>Where the repository and the shared captures are, found from the test binary's location.</summary>
public static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string SharedRealPcaps => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "pcaps", "real"));

    public static string ProjectPcaps => Path.Combine(RepositoryRoot, "pcaps");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TrafficSensor.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("TrafficSensor.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>The bundled models, loaded once for all the tests that score with them.</summary>
public static class TestModels
{
    private static readonly Lazy<AnomalyModel> DefaultModel = new(() => AnomalyModel.Load(Path.Combine(TestPaths.RepositoryRoot, "models", "default.zip")));
    private static readonly Lazy<TlsMetadataModel> TlsModel = new(() => TlsMetadataModel.Load(Path.Combine(TestPaths.RepositoryRoot, "models", "tls-default.zip")));

    public static AnomalyModel Default => DefaultModel.Value;
    public static TlsMetadataModel Tls => TlsModel.Value;
}
