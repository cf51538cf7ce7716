using TrafficSensor.Decoding;

namespace TrafficSensor.Features;

/// <summary>
/// What the sensor has learned about each server path and each client's session on it, bounded:
/// at most <c>maxPaths</c> paths and <c>maxSessions</c> sessions, the least recently used evicted.
/// Owned by the one thread that analyses transactions in capture order (so what it learns does not
/// depend on how flows were sharded); the lock, never contended, only lets reports read its sizes.
/// </summary>
/// <param name="scanWindowMicros">The window (packet time) of <see cref="PathSnapshot.RecentClientErrorPaths"/>: refused paths older than it no longer count towards a scan.</param>
public sealed class BehaviourState(int maxPaths = 100_000, int maxSessions = 200_000, long scanWindowMicros = BehaviourState.DefaultScanWindowMicros)
{
    /// <summary>Five minutes: <see cref="Detection.ScanOptions.Window"/>'s default.</summary>
    public const long DefaultScanWindowMicros = 300_000_000;

    /// <summary>The scan window in use (a state resumed from a file takes the running configuration's).</summary>
    public long ScanWindowMicros { get; set; } = scanWindowMicros;

    private const int MaxClientsTracked = 64;
    private readonly Lock _lock = new();
    /// <summary>Scratch for one Observe call's unknown cookie names (under the lock); copied out only when there are some.</summary>
    private readonly List<string> _unknownCookieNames = [];
    private readonly Dictionary<(IpAddress, ushort, string), PathStats> _paths = new();
    private readonly Dictionary<(IpAddress, IpAddress, ushort, string), SessionStats> _sessions = new();
    private readonly Dictionary<(IpAddress, ushort), long> _serverRequests = new();
    private readonly Dictionary<(IpAddress, ushort, NameKind), Dictionary<string, NameUse>> _vocabulary = new();
    private readonly Dictionary<(IpAddress, IpAddress, ushort), ClientErrors> _clientErrors = new();
    /// <summary>When each client last sent direct evidence of a web shell to a server (packet time, µs).</summary>
    private readonly Dictionary<(IpAddress, IpAddress, ushort), long> _clientEvidence = new();
    private const int MaxNamesPerServer = 256;
    /// <summary>Names of one kind remembered over all servers: a spray of random names stops here.</summary>
    private const int MaxNames = 65_536;
    private readonly int[] _names = new int[Enum.GetValues<NameKind>().Length];

    /// <summary>The kinds of names a server's clients use, each learned on its own.</summary>
    public enum NameKind : byte { Cookie, Header, Parameter, Method }

    /// <summary>How a name became known on a server: set by the server (cookies), or used by more than one client.</summary>
    private sealed class NameUse(IpAddress firstClient)
    {
        public readonly IpAddress FirstClient = firstClient;
        public bool SetByServer;
        public bool ManyClients;
        public bool Known => SetByServer || ManyClients;
    }

    /// <summary>
    /// Distinct paths a client was refused (4xx) on one server, each with when it was last refused: a scanner
    /// guesses, a user follows links. At most <see cref="MaxErrorPathsTracked"/>: beyond it the path refused
    /// longest ago gives way, so the count stays at the cap and the window keeps the latest paths.
    /// </summary>
    private sealed class ClientErrors
    {
        public long LastSeenMicros;
        public readonly Dictionary<int, long> Paths = new();
    }

    /// <summary>Distinct refused paths remembered per client and server: enough to tell a sweep from a broken link.</summary>
    public const int MaxErrorPathsTracked = 64;

    /// <summary>Requests a server must have answered before a path's novelty means anything: a capture of a
    /// server never seen before starts with every path new, which is ignorance, not evidence.</summary>
    public const long WarmServerRequests = 300;

    public int Paths { get { lock (_lock) return _paths.Count; } }
    public int Sessions { get { lock (_lock) return _sessions.Count; } }
    public long Evictions { get; private set; }

    /// <summary>Approximate memory held, for reports: entries times their typical size.</summary>
    public long ApproximateBytes { get { lock (_lock) return _paths.Count * 900L + _sessions.Count * 200L + _clientEvidence.Count * 80L + _names.Sum() * 120L + _clientErrors.Count * 400L; } }

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
        /// <summary>Earlier transactions of the session that carried direct evidence of a web shell.</summary>
        public int Evidence;
        /// <summary>Times (µs) of the session's latest opaque POSTs, oldest overwritten first.</summary>
        public readonly long[] RecentOpaque = new long[OpaqueTimesKept];
        public int NextOpaque;
    }

    /// <summary>Opaque POSTs remembered per session: enough to tell a burst from a routine.</summary>
    public const int OpaqueTimesKept = 4;

    /// <summary>
    /// The window in which a session's opaque POSTs count as one burst. Tunnels and encrypted shells post
    /// every fraction of a second to a few seconds; cron triggers and heartbeats once a minute or less.
    /// </summary>
    public const long OpaqueWindowMicros = 30_000_000;

    /// <summary>How long a client's evidence on a server colours its requests to scripts nobody else uses.</summary>
    public const long ClientEvidenceMicros = 600_000_000;

    /// <summary>Reads what was known before this transaction, then records it.</summary>
    public (PathSnapshot Path, SessionSnapshot Session) Observe(IpAddress client, IpAddress server, ushort port, string path,
        long nowMicros, bool post, bool hasForeignReferer, long responseSize,
        IReadOnlyList<string>? requestCookies = null, IReadOnlyList<string>? setCookies = null, RequestNames names = default, int status = 0,
        bool opaquePost = false)
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
            var unknownCookieNames = _unknownCookieNames;
            unknownCookieNames.Clear();
            var unknownCookies = ObserveNames(client, server, port, NameKind.Cookie, requestCookies ?? [], setCookies ?? [], unknownCookieNames);
            var unknownHeaders = ObserveNames(client, server, port, NameKind.Header, names.Headers ?? [], []);
            var unknownParameters = ObserveNames(client, server, port, NameKind.Parameter, names.Parameters ?? [], []);
            var unknownMethod = names.Method is null ? 0 : ObserveNames(client, server, port, NameKind.Method, [names.Method], []);
            var errorPaths = ObserveErrors(client, server, port, path, nowMicros, status);
            var pathSnapshot = new PathSnapshot(p.Clients.Count, p.Requests,
                p.Requests == 0 ? 0 : (double)p.Posts / p.Requests, p.Linked, sizeDeviation, serverRequests >= WarmServerRequests, unknownCookies)
            {
                UnknownCookieNames = unknownCookieNames.Count == 0 ? [] : unknownCookieNames.ToArray(),
                UnknownHeaders = unknownHeaders,
                UnknownParameters = unknownParameters,
                UnknownMethod = unknownMethod > 0,
                ClientErrorPaths = errorPaths.All,
                RecentClientErrorPaths = errorPaths.Recent,
                SeenFromOtherClients = p.Clients.Count - (p.Clients.Contains(client) ? 1 : 0),
            };
            var intervalCv = s.Requests >= 4 ? Math.Sqrt(s.IntervalM2 / (s.Requests - 2)) / (s.IntervalMean + 1e-3) : double.NaN;
            var recentOpaque = 0;
            foreach (var t in s.RecentOpaque)
                if (t > 0 && nowMicros - t <= OpaqueWindowMicros && t <= nowMicros) recentOpaque++;
            var clientEvidence = _clientEvidence.TryGetValue((client, server, port), out var evidenceAt) && nowMicros - evidenceAt <= ClientEvidenceMicros;
            var sessionSnapshot = new SessionSnapshot(s.Requests, intervalCv, s.Evidence) { RecentOpaquePosts = recentOpaque, ClientEvidence = clientEvidence };
            if (opaquePost)
            {
                s.RecentOpaque[s.NextOpaque] = Math.Max(1, nowMicros);
                s.NextOpaque = (s.NextOpaque + 1) % OpaqueTimesKept;
            }

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

    /// <summary>Records that the session's latest transaction carried direct evidence of a web shell (read by its later ones).</summary>
    public void AddSessionEvidence(IpAddress client, IpAddress server, ushort port, string path)
    {
        lock (_lock)
        {
            if (!_sessions.TryGetValue((client, server, port, path), out var s)) return;
            s.Evidence++;
            // The client too: its next requests to scripts nobody else uses (the stager it probes for, the
            // shell it just wrote) belong to the same story.
            if (_clientEvidence.Count >= maxSessions && !_clientEvidence.ContainsKey((client, server, port))) EvictOldest(_clientEvidence, t => t);
            _clientEvidence[(client, server, port)] = s.LastSeenMicros;
        }
    }

    /// <summary>
    /// Counts the request's names of one kind that are not known on the server — never set by it (cookies)
    /// and never used by another client — then learns from this transaction. A cookie a backdoor module
    /// listens for (RGDoor), a web shell's parameter names and a tunnel's control header are used by the
    /// attacker alone; an application's own names are used by all its clients. Bounded per server and overall.
    /// </summary>
    private int ObserveNames(IpAddress client, IpAddress server, ushort port, NameKind kind, IReadOnlyList<string> used, IReadOnlyList<string> setByServer,
        List<string>? unknownNames = null)
    {
        if (used.Count == 0 && setByServer.Count == 0) return 0;
        if (!_vocabulary.TryGetValue((server, port, kind), out var names))
        {
            if (_vocabulary.Count >= maxPaths) return 0;
            _vocabulary[(server, port, kind)] = names = new Dictionary<string, NameUse>(StringComparer.Ordinal);
        }
        var unknown = 0;
        // Indexed, not foreach: an interface's enumerator of a list is an allocation per call.
        for (var u = 0; u < used.Count; u++)
        {
            var name = used[u];
            if (!names.TryGetValue(name, out var known))
            {
                // Beyond the caps a name is neither remembered nor held against the request.
                if (names.Count >= MaxNamesPerServer || _names[(int)kind] >= MaxNames) continue;
                unknown++;
                unknownNames?.Add(name);
                names[name] = new NameUse(client);
                _names[(int)kind]++;
            }
            else if (!known.Known)
            {
                // A second client's first use still counts; from then on the name is shared, not a secret.
                unknown++;
                unknownNames?.Add(name);
                if (known.FirstClient != client) known.ManyClients = true;
            }
        }
        for (var u = 0; u < setByServer.Count; u++)
        {
            var name = setByServer[u];
            if (!names.TryGetValue(name, out var known))
            {
                if (names.Count >= MaxNamesPerServer || _names[(int)kind] >= MaxNames) continue;
                names[name] = known = new NameUse(client);
                _names[(int)kind]++;
            }
            known.SetByServer = true;
        }
        return unknown;
    }

    /// <summary>
    /// Distinct paths this client has been refused (4xx) on this server, this one included (<c>All</c>), and
    /// when this request was refused, those refused within the scan window (<c>Recent</c>; 0 otherwise).
    /// </summary>
    private (int All, int Recent) ObserveErrors(IpAddress client, IpAddress server, ushort port, string path, long nowMicros, int status)
    {
        var key = (client, server, port);
        _clientErrors.TryGetValue(key, out var errors);
        var refused = status is >= 400 and < 500;
        if (refused)
        {
            if (errors is null)
            {
                if (_clientErrors.Count >= maxSessions) EvictOldest(_clientErrors, e => e.LastSeenMicros);
                _clientErrors[key] = errors = new ClientErrors();
            }
            var hash = string.GetHashCode(path, StringComparison.Ordinal);
            if (!errors.Paths.ContainsKey(hash) && errors.Paths.Count >= MaxErrorPathsTracked)
                errors.Paths.Remove(errors.Paths.MinBy(e => e.Value).Key);
            errors.Paths[hash] = nowMicros;
        }
        if (errors is null) return (0, 0);
        errors.LastSeenMicros = nowMicros;
        var recent = 0;
        if (refused)
            foreach (var at in errors.Paths.Values)
                if (nowMicros - at <= ScanWindowMicros) recent++;
        return (errors.Paths.Count, recent);
    }

    /// <summary>Everything learned, as plain data for <see cref="LearnedState"/> (called when no transaction is being observed).</summary>
    internal BehaviourSnapshot Export()
    {
        lock (_lock)
        {
            return new BehaviourSnapshot(
                _paths.Select(kv => new PathEntry(kv.Key.Item1.ToString(), kv.Key.Item2, kv.Key.Item3, kv.Value.LastSeenMicros, kv.Value.Requests, kv.Value.Posts,
                    kv.Value.Linked, kv.Value.Clients.Select(c => c.ToString()).ToArray(), kv.Value.SizeMean, kv.Value.SizeM2)).ToList(),
                _sessions.Select(kv => new SessionEntry(kv.Key.Item1.ToString(), kv.Key.Item2.ToString(), kv.Key.Item3, kv.Key.Item4, kv.Value.LastSeenMicros,
                    kv.Value.Requests, kv.Value.IntervalMean, kv.Value.IntervalM2, kv.Value.Evidence, [.. kv.Value.RecentOpaque])).ToList(),
                _serverRequests.Select(kv => new ServerEntry(kv.Key.Item1.ToString(), kv.Key.Item2, kv.Value)).ToList(),
                _vocabulary.Select(kv => new VocabularyEntry(kv.Key.Item1.ToString(), kv.Key.Item2, kv.Key.Item3,
                    kv.Value.Select(n => new NameEntry(n.Key, n.Value.FirstClient.ToString(), n.Value.SetByServer, n.Value.ManyClients)).ToArray())).ToList(),
                _clientErrors.Select(kv => new ClientErrorEntry(kv.Key.Item1.ToString(), kv.Key.Item2.ToString(), kv.Key.Item3, kv.Value.LastSeenMicros,
                    kv.Value.Paths.Keys.ToArray())
                    { RefusedAtMicros = kv.Value.Paths.Values.ToArray() }).ToList())
            {
                ClientEvidence = _clientEvidence.Select(kv => new ClientEvidenceEntry(kv.Key.Item1.ToString(), kv.Key.Item2.ToString(), kv.Key.Item3, kv.Value)).ToList(),
            };
        }
    }

    /// <summary>Restores what <see cref="Export"/> wrote; the caps of this instance still hold (extra entries are not taken).</summary>
    internal void Import(BehaviourSnapshot snapshot)
    {
        lock (_lock)
        {
            foreach (var e in snapshot.Paths.Take(maxPaths))
            {
                var p = new PathStats { LastSeenMicros = e.LastSeenMicros, Requests = e.Requests, Posts = e.Posts, Linked = e.Linked, SizeMean = e.SizeMean, SizeM2 = e.SizeM2 };
                foreach (var c in e.Clients.Take(MaxClientsTracked)) p.Clients.Add(IpAddress.Parse(c));
                _paths[(IpAddress.Parse(e.Server), e.Port, e.Path)] = p;
            }
            foreach (var e in snapshot.Sessions.Take(maxSessions))
            {
                var session = new SessionStats
                    { LastSeenMicros = e.LastSeenMicros, Requests = e.Requests, IntervalMean = e.IntervalMean, IntervalM2 = e.IntervalM2, Evidence = e.Evidence };
                if (e.RecentOpaque is { } times) times.AsSpan(0, Math.Min(times.Length, OpaqueTimesKept)).CopyTo(session.RecentOpaque);
                _sessions[(IpAddress.Parse(e.Client), IpAddress.Parse(e.Server), e.Port, e.Path)] = session;
            }
            foreach (var e in (snapshot.ClientEvidence ?? []).Take(maxSessions))
                _clientEvidence[(IpAddress.Parse(e.Client), IpAddress.Parse(e.Server), e.Port)] = e.AtMicros;
            foreach (var e in snapshot.Servers.Take(maxPaths)) _serverRequests[(IpAddress.Parse(e.Server), e.Port)] = e.Requests;
            foreach (var e in snapshot.Vocabulary.Take(maxPaths))
            {
                var names = new Dictionary<string, NameUse>(StringComparer.Ordinal);
                foreach (var n in e.Names.Take(MaxNamesPerServer))
                {
                    if (_names[(int)e.Kind] >= MaxNames) break;
                    names[n.Name] = new NameUse(IpAddress.Parse(n.FirstClient)) { SetByServer = n.SetByServer, ManyClients = n.ManyClients };
                    _names[(int)e.Kind]++;
                }
                _vocabulary[(IpAddress.Parse(e.Server), e.Port, e.Kind)] = names;
            }
            foreach (var e in snapshot.ClientErrors.Take(maxSessions))
            {
                var errors = new ClientErrors { LastSeenMicros = e.LastSeenMicros };
                // A file written before the times were kept: every path counts as refused when the client was last seen.
                for (var i = 0; i < e.Paths.Length && errors.Paths.Count < MaxErrorPathsTracked; i++)
                    errors.Paths[e.Paths[i]] = e.RefusedAtMicros is { } at && i < at.Length ? at[i] : e.LastSeenMicros;
                _clientErrors[(IpAddress.Parse(e.Client), IpAddress.Parse(e.Server), e.Port)] = errors;
            }
        }
    }

    internal sealed record BehaviourSnapshot(List<PathEntry> Paths, List<SessionEntry> Sessions, List<ServerEntry> Servers,
        List<VocabularyEntry> Vocabulary, List<ClientErrorEntry> ClientErrors)
    {
        public List<ClientEvidenceEntry>? ClientEvidence { get; init; }
    }
    internal sealed record PathEntry(string Server, ushort Port, string Path, long LastSeenMicros, long Requests, long Posts, bool Linked,
        string[] Clients, double SizeMean, double SizeM2);
    internal sealed record SessionEntry(string Client, string Server, ushort Port, string Path, long LastSeenMicros, long Requests,
        double IntervalMean, double IntervalM2, int Evidence, long[]? RecentOpaque = null);
    internal sealed record ClientEvidenceEntry(string Client, string Server, ushort Port, long AtMicros);
    internal sealed record ServerEntry(string Server, ushort Port, long Requests);
    internal sealed record VocabularyEntry(string Server, ushort Port, NameKind Kind, NameEntry[] Names);
    internal sealed record NameEntry(string Name, string FirstClient, bool SetByServer, bool ManyClients);
    internal sealed record ClientErrorEntry(string Client, string Server, ushort Port, long LastSeenMicros, int[] Paths)
    {
        /// <summary>When each of <see cref="Paths"/> was last refused (packet time, µs); absent in older files.</summary>
        public long[]? RefusedAtMicros { get; init; }
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
public readonly record struct PathSnapshot(int Clients, long Requests, double PostShare, bool Linked, double SizeDeviation, bool ServerWarm, int UnknownCookies = 0)
{
    /// <summary>The request's cookie names counted in <see cref="UnknownCookies"/>.</summary>
    public IReadOnlyList<string> UnknownCookieNames { get; init; } = [];
    /// <summary>Request header names (beyond the common ones) no other client of this server sent.</summary>
    public int UnknownHeaders { get; init; }
    /// <summary>Query and form parameter names no other client of this server used.</summary>
    public int UnknownParameters { get; init; }
    /// <summary>A method other than GET, POST and HEAD that no other client of this server used.</summary>
    public bool UnknownMethod { get; init; }
    /// <summary>Distinct paths this client has been refused (4xx) on this server, this request included.</summary>
    public int ClientErrorPaths { get; init; }
    /// <summary>When this request was refused (4xx): the distinct paths this client was refused on by this server within the scan window, this one included; else 0.</summary>
    public int RecentClientErrorPaths { get; init; }
    /// <summary>Other clients that requested this path before.</summary>
    public int SeenFromOtherClients { get; init; }
}

/// <param name="Evidence">Earlier transactions of this client's session on the path that carried direct evidence of a web shell.</param>
public readonly record struct SessionSnapshot(long Requests, double IntervalCv, int Evidence = 0)
{
    /// <summary>Opaque POSTs (no form or document: empty, raw binary, encoded) of the session in the last <see cref="BehaviourState.OpaqueWindowMicros"/>.</summary>
    public int RecentOpaquePosts { get; init; }
    /// <summary>The client sent direct evidence of a web shell to this server in the last <see cref="BehaviourState.ClientEvidenceMicros"/>.</summary>
    public bool ClientEvidence { get; init; }
}

/// <summary>The names a request uses, learned per server: unusual header names, parameter names, an unusual method.</summary>
public readonly record struct RequestNames(IReadOnlyList<string>? Headers, IReadOnlyList<string>? Parameters, string? Method);
