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
public sealed class ServerBaselines(int maxServers = 16_384)
{
    private readonly Dictionary<(IpAddress, ushort), Baseline> _servers = new();
    private readonly Lock _lock = new();

    private sealed class Baseline
    {
        public long Count;
        public readonly double[] Mean = new double[FeatureSchema.Count];
    }

    public int Servers
    {
        get { lock (_lock) return _servers.Count; }
    }

    /// <summary>Servers not followed because the table was full.</summary>
    public long Untracked { get; private set; }

    public long ApproximateBytes => Servers * (FeatureSchema.Count * 8L + 96);

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
            for (var i = 0; i < values.Length; i++) b.Mean[i] += (values[i] - b.Mean[i]) / b.Count;
        }
    }

    /// <summary>The server's mean of one feature and how many transactions it rests on; (0, 0) when unknown.</summary>
    public (double Mean, long Count) Normal(IpAddress server, ushort port, int feature)
    {
        lock (_lock)
        {
            return _servers.TryGetValue((server, port), out var b) ? (b.Mean[feature], b.Count) : (0, 0);
        }
    }
}
