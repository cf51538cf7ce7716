using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
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

    /// <inheritdoc cref="WriteString(Utf8JsonWriter, string, ReadOnlySpan{char})"/>
    public static void WriteString(Utf8JsonWriter w, ReadOnlySpan<byte> utf8Name, ReadOnlySpan<char> value)
    {
        w.WritePropertyName(utf8Name);
        WriteStringValue(w, value);
    }

    /// <summary>Values up to this many characters are escaped on the stack (most fields); longer ones in a pooled buffer.</summary>
    private const int StackChars = 128;

    // Not zeroed (2.7 KB per string field: ≈1 % of a replay's CPU): WriteEscaped reads only the UTF-8 bytes it wrote and the escaped bytes Escape wrote.
    [SkipLocalsInit]
    public static void WriteStringValue(Utf8JsonWriter w, ReadOnlySpan<char> value)
    {
        var utf8Length = Encoding.UTF8.GetMaxByteCount(value.Length);
        var needed = utf8Length * 7 + 2;
        if (value.Length <= StackChars)
        {
            Span<byte> buffer = stackalloc byte[(StackChars + 1) * 3 * 7 + 2];
            WriteEscaped(w, value, buffer[..needed], utf8Length);
            return;
        }
        var rented = ArrayPool<byte>.Shared.Rent(needed);
        try
        {
            WriteEscaped(w, value, rented, utf8Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void WriteEscaped(Utf8JsonWriter w, ReadOnlySpan<char> value, Span<byte> buffer, int utf8Length)
    {
        // UTF-8 first (replacement fallback turns a lone surrogate into U+FFFD), then escape in place
        // from the end of the buffer, where the UTF-8 bytes were written.
        var source = buffer[^utf8Length..];
        var count = Encoding.UTF8.GetBytes(value, source);
        var written = Escape(source[..count], buffer);
        w.WriteRawValue(buffer[..written], skipInputValidation: true);
    }

    /// <summary>
    /// A capture time as Suricata writes it, <c>2026-11-28T04:05:06.123456+0000</c> (UTC, microseconds, the
    /// fraction truncated), written straight into the record (no string per field).
    /// </summary>
    [SkipLocalsInit] // FormatTimestamp writes all 31 bytes
    public static void WriteTimestamp(Utf8JsonWriter w, ReadOnlySpan<byte> utf8Name, long micros)
    {
        Span<byte> text = stackalloc byte[TimestampLength];
        FormatTimestamp(micros, text);
        w.WriteString(utf8Name, text);
    }

    public const int TimestampLength = 31;

    /// <summary>Writes the 31 bytes of <see cref="WriteTimestamp"/>'s format into <paramref name="text"/>.</summary>
    public static void FormatTimestamp(long micros, Span<byte> text)
    {
        var time = DateTime.UnixEpoch.AddTicks(micros * 10);
        Digits(text[..4], time.Year);
        text[4] = (byte)'-';
        Digits(text.Slice(5, 2), time.Month);
        text[7] = (byte)'-';
        Digits(text.Slice(8, 2), time.Day);
        text[10] = (byte)'T';
        Digits(text.Slice(11, 2), time.Hour);
        text[13] = (byte)':';
        Digits(text.Slice(14, 2), time.Minute);
        text[16] = (byte)':';
        Digits(text.Slice(17, 2), time.Second);
        text[19] = (byte)'.';
        Digits(text.Slice(20, 6), (int)(time.Ticks % TimeSpan.TicksPerSecond / 10));
        "+0000"u8.CopyTo(text[26..]);
    }

    private static void Digits(Span<byte> field, int value)
    {
        for (var i = field.Length - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }

    /// <summary>An address as <see cref="System.Net.IPAddress.ToString"/> spells it (dotted IPv4, RFC 5952 IPv6), without a string.</summary>
    [SkipLocalsInit] // only the n bytes formatted are read
    public static void WriteAddress(Utf8JsonWriter w, ReadOnlySpan<byte> utf8Name, Decoding.IpAddress address)
    {
        Span<byte> text = stackalloc byte[64];
        int n;
        if (address.IsV4)
        {
            n = 0;
            var v4 = (uint)address.Low;
            for (var shift = 24; shift >= 0; shift -= 8)
            {
                ((v4 >> shift) & 0xFF).TryFormat(text[n..], out var written, default, CultureInfo.InvariantCulture);
                n += written;
                if (shift > 0) text[n++] = (byte)'.';
            }
        }
        else
        {
            address.ToIPAddress().TryFormat(text, out n);
        }
        w.WriteString(utf8Name, text[..n]);
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
        WriteFloatValue(w, value, digits);
    }

    /// <inheritdoc cref="WriteFloat(Utf8JsonWriter, string, double, int)"/>
    public static void WriteFloat(Utf8JsonWriter w, ReadOnlySpan<byte> utf8Name, double value, int digits = 6)
    {
        w.WritePropertyName(utf8Name);
        WriteFloatValue(w, value, digits);
    }

    [SkipLocalsInit] // only the n bytes formatted (and the ".0" appended) are read
    private static void WriteFloatValue(Utf8JsonWriter w, double value, int digits)
    {
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
