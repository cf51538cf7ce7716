using System.Collections.Concurrent;
using TrafficSensor.Decoding;

namespace TrafficSensor.Http;

/// <summary>
/// Server endpoints (address, port) that answered HTTP, shared by all workers, so that non-HTTP bytes
/// on a port known to serve HTTP can be flagged. Bounded: beyond its capacity it stops learning.
/// </summary>
public sealed class HttpServerRegistry(int capacity)
{
    private readonly ConcurrentDictionary<(IpAddress, ushort), byte> _servers = new();
    private int _count; // ConcurrentDictionary.Count takes every lock; a counter does not

    public void Add(IpAddress address, ushort port)
    {
        if (Volatile.Read(ref _count) < capacity && _servers.TryAdd((address, port), 0)) Interlocked.Increment(ref _count);
    }

    public bool Contains(IpAddress address, ushort port) => _servers.ContainsKey((address, port));
}
