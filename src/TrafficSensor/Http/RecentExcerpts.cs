using System.IO.Hashing;

namespace TrafficSensor.Http;

/// <summary>
/// The body excerpts this thread (a flow worker) kept lately, by content: responses of the same resource start with
/// the same bytes, so the excerpt kept for the alert writer (<see cref="HttpMessage.ReleasePooledBody"/>) is one array
/// for all of them, not one per message. Like <see cref="HttpMessage.Body"/> arrays in general (see
/// <see cref="HttpMessage.CopyBodyOf"/>), an excerpt is never written once kept, so sharing it is safe. A direct-mapped
/// cache: at most <see cref="Slots"/> arrays of up to the excerpt's length per thread (64 KB at the default 256
/// bytes); bodies that vary only evict entries (the cost is then the copy made anyway, plus one hash).
/// </summary>
internal static class RecentExcerpts
{
    private const int Slots = 256;
    private const int MaxBytes = 1024;

    [ThreadStatic] private static byte[]?[]? t_slots;

    /// <summary>An array holding exactly <paramref name="bytes"/>: an earlier one of this thread with equal content, or a new copy.</summary>
    public static byte[] Share(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return [];
        if (bytes.Length > MaxBytes) return bytes.ToArray();
        var slots = t_slots ??= new byte[]?[Slots];
        ref var entry = ref slots[(int)(XxHash3.HashToUInt64(bytes) % Slots)];
        if (entry is { } cached && bytes.SequenceEqual(cached)) return cached;
        return entry = bytes.ToArray();
    }
}
