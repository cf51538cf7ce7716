using System.Text;
using CsCheck;
using TrafficSensor.Http;

namespace TrafficSensor.Tests.Http;

/// <summary>
/// Parameters are read without a string per separator or per body (cookies split in place, form bodies decoded into a
/// pooled buffer, short texts shared by the per-thread cache, lists sized up front): the same parameters as before.
/// </summary>
public class ParameterAllocationTests
{
    // The cookie reading before: string.Split with trimmed, non-empty entries, values cut to 4,096 characters.
    private static List<HttpParameter> SplitCookies(string header, int max)
    {
        var list = new List<HttpParameter>();
        foreach (var part in header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (list.Count >= max) break;
            var eq = part.IndexOf('=');
            var name = eq < 0 ? part : part[..eq].Trim();
            var value = eq < 0 ? "" : part[(eq + 1)..].Trim();
            list.Add(new HttpParameter(ParameterSource.Cookie, name, value.Length > 4096 ? value[..4096] : value));
        }
        return list;
    }

    private static readonly Gen<string> CookieText = Gen.OneOf(
            Gen.Const("a=1"), Gen.Const(" b = 2 "), Gen.Const("c"), Gen.Const("="), Gen.Const(""), Gen.Const(" "), Gen.Const("\u00a0d=\u00e9\t"),
            Gen.Const("e=" + new string('x', 5000)), Gen.Const("f=" + new string('y', 200)), Gen.Char["a-z =\t"].Array[0, 12].Select(c => new string(c)))
        .Array[0, 8].Select(parts => string.Join(';', parts));

    [Fact]
    public void Cookies_split_in_place_equal_the_split_strings()
    {
        Gen.Select(CookieText, Gen.Int[0, 10]).Sample((header, max) =>
        {
            var list = new List<HttpParameter>();
            var anomalies = new HttpAnomalies();
            HttpParameters.ParseCookies(header, list, max, ref anomalies);
            var expected = SplitCookies(header, max);
            Assert.Equal(expected, list);
            Assert.Equal(expected.Count < SplitCookies(header, int.MaxValue).Count, anomalies.Contains(HttpAnomaly.TooManyParameters));
        });
    }

    [Fact]
    public void Query_form_and_cookie_parameters_are_those_of_the_decoded_text()
    {
        // Names and values repeat (cache hits and slot collisions), escapes and '+', non-ASCII and invalid UTF-8 in forms.
        var token = Gen.OneOf(Gen.Const("v"), Gen.Const("utm_source"), Gen.Const("bench"), Gen.Const("%41%zz"), Gen.Const("a+b"),
            Gen.Const("%C3%A9"), Gen.Const("\u00e9"), Gen.String[Gen.Char["a-z0-9"], 0, 6]);
        var pairs = Gen.Select(token, token, Gen.Bool).Select((n, v, eq) => eq ? n + "=" + v : n).Array[0, 12]
            .Select(p => string.Join(Gen.OneOf(Gen.Const("&"), Gen.Const(";")).Single(), p));
        Gen.Select(pairs, pairs, CookieText, Gen.Bool).Sample((query, form, cookie, latin1) =>
        {
            var formBytes = latin1 ? Encoding.Latin1.GetBytes(form) : Encoding.UTF8.GetBytes(form);
            var request = "POST /p?" + query + " HTTP/1.1\r\nHost: h\r\nCookie: " + cookie
                + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + formBytes.Length + "\r\n\r\n";
            var tx = new HttpHarness().Client([.. Encoding.UTF8.GetBytes(request), .. formBytes]).Close().Single();

            var expected = new List<HttpParameter>();
            var anomalies = new HttpAnomalies();
            HttpParameters.ParseUrlEncoded(tx.Request!.Target!.AsSpan(tx.Request.Target!.IndexOf('?') + 1), ParameterSource.Query, expected, 100, ref anomalies);
            expected.AddRange(SplitCookies(tx.Request.Header("Cookie")!, 100 - expected.Count));
            var formText = Encoding.UTF8.GetString(formBytes) is var utf8 && Encoding.UTF8.GetBytes(utf8).AsSpan().SequenceEqual(formBytes)
                ? utf8 : Encoding.Latin1.GetString(formBytes);
            HttpParameters.ParseUrlEncoded(formText, ParameterSource.Form, expected, 100, ref anomalies);
            Assert.Equal(expected, tx.Parameters);
            Assert.True(tx.Parameters.Capacity <= query.Length + cookie.Length + form.Length + 3);
        });
    }

    [Fact]
    public void Recent_chars_equal_the_text_and_repeat_as_one_string()
    {
        Gen.String.Array[1, 2000].Sample(texts =>
        {
            foreach (var text in texts) Assert.Equal(text, HttpText.Recent(text.AsSpan()));
        });
        Assert.Same(HttpText.Recent("utm_source".AsSpan()), HttpText.Recent("utm_source".ToCharArray()));
        var longText = new string('z', 300);
        Assert.Equal(longText, HttpText.Recent(longText.AsSpan()));
    }

    [Fact]
    public void Long_escaped_values_decode_on_the_heap_as_short_ones_on_the_stack()
    {
        // Past 340 characters the decoder's scratch bytes are not on the stack: the text is the same, call after call.
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 1000]).Sample((kind, extra) =>
        {
            var (unit, plain) = kind switch { 0 => ("a+", "a "), 1 => ("%41b", "Ab"), 2 => ("%E2%9C%93", "\u2713"), _ => ("\u00e9%zz", "\u00e9%zz") };
            var units = (341 + extra * 3) / unit.Length + 1;
            units = Math.Min(units, 4096 / unit.Length); // within the 4,096 characters kept
            var decoded = HttpParameters.PercentDecode(string.Concat(Enumerable.Repeat(unit, units)).AsSpan());
            Assert.Equal(string.Concat(Enumerable.Repeat(plain, units)), decoded);
        });
    }
}
