using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TrafficSensor.Output;

/// <summary>
/// How text and numbers are spelled in EVE records, as Suricata spells them.
/// <para>Strings: escaped only where JSON requires it — <c>"</c>, <c>\</c> and the control characters
/// U+0000–U+001F (as <c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\b</c>, <c>\f</c> or <c>\u00XX</c>); everything else,
/// including <c>+ &amp; &lt; &gt; '</c>, DEL and non-ASCII, is written literally as UTF-8. Wire bytes reach
/// this class already decoded by the Http stage: a field whose bytes are valid UTF-8 is that text,
/// otherwise each byte is the Latin-1 character of the same value (so invalid UTF-8 still makes valid
/// JSON, and encoding the string back as Latin-1 restores the exact bytes). A lone surrogate (never
/// produced by that decoding) would be written as U+FFFD.</para>
/// <para>Numbers: counts are integers; measured values (scores, thresholds, reason values) are always
/// written with a decimal point ("1.0", never "1"), so a SIEM's field type never flips.</para>
/// </summary>
public static class EveText
{
    /// <summary>Our own strings (names, timestamps) need no escaping beyond JSON's; the same rule applies.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private static readonly SearchValues<byte> NeedsEscape = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)'"', (byte)'\\']);

    private static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    /// <summary>Writes <paramref name="name"/>: <paramref name="value"/> with the escaping rule above.</summary>
    public static void WriteString(Utf8JsonWriter w, string name, ReadOnlySpan<char> value)
    {
        w.WritePropertyName(name);
        WriteStringValue(w, value);
    }

    public static void WriteStringValue(Utf8JsonWriter w, ReadOnlySpan<char> value)
    {
        var utf8Length = Encoding.UTF8.GetMaxByteCount(value.Length);
        var rented = ArrayPool<byte>.Shared.Rent(utf8Length * 7 + 2);
        try
        {
            // UTF-8 first (replacement fallback turns a lone surrogate into U+FFFD), then escape in place
            // from the end of the rented buffer, where the UTF-8 bytes were written.
            var source = rented.AsSpan(rented.Length - utf8Length);
            var count = Encoding.UTF8.GetBytes(value, source);
            var written = Escape(source[..count], rented);
            w.WriteRawValue(rented.AsSpan(0, written), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Writes the quoted, escaped JSON string of <paramref name="utf8"/> into <paramref name="output"/>; returns its length.</summary>
    internal static int Escape(ReadOnlySpan<byte> utf8, Span<byte> output)
    {
        var o = 0;
        output[o++] = (byte)'"';
        while (!utf8.IsEmpty)
        {
            var next = utf8.IndexOfAny(NeedsEscape);
            var plain = next < 0 ? utf8 : utf8[..next];
            plain.CopyTo(output[o..]);
            o += plain.Length;
            if (next < 0) break;
            var b = utf8[next];
            output[o++] = (byte)'\\';
            switch (b)
            {
                case (byte)'"': output[o++] = (byte)'"'; break;
                case (byte)'\\': output[o++] = (byte)'\\'; break;
                case (byte)'\n': output[o++] = (byte)'n'; break;
                case (byte)'\r': output[o++] = (byte)'r'; break;
                case (byte)'\t': output[o++] = (byte)'t'; break;
                case (byte)'\b': output[o++] = (byte)'b'; break;
                case (byte)'\f': output[o++] = (byte)'f'; break;
                default:
                    output[o++] = (byte)'u';
                    output[o++] = (byte)'0';
                    output[o++] = (byte)'0';
                    output[o++] = Hex[b >> 4];
                    output[o++] = Hex[b & 0xF];
                    break;
            }
            utf8 = utf8[(next + 1)..];
        }
        output[o++] = (byte)'"';
        return o;
    }

    /// <summary>A measured value, always with a decimal point: 1 → 1.0, 0.25 → 0.25, rounded to <paramref name="digits"/>.</summary>
    public static void WriteFloat(Utf8JsonWriter w, string name, double value, int digits = 6)
    {
        w.WritePropertyName(name);
        if (!double.IsFinite(value)) value = 0; // JSON has no NaN or infinity; a model never yields them, guard anyway
        Span<byte> text = stackalloc byte[40];
        value = Math.Round(value, digits);
        value.TryFormat(text, out var n, "R", CultureInfo.InvariantCulture);
        if (text[..n].IndexOfAny((byte)'.', (byte)'E', (byte)'e') < 0)
        {
            text[n++] = (byte)'.';
            text[n++] = (byte)'0';
        }
        w.WriteRawValue(text[..n], skipInputValidation: true);
    }
}
