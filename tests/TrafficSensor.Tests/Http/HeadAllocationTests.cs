using System.Globalization;
using CsCheck;
using TrafficSensor.Http;

namespace TrafficSensor.Tests.Http;

/// <summary>
/// The head is read without per-message copies (header lists sized to the head, framing headers read in place):
/// the same headers, framing and anomalies as the string-splitting reading they replaced.
/// </summary>
public class HeadAllocationTests
{
    // The readings before: string.Split with trimmed entries.
    private static long? SplitContentLength(HttpMessage message)
    {
        long? result = null;
        foreach (var header in message.Headers)
        {
            if (!header.Name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) continue;
            foreach (var item in header.Value.Split(',', StringSplitOptions.TrimEntries))
            {
                if (item.Length == 0 || item.Length > 18 || !item.All(char.IsAsciiDigit))
                {
                    message.Anomalies.Add(HttpAnomaly.InvalidContentLength);
                    return null;
                }
                var value = long.Parse(item, CultureInfo.InvariantCulture);
                if (result is not null && result != value)
                {
                    message.Anomalies.Add(HttpAnomaly.ConflictingContentLength);
                    continue;
                }
                result = value;
            }
        }
        return result;
    }

    private static bool SplitChunkedLast(string transferEncoding)
    {
        var last = transferEncoding.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        return last is not null && last.Equals("chunked", StringComparison.OrdinalIgnoreCase);
    }

    private static readonly Gen<string> ListText = Gen.OneOf(
            Gen.Const("5"), Gen.Const("0"), Gen.Const("12"), Gen.Const("chunked"), Gen.Const("Chunked"), Gen.Const("gzip"),
            Gen.Const(""), Gen.Const(" "), Gen.Const("\t"), Gen.Const("\u00a0"), Gen.Const("-1"), Gen.Const("+5"), Gen.Const("1234567890123456789"),
            Gen.Const("\u0661"), Gen.Char["0-9 ,\t"].Array[0, 6].Select(c => new string(c)))
        .Array[0, 5].Select(parts => string.Join(Gen.OneOf(Gen.Const(","), Gen.Const(", "), Gen.Const(" ,")).Single(), parts));

    [Fact]
    public void Content_length_read_in_place_agrees_with_splitting_the_values()
    {
        ListText.Array[0, 3].Sample(values =>
        {
            var inPlace = new HttpMessage();
            var split = new HttpMessage();
            foreach (var value in values)
            {
                inPlace.Headers.Add(new HttpHeader("Content-Length", value));
                split.Headers.Add(new HttpHeader("content-length", value));
            }
            Assert.Equal(SplitContentLength(split), HttpConnection.ContentLength(inPlace));
            Assert.Equal(split.Anomalies.All().ToArray(), inPlace.Anomalies.All().ToArray());
        });
    }

    [Fact]
    public void Chunked_last_read_in_place_agrees_with_splitting_the_codings()
    {
        ListText.Sample(value => Assert.Equal(SplitChunkedLast(value), HttpConnection.IsChunkedLast(value)));
        Assert.True(HttpConnection.IsChunkedLast("gzip, chunked ,"));
        Assert.False(HttpConnection.IsChunkedLast("chunked, gzip"));
    }

    [Fact]
    public void Header_lists_hold_every_header_of_any_head_split_anywhere()
    {
        // Heads with folded lines, bare LFs, invalid lines, trailers: every header is kept, in order, at any split.
        var line = Gen.OneOf(
            Gen.Const("Host: a\r\n"), Gen.Const("X-A: 1\n"), Gen.Const(" folded\r\n"), Gen.Const("bad line\r\n"),
            Gen.Const("Cookie: a=1; b=2\r\n"), Gen.Const("Name : v\r\n"), Gen.Const("E:\r\n"));
        Gen.Select(line.Array[0, 30], Gen.Int[1, 40]).Sample((lines, chunk) =>
        {
            var head = "GET /x HTTP/1.1\r\n" + string.Concat(lines) + "\r\n";
            var whole = new HttpHarness().Client(head).Close().Single().Request!;
            var split = new HttpHarness().Client(head, chunk).Close().Single().Request!;
            Assert.Equal(whole.Headers, split.Headers);
            Assert.Equal(lines.Count(l => l.Contains(':') && !l.StartsWith(' ')), whole.Headers.Count);
            Assert.True(whole.Headers.Capacity <= lines.Length);
        });
    }

    [Fact]
    public void Too_many_headers_are_counted_and_the_list_stays_bounded()
    {
        var head = "GET / HTTP/1.1\r\n" + string.Concat(Enumerable.Range(0, 50).Select(i => $"X-{i}: {i}\r\n")) + "\r\n";
        var request = new HttpHarness(new HttpOptions { MaxHeaders = 10 }).Client(head).Close().Single().Request!;
        Assert.Equal(10, request.Headers.Count);
        Assert.Equal(10, request.Headers.Capacity);
        Assert.True(request.Anomalies.Contains(HttpAnomaly.TooManyHeaders));
    }

    [Fact]
    public void Chunked_trailers_join_a_sized_header_list()
    {
        var tx = new HttpHarness()
            .Client("POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n")
            .Server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .Close().Single();
        Assert.Equal(["Host", "Transfer-Encoding", "X-T", "X-U"], tx.Request!.Headers.Select(h => h.Name));
        Assert.Equal(3, tx.Request.BodyLength);
    }
}
