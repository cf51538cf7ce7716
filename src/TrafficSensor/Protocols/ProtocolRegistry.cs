using TrafficSensor.Http;

namespace TrafficSensor.Protocols;

/// <summary>
/// The application protocols a run recognises, in probe order: a protocol is chosen when it matches
/// and every protocol registered before it has ruled itself out, so protocols with a fixed signature
/// (a TLS record header, the HTTP/2 preface) go before HTTP/1, whose probe accepts any
/// token-then-space start line. Built once per run (protocols may learn across flows), read-only
/// while the flow workers run.
/// </summary>
public sealed class ProtocolRegistry
{
    private readonly List<IAppProtocol> _protocols = new();

    /// <summary>Bytes kept per direction while probing; beyond, the connection is decided with what is known.</summary>
    public int MaxProbeBytes { get; init; } = 4096;

    /// <summary>The protocols of a run: one line per protocol.</summary>
    public static ProtocolRegistry CreateDefault()
    {
        var registry = new ProtocolRegistry();
        registry.Add(new Tls.TlsProtocol());
        registry.Add(new HttpProtocol());
        return registry;
    }

    public IReadOnlyList<IAppProtocol> Protocols => _protocols;

    /// <summary>Registers a protocol after those already registered (see the class comment on order).</summary>
    public ProtocolRegistry Add(IAppProtocol protocol)
    {
        if (Find(protocol.Name) is not null) throw new ArgumentException($"protocol '{protocol.Name}' is registered already", nameof(protocol));
        _protocols.Add(protocol);
        return this;
    }

    public IAppProtocol? Find(string name)
    {
        foreach (var p in _protocols)
            if (string.Equals(p.Name, name, StringComparison.Ordinal)) return p;
        return null;
    }

    /// <summary>The protocol's place in the registry (counters are kept in that order); -1 when not registered.</summary>
    public int IndexOf(IAppProtocol protocol) => _protocols.IndexOf(protocol);

    /// <summary>A session of the named protocol on <paramref name="context"/>'s connection; null when the protocol is not registered.</summary>
    public IAppSession? Create(string name, AppSessionContext context) =>
        Find(name) is { } protocol ? Create(protocol, context.For(protocol)) : null;

    internal IAppSession Create(IAppProtocol protocol, AppSessionContext context)
    {
        context.AppLayer.SessionCreated(protocol);
        return protocol.CreateSession(context.Protocol == protocol ? context : context.For(protocol));
    }

    /// <summary>A fresh set of counters for one flow worker.</summary>
    public AppLayerCounters CreateCounters() => new(this);
}
