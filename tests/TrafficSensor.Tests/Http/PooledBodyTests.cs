using System.IO.Compression;
using System.Text;
using CsCheck;
using TrafficSensor.Http;

namespace TrafficSensor.Tests.Http;

/// <summary>
/// Bodies decoded into pooled buffers (what the pipeline does when no output reads whole bodies) read the
/// same as bodies in arrays of their own until the flow worker releases them, then keep only the excerpt,
/// and each buffer goes back to the pool exactly once.
/// </summary>
public class PooledBodyTests
{
    private const int Excerpt = 16;

    private static byte[] Compress(byte[] data, string coding)
    {
        using var ms = new MemoryStream();
        using (Stream z = coding switch
               {
                   "gzip" => new GZipStream(ms, CompressionLevel.Fastest),
                   "deflate" => new ZLibStream(ms, CompressionLevel.Fastest),
                   "raw-deflate" => new DeflateStream(ms, CompressionLevel.Fastest),
                   _ => new BrotliStream(ms, CompressionLevel.Fastest),
               })
            z.Write(data);
        return ms.ToArray();
    }

    private static byte[] Response(string coding, byte[] body) =>
        HttpHarness.Bytes($"HTTP/1.1 200 OK\r\n{(coding.Length > 0 ? $"Content-Encoding: {coding.Replace("raw-", "")}\r\n" : "")}Content-Length: {body.Length}\r\n\r\n")
            .Concat(body).ToArray();

    /// <summary>The conversation through a harness with arrays of their own and through one with pooled bodies.</summary>
    private static (List<HttpTransaction> Whole, List<HttpTransaction> Pooled) Both(string request, byte[] response, CountingBodyPool pool, int maxDecoded = 256 * 1024)
    {
        var whole = new HttpHarness(new HttpOptions { MaxDecodedBodyBytes = maxDecoded }).Client(request).Server(response).Close();
        var pooled = new HttpHarness(new HttpOptions { MaxDecodedBodyBytes = maxDecoded, RetainedBodyBytes = Excerpt, BodyPool = pool })
            .Client(request).Server(response).Close();
        return (whole, pooled);
    }

    private static void AssertReleasedToTheExcerpt(HttpMessage? whole, HttpMessage? pooled)
    {
        var full = whole?.Body ?? [];
        Assert.Equal(full.AsSpan(0, Math.Min(Excerpt, full.Length)).ToArray(), pooled?.Body ?? []);
    }

    [Fact]
    public void Pooled_bodies_read_as_whole_ones_until_released_then_keep_only_the_excerpt_and_go_back_once()
    {
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("uid=33(www-data) gid=33(www-data) ", 40)));
        var form = "POST /f.php HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 33\r\n\r\ncmd=cat+%2Fetc%2Fpasswd&x=%41%42C";
        foreach (var coding in new[] { "", "gzip", "deflate", "raw-deflate", "br", "gzip, br" })
        {
            var body = coding switch
            {
                "gzip, br" => Compress(Compress(text, "gzip"), "br"),
                "" => text,
                _ => Compress(text, coding),
            };
            var pool = new CountingBodyPool();
            var (whole, pooled) = Both(form, Response(coding, body), pool);
            var tx = Assert.Single(pooled);
            Assert.True(pool.Outstanding >= 2, "the request and the response body are pooled");
            Assert.Equal(HttpHarness.Describe(Assert.Single(whole)), HttpHarness.Describe(tx)); // bodies, parameters, anomalies
            Assert.Equal(whole[0].Response!.Body, tx.Response!.BodyBytes.ToArray());
            Assert.Equal(text, tx.Response.BodyBytes.ToArray());

            tx.ReleasePooledBodies(Excerpt);
            AssertReleasedToTheExcerpt(whole[0].Request, tx.Request);
            AssertReleasedToTheExcerpt(whole[0].Response, tx.Response);
            tx.ReleasePooledBodies(Excerpt); // a second release finds nothing to return
            Assert.Equal((0, 0), (pool.Outstanding, pool.BadReturns));
            Assert.Equal(whole[0].Parameters, tx.Parameters);
        }
    }

    [Fact]
    public void Without_an_excerpt_nothing_is_kept()
    {
        var pool = new CountingBodyPool();
        var (_, pooled) = Both("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", HttpHarness.Bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), pool);
        var tx = Assert.Single(pooled);
        tx.ReleasePooledBodies(0);
        Assert.Null(tx.Request!.Body);
        Assert.Null(tx.Response!.Body);
        Assert.True(tx.Request.BodyBytes.IsEmpty);
        Assert.Equal((2, 0, 0), (pool.Rented, pool.Outstanding, pool.BadReturns));
    }

    [Fact]
    public void A_message_cut_by_the_end_of_the_flow_is_completed_and_its_body_goes_back_once()
    {
        // The flow ends (closed, timed out or evicted: all end in Close) in the middle of both bodies.
        var pool = new CountingBodyPool();
        var h = new HttpHarness(new HttpOptions { RetainedBodyBytes = Excerpt, BodyPool = pool })
            .Client("POST /up.php HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n" + new string('a', 300))
            .Server("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + new string('b', 700));
        Assert.Empty(h.Transactions);
        Assert.Equal(0, pool.Rented); // nothing is decoded before a message ends
        var tx = Assert.Single(h.Close());
        Assert.True(tx.Request!.BodyTruncated && tx.Response!.BodyTruncated);
        Assert.Equal(700, tx.Response.BodyBytes.Length);
        Assert.Equal(2, pool.Outstanding);
        tx.ReleasePooledBodies(Excerpt);
        Assert.Equal(new string('b', Excerpt), Encoding.ASCII.GetString(tx.Response.Body!));
        Assert.Equal((2, 0, 0), (pool.Rented, pool.Outstanding, pool.BadReturns));
    }

    [Fact]
    public void Requests_written_early_by_deep_pipelining_and_interim_responses_leave_no_buffer_out()
    {
        var pool = new CountingBodyPool();
        var requests = string.Concat(Enumerable.Range(0, 6).Select(i => $"POST /p{i} HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nx={i}"));
        var responses = string.Concat(Enumerable.Range(0, 6).Select(i => $"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nr{i}"));
        var h = new HttpHarness(new HttpOptions { MaxPendingRequests = 2, RetainedBodyBytes = Excerpt, BodyPool = pool }).Client(requests).Server(responses);
        var transactions = h.Close();
        Assert.Contains(transactions, t => t.AllAnomalies.All().Contains(HttpAnomaly.TooManyPendingRequests));
        foreach (var tx in transactions) tx.ReleasePooledBodies(Excerpt);
        Assert.Equal(12, pool.Rented);
        Assert.Equal((0, 0), (pool.Outstanding, pool.BadReturns));
    }

    [Fact]
    public void Any_encoded_body_cut_anywhere_decodes_the_same_into_a_pooled_buffer_as_into_an_array()
    {
        Gen.Select(Gen.Byte[0, 16].Array[0, 3000], Gen.Int[0, 4], Gen.Int[0, 100], Gen.Int[1, 5000]).Sample((data, codingIndex, cutPercent, maxDecoded) =>
        {
            var coding = new[] { "gzip", "deflate", "raw-deflate", "br", "" }[codingIndex];
            var encoded = coding.Length == 0 ? data : Compress(data, coding);
            var sent = encoded[..(encoded.Length * cutPercent / 100)];
            var pool = new CountingBodyPool();
            // The response's framing says the whole body comes; the flow ends after the cut.
            var whole = new HttpHarness(new HttpOptions { MaxDecodedBodyBytes = maxDecoded }).Client("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
                .Server(Response(coding, encoded)[..^(encoded.Length - sent.Length)]).Close();
            var pooled = new HttpHarness(new HttpOptions { MaxDecodedBodyBytes = maxDecoded, RetainedBodyBytes = Excerpt, BodyPool = pool })
                .Client("GET / HTTP/1.1\r\nHost: h\r\n\r\n").Server(Response(coding, encoded)[..^(encoded.Length - sent.Length)]).Close();
            Assert.Equal(HttpHarness.Describe(Assert.Single(whole)), HttpHarness.Describe(Assert.Single(pooled)));
            Assert.Equal(whole[0].Response!.Body ?? [], pooled[0].Response!.BodyBytes.ToArray());
            if (cutPercent == 100 && coding.Length > 0 && data.Length <= maxDecoded) Assert.Equal(data, pooled[0].Response!.BodyBytes.ToArray());
            pooled[0].ReleasePooledBodies(Excerpt);
            Assert.Equal((0, 0), (pool.Outstanding, pool.BadReturns));
        }, iter: 300);
    }
}
