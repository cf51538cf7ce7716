using System.Buffers;
using TrafficSensor.Http;

namespace TrafficSensor.Http2;

/// <summary>
/// The inspected prefix of one HTTP/2 message body, kept as HTTP/1's parser keeps it: the first
/// HttpOptions.MaxBodyInspectBytes bytes, reserved from the worker's inspection budget (refused and
/// flagged when the budget is spent), content-decoded by <see cref="ContentDecoder"/> when the
/// message completes. One per message in flight; owned by the flow worker's thread.
/// </summary>
internal sealed class Http2BodyCollector(HttpOptions options, MemoryBudget budget)
{
    private byte[]? _buffer;
    private int _kept;
    private bool _refused;

    public void Collect(HttpMessage message, ReadOnlySpan<byte> data)
    {
        message.BodyLength += data.Length;
        var room = options.MaxBodyInspectBytes - _kept;
        if (data.IsEmpty) return;
        if (room <= 0 || _refused)
        {
            message.BodyTruncated = true;
            return;
        }
        if (_buffer is null)
        {
            if (!budget.TryReserve(options.MaxBodyInspectBytes))
            {
                message.Anomalies.Add(HttpAnomaly.BodyNotInspected);
                _refused = true;
                return;
            }
            _buffer = ArrayPool<byte>.Shared.Rent(options.MaxBodyInspectBytes);
        }
        var n = Math.Min(room, data.Length);
        data[..n].CopyTo(_buffer.AsSpan(_kept));
        _kept += n;
        if (n < data.Length) message.BodyTruncated = true;
    }

    /// <summary>Missing body bytes (a TCP gap inside DATA).</summary>
    public static void Gap(HttpMessage message, long length)
    {
        message.BodyLength += length;
        message.BodyTruncated = true;
        message.Anomalies.Add(HttpAnomaly.GapInBody);
    }

    /// <summary>The message ended: its kept prefix, content-decoded, becomes <see cref="HttpMessage.Body"/>.</summary>
    public void Finish(HttpMessage message)
    {
        if (_buffer is not null && _kept > 0)
            ContentDecoder.DecodeBody(message, _buffer, _kept, options, options.RetainedBodyBytes is null ? BodyStorage.Array : BodyStorage.Pooled);
        Release();
    }

    public void Release()
    {
        if (_buffer is null) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        budget.Release(options.MaxBodyInspectBytes);
        _buffer = null;
        _kept = 0;
    }
}
