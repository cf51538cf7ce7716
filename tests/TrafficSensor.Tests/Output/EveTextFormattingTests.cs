using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using TrafficSensor.Decoding;
using TrafficSensor.Output;

namespace TrafficSensor.Tests.Output;

/// <summary>
/// The fields EVE records write without intermediate strings (times, addresses, long and short values)
/// are spelled exactly as the string-based formatting they replaced.
/// </summary>
public class EveTextFormattingTests
{
    private static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, EveText.WriterOptions))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void Timestamps_are_spelled_as_the_custom_date_format_for_any_time()
    {
        // From year 1 to 9999, before and after the epoch, with any microseconds (the fraction is truncated, never rounded).
        Gen.Long[-62_135_596_800_000_000L, 253_402_300_799_999_999L].Sample(micros =>
        {
            var expected = DateTime.UnixEpoch.AddTicks(micros * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+0000";
            Assert.Equal(expected, EveRecord.FormatTimestamp(micros));
            Assert.Equal($"{{\"t\":\"{expected}\"}}", Json(w => EveText.WriteTimestamp(w, "t"u8, micros)));
        });
        Assert.Equal("2026-11-28T04:05:06.000001+0000", EveRecord.FormatTimestamp(1_795_838_706_000_001L));
    }

    [Fact]
    public void Addresses_are_spelled_as_IPAddress_spells_them()
    {
        var v4 = Gen.UInt.Select(u => IpAddress.FromV4(BitConverter.GetBytes(u)));
        var v6 = Gen.Byte.Array[16].Select(b => IpAddress.FromV6(b));
        // IPv6 with runs of zeros (the "::" compression) and IPv4-mapped forms.
        var sparse = Gen.Int[0, 3].Array[8].Select(words =>
        {
            var bytes = new byte[16];
            for (var i = 0; i < 8; i++) bytes[2 * i + 1] = (byte)(words[i] == 0 ? 0 : words[i] * 85);
            return IpAddress.FromV6(bytes);
        });
        Gen.OneOf(v4, v6, sparse).Sample(address =>
            Assert.Equal($"{{\"a\":\"{address.ToIPAddress()}\"}}", Json(w => EveText.WriteAddress(w, "a"u8, address))));
        Assert.Equal("{\"a\":\"10.0.0.255\"}", Json(w => EveText.WriteAddress(w, "a"u8, IpAddress.Parse("10.0.0.255"))));
    }

    [Fact]
    public void Short_and_long_values_are_escaped_alike()
    {
        // 128 characters are escaped on the stack, longer values in a pooled buffer: the same rule either way.
        Gen.OneOf(Gen.Char['\0', '\u00ff'], Gen.Char['\u4e00', '\u4e10']).Array[0, 400].Select(cs => new string(cs)).Sample(s =>
        {
            var json = Json(w => EveText.WriteString(w, "v"u8, s));
            Assert.Equal(s, JsonDocument.Parse(json).RootElement.GetProperty("v").GetString());
            Assert.Equal(json, Json(w => EveText.WriteString(w, "v", s)));
        });
    }
}
