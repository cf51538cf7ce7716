using TrafficSensor.Decoding;

namespace TrafficSensor.Features;

/// <summary>
/// What is normal for each server: the running mean of every feature over the transactions of that
/// server that did not alert. Alerts explain themselves against it ("this server's requests carry
/// 0.1 cookies on average; this one carries 3"), which means more to an analyst than the training
/// data's average. Bounded: at most <c>maxServers</c> servers are followed (first come); beyond that
/// new servers are counted and explained against the model's training data instead. Owned by the
/// analysis thread (transactions in capture order); the lock only lets reports read its size.
/// </summary>
public sealed class ServerBaselines(int maxServers = 16_384, int maxPaths = 16_384)
{
    private readonly Dictionary<(IpAddress, ushort), Baseline> _servers = new();
    /// <summary>Shared application endpoints (paths several clients use): their own centre, first come, bounded.</summary>
    private readonly Dictionary<(IpAddress, ushort, string), PathCentre> _paths = new();

    private sealed class PathCentre
    {
        public long Count;
        public readonly float[] CompressedMean = new float[FeatureSchema.Count];
    }
    private readonly Lock _lock = new();

    private sealed class Baseline
    {
        public long Count;
        public readonly double[] Mean = new double[FeatureSchema.Count];
        /// <summary>Means of the compressed values (<see cref="FeatureScaling.Compress"/>): the site's own centre for scoring.</summary>
        public readonly double[] CompressedMean = new double[FeatureSchema.Count];
    }

    public int Servers
    {
        get { lock (_lock) return _servers.Count; }
    }

    /// <summary>Servers not followed because the table was full.</summary>
    public long Untracked { get; private set; }

    public long ApproximateBytes
    {
        get { lock (_lock) return _servers.Count * (FeatureSchema.Count * 16L + 96) + _paths.Count * (FeatureSchema.Count * 4L + 160); }
    }

    /// <summary>Adds a transaction of a shared endpoint to that path's centre.</summary>
    public void LearnPath(IpAddress server, ushort port, string path, FeatureVector features)
    {
        lock (_lock)
        {
            if (!_paths.TryGetValue((server, port, path), out var c))
            {
                if (_paths.Count >= maxPaths) return;
                _paths[(server, port, path)] = c = new PathCentre();
            }
            c.Count++;
            var values = features.Values;
            for (var i = 0; i < values.Length; i++) c.CompressedMean[i] += (FeatureScaling.Compress(values[i]) - c.CompressedMean[i]) / c.Count;
        }
    }

    /// <summary>Copies a path's mean compressed feature values into <paramref name="centre"/>; returns how many transactions they rest on.</summary>
    public long PathCentreOf(IpAddress server, ushort port, string path, Span<float> centre)
    {
        lock (_lock)
        {
            if (!_paths.TryGetValue((server, port, path), out var c)) return 0;
            c.CompressedMean.CopyTo(centre);
            return c.Count;
        }
    }

    /// <summary>Adds a transaction judged normal to its server's means.</summary>
    public void Learn(IpAddress server, ushort port, FeatureVector features)
    {
        lock (_lock)
        {
            if (!_servers.TryGetValue((server, port), out var b))
            {
                if (_servers.Count >= maxServers)
                {
                    Untracked++;
                    return;
                }
                _servers[(server, port)] = b = new Baseline();
            }
            b.Count++;
            var values = features.Values;
            for (var i = 0; i < values.Length; i++)
            {
                b.Mean[i] += (values[i] - b.Mean[i]) / b.Count;
                b.CompressedMean[i] += (FeatureScaling.Compress(values[i]) - b.CompressedMean[i]) / b.Count;
            }
        }
    }

    /// <summary>Copies the server's mean compressed feature values into <paramref name="centre"/>; returns how many transactions they rest on (0: unknown server).</summary>
    public long Centre(IpAddress server, ushort port, Span<float> centre)
    {
        lock (_lock)
        {
            if (!_servers.TryGetValue((server, port), out var b)) return 0;
            for (var i = 0; i < centre.Length && i < b.CompressedMean.Length; i++) centre[i] = (float)b.CompressedMean[i];
            return b.Count;
        }
    }

    /// <summary>Everything learned, as plain data for <see cref="LearnedState"/>.</summary>
    internal BaselinesSnapshot Export()
    {
        lock (_lock)
        {
            return new BaselinesSnapshot(
                _servers.Select(kv => new ServerCentre(kv.Key.Item1.ToString(), kv.Key.Item2, kv.Value.Count, kv.Value.Mean.ToArray(), kv.Value.CompressedMean.ToArray())).ToList(),
                _paths.Select(kv => new PathCentreEntry(kv.Key.Item1.ToString(), kv.Key.Item2, kv.Key.Item3, kv.Value.Count, kv.Value.CompressedMean.ToArray())).ToList());
        }
    }

    /// <summary>Restores what <see cref="Export"/> wrote, within this instance's caps.</summary>
    internal void Import(BaselinesSnapshot snapshot)
    {
        lock (_lock)
        {
            foreach (var e in snapshot.Servers.Take(maxServers))
            {
                var b = new Baseline { Count = e.Count };
                e.Mean.AsSpan(0, Math.Min(e.Mean.Length, b.Mean.Length)).CopyTo(b.Mean);
                e.CompressedMean.AsSpan(0, Math.Min(e.CompressedMean.Length, b.CompressedMean.Length)).CopyTo(b.CompressedMean);
                _servers[(IpAddress.Parse(e.Server), e.Port)] = b;
            }
            foreach (var e in snapshot.Paths.Take(maxPaths))
            {
                var c = new PathCentre { Count = e.Count };
                e.CompressedMean.AsSpan(0, Math.Min(e.CompressedMean.Length, c.CompressedMean.Length)).CopyTo(c.CompressedMean);
                _paths[(IpAddress.Parse(e.Server), e.Port, e.Path)] = c;
            }
        }
    }

    internal sealed record BaselinesSnapshot(List<ServerCentre> Servers, List<PathCentreEntry> Paths);
    internal sealed record ServerCentre(string Server, ushort Port, long Count, double[] Mean, double[] CompressedMean);
    internal sealed record PathCentreEntry(string Server, ushort Port, string Path, long Count, float[] CompressedMean);

    /// <summary>The server's mean of one feature and how many transactions it rests on; (0, 0) when unknown.</summary>
    public (double Mean, long Count) Normal(IpAddress server, ushort port, int feature)
    {
        lock (_lock)
        {
            return _servers.TryGetValue((server, port), out var b) ? (b.Mean[feature], b.Count) : (0, 0);
        }
    }
}
