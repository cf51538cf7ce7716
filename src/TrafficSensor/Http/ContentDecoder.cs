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
    /// The decoded body prefix, or null when <paramref name="keep"/> is false: the decoding still runs
    /// (its anomalies and the truncation flag are the same) but nothing is copied out of <paramref name="body"/>
    /// for a body that was not encoded.
    /// </summary>
    public static byte[]? DecodeBody(HttpMessage message, ReadOnlySpan<byte> body, int maxOutput, bool keep = true)
    {
        var encoding = message.Header("Content-Encoding");
        if (string.IsNullOrWhiteSpace(encoding) || encoding.Trim().Equals("identity", StringComparison.OrdinalIgnoreCase))
            return keep ? body.ToArray() : null;

        var codings = encoding.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (codings.Length > MaxLayers)
        {
            message.Anomalies.Add(HttpAnomaly.DecodingLimit);
            return keep ? body.ToArray() : null;
        }

        var current = body.ToArray();
        // Codings are listed in the order applied, so they are undone from last to first.
        for (var i = codings.Length - 1; i >= 0; i--)
        {
            var decoded = Decode(codings[i], current, maxOutput, message.BodyTruncated, out var limitHit, out var failed);
            if (failed || decoded is null)
            {
                message.Anomalies.Add(HttpAnomaly.DecodingFailed);
                return keep ? current : null;
            }
            if (limitHit)
            {
                message.Anomalies.Add(HttpAnomaly.DecodingLimit);
                message.BodyTruncated = true;
            }
            current = decoded;
        }
        return keep ? current : null;
    }

    /// <summary>Decodes one layer; a stream cut short (we keep only a prefix) yields what decoded before the cut.</summary>
    internal static byte[]? Decode(string coding, byte[] input, int maxOutput, bool inputTruncated, out bool limitHit, out bool failed)
    {
        limitHit = false;
        failed = false;
        Stream? decoder = coding.ToLowerInvariant() switch
        {
            "gzip" or "x-gzip" => new GZipStream(new MemoryStream(input), CompressionMode.Decompress),
            // "deflate" is zlib-wrapped by the RFC but raw deflate in practice from some servers.
            "deflate" => input.Length >= 2 && (input[0] & 0x0F) == 8 && ((input[0] << 8) | input[1]) % 31 == 0
                ? new ZLibStream(new MemoryStream(input), CompressionMode.Decompress)
                : new DeflateStream(new MemoryStream(input), CompressionMode.Decompress),
            "br" => new BrotliStream(new MemoryStream(input), CompressionMode.Decompress),
            _ => null,
        };
        if (decoder is null)
        {
            failed = true;
            return null;
        }

        using (decoder)
        {
            var output = new byte[Math.Min(maxOutput, Math.Max(4096, input.Length * 8))];
            var total = 0;
            try
            {
                while (true)
                {
                    if (total == output.Length)
                    {
                        if (output.Length >= maxOutput)
                        {
                            limitHit = decoder.ReadByte() >= 0;
                            break;
                        }
                        Array.Resize(ref output, Math.Min(maxOutput, output.Length * 2));
                    }
                    var n = decoder.Read(output, total, output.Length - total);
                    if (n == 0) break;
                    total += n;
                }
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                // A truncated input ends mid-stream; that is expected. Corrupt data at the start is not.
                if (total == 0 || !inputTruncated) failed = total == 0;
            }
            Array.Resize(ref output, total);
            return output;
        }
    }
}
