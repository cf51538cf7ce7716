using System.IO.Compression;

namespace TrafficSensor.Http;

/// <summary>
/// Undoes Content-Encoding (gzip, x-gzip, deflate, br; up to two layers) on the inspected body prefix,
/// never producing more than a fixed number of bytes: a decompression bomb costs a bounded amount of
/// work and memory, and is flagged.
/// </summary>
internal static class ContentDecoder
{
    private const int MaxLayers = 2;

    /// <summary>
    /// Decodes the kept prefix <paramref name="raw"/>[..<paramref name="length"/>] (the caller's buffer, which it keeps)
    /// and stores the result as <see cref="HttpMessage.Body"/> the way <paramref name="storage"/> says. With
    /// <see cref="BodyStorage.None"/> the decoding still runs (its anomalies and the truncation flag are the same)
    /// but nothing is copied out of <paramref name="raw"/> for a body that was not encoded.
    /// </summary>
    public static void DecodeBody(HttpMessage message, byte[] raw, int length, HttpOptions options, BodyStorage storage)
    {
        var encoding = message.Header("Content-Encoding");
        if (string.IsNullOrWhiteSpace(encoding) || encoding.Trim().Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            Store(message, raw, length, rented: false, options, storage);
            return;
        }

        var codings = encoding.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (codings.Length > MaxLayers)
        {
            message.Anomalies.Add(HttpAnomaly.DecodingLimit);
            Store(message, raw, length, rented: false, options, storage);
            return;
        }

        // The current layer's bytes: the caller's buffer at first, then buffers rented here (returned when done with).
        var current = raw;
        var currentLength = length;
        // Codings are listed in the order applied, so they are undone from last to first.
        for (var i = codings.Length - 1; i >= 0; i--)
        {
            var decoded = Decode(codings[i], current, currentLength, options.MaxDecodedBodyBytes, message.BodyTruncated, options.BodyPool,
                out var decodedLength, out var limitHit, out var failed);
            if (failed || decoded is null)
            {
                if (decoded is not null) options.BodyPool.Return(decoded);
                message.Anomalies.Add(HttpAnomaly.DecodingFailed);
                break;
            }
            if (limitHit)
            {
                message.Anomalies.Add(HttpAnomaly.DecodingLimit);
                message.BodyTruncated = true;
            }
            if (current != raw) options.BodyPool.Return(current);
            current = decoded;
            currentLength = decodedLength;
        }
        Store(message, current, currentLength, rented: current != raw, options, storage);
    }

    /// <summary>Makes <paramref name="bytes"/>[..<paramref name="length"/>] the message's body; a buffer <paramref name="rented"/> here is handed over or returned.</summary>
    private static void Store(HttpMessage message, byte[] bytes, int length, bool rented, HttpOptions options, BodyStorage storage)
    {
        switch (storage)
        {
            case BodyStorage.Array:
                message.Body = bytes.AsSpan(0, length).ToArray();
                break;
            case BodyStorage.Pooled when rented:
                message.SetPooledBody(bytes, length, options.BodyPool);
                return;
            case BodyStorage.Pooled:
                var copy = options.BodyPool.Rent(length);
                bytes.AsSpan(0, length).CopyTo(copy);
                message.SetPooledBody(copy, length, options.BodyPool);
                break;
        }
        if (rented) options.BodyPool.Return(bytes);
    }

    /// <summary>How a message's decoded body is kept, by what reads it after the parser (<see cref="HttpOptions.RetainedBodyBytes"/>).</summary>
    public static BodyStorage StorageFor(HttpOptions options, bool response) =>
        response && !options.KeepResponseBodies ? BodyStorage.None
        : options.RetainedBodyBytes is null ? BodyStorage.Array
        : BodyStorage.Pooled;

    /// <summary>
    /// Decodes one layer into a buffer rented from <paramref name="pool"/> (the caller returns it): the bytes decoded
    /// are <paramref name="decodedLength"/> long. A stream cut short (we keep only a prefix) yields what decoded before the cut.
    /// </summary>
    internal static byte[]? Decode(string coding, byte[] input, int inputLength, int maxOutput, bool inputTruncated, System.Buffers.ArrayPool<byte> pool,
        out int decodedLength, out bool limitHit, out bool failed)
    {
        decodedLength = 0;
        limitHit = false;
        failed = false;
        var source = new MemoryStream(input, 0, inputLength, writable: false);
        Stream? decoder = coding.ToLowerInvariant() switch
        {
            "gzip" or "x-gzip" => new GZipStream(source, CompressionMode.Decompress),
            // "deflate" is zlib-wrapped by the RFC but raw deflate in practice from some servers.
            "deflate" => inputLength >= 2 && (input[0] & 0x0F) == 8 && ((input[0] << 8) | input[1]) % 31 == 0
                ? new ZLibStream(source, CompressionMode.Decompress)
                : new DeflateStream(source, CompressionMode.Decompress),
            "br" => new BrotliStream(source, CompressionMode.Decompress),
            _ => null,
        };
        if (decoder is null)
        {
            failed = true;
            return null;
        }

        using (decoder)
        {
            // The reads ask for what the growing capacity leaves, as they did when the output was an array
            // resized to it: the same calls, so the same bytes and the same outcome on a cut or corrupt stream.
            var capacity = Math.Min(maxOutput, Math.Max(4096, inputLength * 8));
            var output = pool.Rent(capacity);
            var total = 0;
            try
            {
                while (true)
                {
                    if (total == capacity)
                    {
                        if (capacity >= maxOutput)
                        {
                            limitHit = decoder.ReadByte() >= 0;
                            break;
                        }
                        capacity = Math.Min(maxOutput, capacity * 2);
                        if (output.Length < capacity)
                        {
                            var bigger = pool.Rent(capacity);
                            output.AsSpan(0, total).CopyTo(bigger);
                            pool.Return(output);
                            output = bigger;
                        }
                    }
                    var n = decoder.Read(output, total, capacity - total);
                    if (n == 0) break;
                    total += n;
                }
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                // A truncated input ends mid-stream; that is expected. Corrupt data at the start is not.
                if (total == 0 || !inputTruncated) failed = total == 0;
            }
            decodedLength = total;
            return output;
        }
    }
}

/// <summary>Where <see cref="ContentDecoder.DecodeBody"/> puts a decoded body.</summary>
internal enum BodyStorage
{
    /// <summary>Nowhere: nothing reads it (a response body in a run without a model).</summary>
    None,
    /// <summary>An array of its own, kept whole (direct users of the parser; an output that reads whole bodies).</summary>
    Array,
    /// <summary>A pooled buffer the message owns until the flow worker hands its transaction on (<see cref="HttpMessage.ReleasePooledBody"/>).</summary>
    Pooled,
}
