using TrafficSensor.Decoding;

namespace TrafficSensor.Features;

/// <summary>
/// What the sensor has learned about each server path and each client's session on it, bounded:
/// at most <c>maxPaths</c> paths and <c>maxSessions</c> sessions, the least recently used evicted.
/// Owned by the one thread that analyses transactions in capture order (so what it learns does not
/// depend on how flows were sharded); the lock, never contended, only lets reports read its sizes.
/// </summary>
public sealed class BehaviourState(int maxPaths = 100_000, int maxSessions = 200_000)
{
    private const int MaxClientsTracked = 64;
    private readonly Lock _lock = new();
    private readonly Dictionary<(IpAddress, ushort, string), PathStats> _paths = new();
    private readonly Dictionary<(IpAddress, IpAddress, ushort, string), SessionStats> _sessions = new();
    private readonly Dictionary<(IpAddress, ushort), long> _serverRequests = new();
    private readonly Dictionary<(IpAddress, ushort), Dictionary<string, CookieName>> _cookies = new();
    private const int MaxCookieNamesPerServer = 256;
    /// <summary>Cookie names remembered over all servers: a spray of random names stops here.</summary>
    private const int MaxCookieNames = 65_536;
    private int _cookieNames;

    /// <summary>How a server's cookie name became known: set by the server, or sent by more than one client.</summary>
    private sealed class CookieName(IpAddress firstClient)
    {
        public readonly IpAddress FirstClient = firstClient;
        public bool SetByServer;
        public bool ManyClients;
        public bool Known => SetByServer || ManyClients;
    }

    /// <summary>Requests a server must have answered before a path's novelty means anything: a capture of a
    /// server never seen before starts with every path new, which is ignorance, not evidence.</summary>
    public const long WarmServerRequests = 300;

    public int Paths { get { lock (_lock) return _paths.Count; } }
    public int Sessions { get { lock (_lock) return _sessions.Count; } }
    public long Evictions { get; private set; }

    /// <summary>Approximate memory held, for reports: entries times their typical size.</summary>
    public long ApproximateBytes { get { lock (_lock) return _paths.Count * 900L + _sessions.Count * 160L + _cookieNames * 120L; } }

    public sealed class PathStats
    {
        public long LastSeenMicros;
        public long Requests;
        public long Posts;
        public bool Linked;
        public readonly HashSet<IpAddress> Clients = new();
        public double SizeMean;
        public double SizeM2;
    }

    public sealed class SessionStats
    {
        public long LastSeenMicros;
        public long Requests;
        public double IntervalMean;
        public double IntervalM2;
    }

    /// <summary>Reads what was known before this transaction, then records it.</summary>
    public (PathSnapshot Path, SessionSnapshot Session) Observe(IpAddress client, IpAddress server, ushort port, string path,
        long nowMicros, bool post, bool hasForeignReferer, long responseSize,
        IReadOnlyList<string>? requestCookies = null, IReadOnlyList<string>? setCookies = null)
    {
        lock (_lock)
        {
            var pathKey = (server, port, path);
            if (!_paths.TryGetValue(pathKey, out var p))
            {
                if (_paths.Count >= maxPaths) EvictOldest(_paths, s => s.LastSeenMicros);
                p = new PathStats();
                _paths[pathKey] = p;
            }
            var sessionKey = (client, server, port, path);
            if (!_sessions.TryGetValue(sessionKey, out var s))
            {
                if (_sessions.Count >= maxSessions) EvictOldest(_sessions, x => x.LastSeenMicros);
                s = new SessionStats { LastSeenMicros = nowMicros };
                _sessions[sessionKey] = s;
            }

            var serverRequests = _serverRequests.GetValueOrDefault((server, port));
            if (_serverRequests.Count < maxPaths || _serverRequests.ContainsKey((server, port))) _serverRequests[(server, port)] = serverRequests + 1;
            var sizeDeviation = p.Requests >= 5 ? Math.Abs(responseSize - p.SizeMean) / (Math.Sqrt(p.SizeM2 / (p.Requests - 1)) + 16) : 0;
            var unknownCookies = ObserveCookies(client, server, port, requestCookies ?? [], setCookies ?? []);
            var pathSnapshot = new PathSnapshot(p.Clients.Count, p.Requests,
                p.Requests == 0 ? 0 : (double)p.Posts / p.Requests, p.Linked, sizeDeviation, serverRequests >= WarmServerRequests, unknownCookies);
            var intervalCv = s.Requests >= 4 ? Math.Sqrt(s.IntervalM2 / (s.Requests - 2)) / (s.IntervalMean + 1e-3) : double.NaN;
            var sessionSnapshot = new SessionSnapshot(s.Requests, intervalCv);

            // Record this transaction.
            p.Requests++;
            if (post) p.Posts++;
            p.Linked |= hasForeignReferer;
            if (p.Clients.Count < MaxClientsTracked) p.Clients.Add(client);
            p.LastSeenMicros = nowMicros;
            var delta = responseSize - p.SizeMean;
            p.SizeMean += delta / p.Requests;
            p.SizeM2 += delta * (responseSize - p.SizeMean);
            if (s.Requests > 0)
            {
                var interval = Math.Max(0, (nowMicros - s.LastSeenMicros) / 1e6);
                var n = s.Requests; // number of intervals after this one
                var d = interval - s.IntervalMean;
                s.IntervalMean += d / n;
                s.IntervalM2 += d * (interval - s.IntervalMean);
            }
            s.Requests++;
            s.LastSeenMicros = nowMicros;
            return (pathSnapshot, sessionSnapshot);
        }
    }

    /// <summary>
    /// Counts the request's cookie names the server never set and no other client sent (a cookie-keyed
    /// backdoor module's trigger, e.g. RGDoor's), then learns from this transaction. Bounded per server.
    /// </summary>
    private int ObserveCookies(IpAddress client, IpAddress server, ushort port, IReadOnlyList<string> requestCookies, IReadOnlyList<string> setCookies)
    {
        if (requestCookies.Count == 0 && setCookies.Count == 0) return 0;
        if (!_cookies.TryGetValue((server, port), out var names))
        {
            if (_cookies.Count >= maxPaths) return 0;
            _cookies[(server, port)] = names = new Dictionary<string, CookieName>(StringComparer.Ordinal);
        }
        var unknown = 0;
        foreach (var name in requestCookies)
        {
            if (!names.TryGetValue(name, out var known))
            {
                // Beyond the caps a name is neither remembered nor held against the request.
                if (names.Count >= MaxCookieNamesPerServer || _cookieNames >= MaxCookieNames) continue;
                unknown++;
                names[name] = new CookieName(client);
                _cookieNames++;
            }
            else if (!known.Known)
            {
                unknown++;
                if (known.FirstClient != client) known.ManyClients = true;
            }
        }
        foreach (var name in setCookies)
        {
            if (!names.TryGetValue(name, out var known))
            {
                if (names.Count >= MaxCookieNamesPerServer || _cookieNames >= MaxCookieNames) continue;
                names[name] = known = new CookieName(client);
                _cookieNames++;
            }
            known.SetByServer = true;
        }
        return unknown;
    }

    private void EvictOldest<TKey, TValue>(Dictionary<TKey, TValue> map, Func<TValue, long> lastSeen) where TKey : notnull
    {
        // Drop the least recently seen tenth in one pass, so eviction costs O(1) amortised per insert.
        var cutoff = map.Values.Select(lastSeen).Order().ElementAt(map.Count / 10);
        foreach (var key in map.Where(kv => lastSeen(kv.Value) <= cutoff).Select(kv => kv.Key).ToList()) map.Remove(key);
        Evictions++;
    }
}

/// <param name="UnknownCookies">Cookie names of the request that the server never set and no other client sent before.</param>
public readonly record struct PathSnapshot(int Clients, long Requests, double PostShare, bool Linked, double SizeDeviation, bool ServerWarm, int UnknownCookies = 0);

public readonly record struct SessionSnapshot(long Requests, double IntervalCv);
