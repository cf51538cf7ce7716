using CsCheck;
using TrafficSensor.Http;

namespace TrafficSensor.Tests.Http;

/// <summary>Kept body excerpts are shared by content: each holds exactly its bytes, whatever was kept before.</summary>
public class RecentExcerptsTests
{
    [Fact]
    public void A_shared_excerpt_holds_exactly_its_bytes_for_any_sequence_of_bodies()
    {
        // Few distinct prefixes (hits, and collisions in the 256 slots), some differing in one byte, some longer than cached.
        var body = Gen.OneOf(Gen.Byte[0, 3].Array[1, 300], Gen.Byte.Array[0, 40], Gen.Byte.Array[1025, 1100]);
        body.Array[1, 2000].Sample(bodies =>
        {
            var kept = bodies.Select(b => (Bytes: b, Excerpt: RecentExcerpts.Share(b))).ToList();
            foreach (var (bytes, excerpt) in kept) Assert.Equal(bytes, excerpt); // later ones changed none of them
        });
    }

    [Fact]
    public void Equal_excerpts_are_one_array_and_different_ones_are_not()
    {
        var page = "<!DOCTYPE html><html><head><title>x</title>"u8.ToArray();
        var first = RecentExcerpts.Share(page);
        Assert.NotSame(page, first); // a copy: the caller's buffer goes back to its pool
        Assert.Same(first, RecentExcerpts.Share(page.ToArray()));
        var other = page.ToArray();
        other[^1] ^= 1;
        Assert.NotSame(first, RecentExcerpts.Share(other));
        Assert.Equal(page, first);
    }
}
