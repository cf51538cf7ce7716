using System.Buffers;

namespace TrafficSensor.Tests.Http;

/// <summary>
/// A body pool that tells what became of every buffer: it hands out fresh arrays longer than asked and
/// filled with 0xEE (code that reads past the length it was given sees junk), poisons each returned one
/// with 0xDD (code that reads a body after its buffer went back sees junk), and counts what is still
/// out and every return of an array that was not out (a second return). Thread-safe.
/// </summary>
internal sealed class CountingBodyPool : ArrayPool<byte>
{
    private readonly object _gate = new();
    private readonly HashSet<byte[]> _outstanding = new(ReferenceEqualityComparer.Instance);
    private int _rented;
    private int _badReturns;

    public int Rented { get { lock (_gate) return _rented; } }
    public int Outstanding { get { lock (_gate) return _outstanding.Count; } }
    /// <summary>Returns of an array not rented from here or already returned.</summary>
    public int BadReturns { get { lock (_gate) return _badReturns; } }

    public override byte[] Rent(int minimumLength)
    {
        var array = new byte[minimumLength + 7];
        array.AsSpan().Fill(0xEE);
        lock (_gate)
        {
            _outstanding.Add(array);
            _rented++;
        }
        return array;
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        lock (_gate)
        {
            if (!_outstanding.Remove(array))
            {
                _badReturns++;
                return;
            }
        }
        array.AsSpan().Fill(0xDD);
    }
}
