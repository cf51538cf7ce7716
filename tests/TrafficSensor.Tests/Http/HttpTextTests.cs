using CsCheck;
using TrafficSensor.Http;

namespace TrafficSensor.Tests.Http;

/// <summary>The per-thread cache of recently decoded texts gives exactly what decoding gives, whatever came before.</summary>
public class HttpTextTests
{
    [Fact]
    public void Recent_text_equals_the_decoded_bytes_for_any_sequence_of_values()
    {
        // Few distinct short values (hits, and collisions in the 1,024 slots), some long ones (never cached), invalid UTF-8.
        var value = Gen.OneOf(Gen.Byte[0x20, 0x7e].Array[0, 8], Gen.Byte.Array[0, 200], Gen.Const(new byte[] { 0xC3, 0xA9 }), Gen.Const(new byte[] { 0xE9 }));
        value.Array[1, 3000].Sample(values =>
        {
            foreach (var bytes in values)
                Assert.Equal(HttpText.Decode(bytes), HttpText.Recent(bytes));
        });
        Assert.Same(HttpText.Recent("keep-alive"u8), HttpText.Recent("keep-alive"u8));
        Assert.Equal("\u00e9", HttpText.Recent([0xE9])); // not UTF-8: Latin-1
    }

    [Fact]
    public void Recent_text_keyed_by_an_ascii_string_never_answers_for_other_bytes()
    {
        // ASCII entries are compared with their own string: bytes that decode to other text (Latin-1 or UTF-8 of
        // the same length, one byte changed, a prefix) must not get it, whatever shares the slot.
        var ascii = Gen.Byte[0x00, 0x7f].Array[1, 6];
        var other = Gen.OneOf(ascii, Gen.Byte[0x80, 0xff].Array[1, 6], Gen.Byte.Array[1, 6]);
        Gen.Select(ascii, other).Array[1, 500].Sample(pairs =>
        {
            foreach (var (first, second) in pairs)
            {
                Assert.Equal(HttpText.Decode(first), HttpText.Recent(first));
                Assert.Equal(HttpText.Decode(second), HttpText.Recent(second));
                Assert.Equal(HttpText.Decode(first), HttpText.Recent(first));
            }
        });
        Assert.Same(HttpText.Recent("text/html"u8), HttpText.Recent("text/html"u8));
        Assert.Same(HttpText.Recent([0xC3, 0xA9]), HttpText.Recent([0xC3, 0xA9]));
    }
}
