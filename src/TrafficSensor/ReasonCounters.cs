using System.Text;

namespace TrafficSensor;

/// <summary>
/// Counts events by an enum reason without allocation on the hot path. One instance belongs to one
/// thread; totals are made by <see cref="Add(ReasonCounters{TReason})"/> after (or, approximately,
/// during) a run — 64-bit reads are atomic on the platforms we run on.
/// </summary>
public sealed class ReasonCounters<TReason> where TReason : struct, Enum
{
    private static readonly TReason[] Reasons = Enum.GetValues<TReason>();
    private static readonly string[] Names = Reasons.Select(r => ToSnakeCase(r.ToString())).ToArray();
    private readonly long[] _counts = new long[Reasons.Length];

    public void Add(TReason reason, long amount = 1) => _counts[ToIndex(reason)] += amount;

    public long this[TReason reason] => Volatile.Read(ref _counts[ToIndex(reason)]);

    public void Add(ReasonCounters<TReason> other)
    {
        for (var i = 0; i < _counts.Length; i++) _counts[i] += Volatile.Read(ref other._counts[i]);
    }

    /// <summary>Non-zero counts by snake_case reason name, for reports and JSON.</summary>
    public IReadOnlyDictionary<string, long> NonZero()
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < _counts.Length; i++)
        {
            var v = Volatile.Read(ref _counts[i]);
            if (v != 0) result[Names[i]] = v;
        }
        return result;
    }

    public static string NameOf(TReason reason) => Names[ToIndex(reason)];

    // Enums used here are int-based, dense and start at 0, so the value is the index (no boxing).
    private static int ToIndex(TReason reason) => System.Runtime.CompilerServices.Unsafe.As<TReason, int>(ref reason);

    internal static string ToSnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0)
            {
                var previous = name[i - 1];
                var startsWord = char.IsLower(previous) || char.IsDigit(previous)
                                 || (char.IsUpper(previous) && i + 1 < name.Length && char.IsLower(name[i + 1]));
                if (startsWord) sb.Append('_');
            }
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
