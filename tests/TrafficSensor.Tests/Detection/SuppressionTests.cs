using System.Net;
using System.Text.RegularExpressions;
using CsCheck;
using TrafficSensor.Detection;

namespace TrafficSensor.Tests.Detection;

public sealed class SuppressionTests
{
    private static SuppressionRule.Alert Alert(string target, string server = "10.1.2.3", int port = 80, string client = "192.0.2.7",
        string? reason = "command_tokens", string? detector = "anomaly") =>
        new(IPAddress.Parse(server), port, target, IPAddress.Parse(client), reason, detector);

    [Fact]
    public void A_rule_matches_only_when_every_condition_it_sets_holds()
    {
        var rule = new SuppressionRule("probe", Server: IPNetwork.Parse("10.1.2.0/24"), Port: 80, Path: "/health*",
            Client: IPNetwork.Parse("192.0.2.0/28"), Reasons: ["command_tokens", "no_referer"], Detector: "anomaly");
        Assert.True(rule.Matches(Alert("/healthz?verbose=1")));
        Assert.True(rule.Matches(Alert("/health/live")));
        Assert.False(rule.Matches(Alert("/uploads/cmd.php?cmd=id")));
        Assert.False(rule.Matches(Alert("/healthz", server: "10.1.3.3")));
        Assert.False(rule.Matches(Alert("/healthz", port: 8080)));
        Assert.False(rule.Matches(Alert("/healthz", client: "192.0.2.99")));
        Assert.False(rule.Matches(Alert("/healthz", reason: "uploads_server_code")));
        Assert.False(rule.Matches(Alert("/healthz", reason: null)));
        Assert.False(rule.Matches(Alert("/healthz", detector: "classifier")));
        Assert.True(new SuppressionRule("any-v6", Client: IPNetwork.Parse("2001:db8::/32")).Matches(Alert("/", client: "2001:db8::1")));
        Assert.False(new SuppressionRule("any-v6", Client: IPNetwork.Parse("2001:db8::/32")).Matches(Alert("/", client: "192.0.2.1")));
    }

    [Fact]
    public void The_first_matching_rule_names_the_suppression()
    {
        var rules = new SuppressionRules([new SuppressionRule("a", Port: 8080), new SuppressionRule("b", Path: "/x*"), new SuppressionRule("c", Path: "*")]);
        Assert.Equal("b", rules.Match(Alert("/xyz")));
        Assert.Equal("a", rules.Match(Alert("/xyz", port: 8080)));
        Assert.Equal("c", rules.Match(Alert("/other")));
        Assert.Null(SuppressionRules.None.Match(Alert("/other")));
    }

    // Hostile paths: the reading the web server acts on decides, so an attacker cannot borrow an
    // allow-listed prefix for another file (nor dodge a rule by spelling the same file differently).
    [Theory]
    [InlineData("/healthz/../uploads/cmd.php?cmd=id", "/uploads/cmd.php")]
    [InlineData("/healthz/%2e%2e/uploads/cmd.php", "/uploads/cmd.php")]
    [InlineData("/healthz/..%2Fuploads/cmd.php", "/uploads/cmd.php")]
    [InlineData("/healthz\\..\\uploads\\cmd.php", "/uploads/cmd.php")]
    [InlineData("/healthz;jsessionid=1/../shell.jsp", "/shell.jsp")]
    [InlineData("/%68ealthz", "/healthz")]
    [InlineData("//healthz//./live/", "/healthz/live/")]
    [InlineData("/../../../etc/passwd", "/etc/passwd")]
    [InlineData("http://example.test/healthz?x", "/healthz")]
    [InlineData("/a%ZZb", "/a%ZZb")]
    [InlineData("*", "/*")]
    public void Paths_are_read_as_the_server_reads_them(string target, string expected)
    {
        Assert.Equal(expected, RequestPath.Normalise(target));
        var rule = new SuppressionRule("health", Path: "/healthz*");
        Assert.Equal(expected.StartsWith("/healthz", StringComparison.Ordinal), rule.Matches(Alert(target)));
    }

    [Fact]
    public void Glob_agrees_with_the_equivalent_regular_expression()
    {
        var patterns = Gen.Int[0, 5].Select(i => "ab/.*?"[i]).Array[0, 8].Select(c => new string(c));
        var texts = Gen.Int[0, 3].Select(i => "ab/."[i]).Array[0, 12].Select(c => new string(c));
        Gen.Select(patterns, texts).Sample((pattern, text) =>
        {
            var regex = "^" + string.Concat(pattern.Select(c => c switch { '*' => ".*", '?' => ".", _ => Regex.Escape(c.ToString()) })) + "$";
            return Glob.Matches(pattern, text) == Regex.IsMatch(text, regex, RegexOptions.Singleline | RegexOptions.NonBacktracking);
        }, iter: 20_000);
    }

    [Fact]
    public void A_long_hostile_path_against_many_stars_stays_bounded()
    {
        var text = "/" + new string('a', 60_000);
        Assert.False(Glob.Matches("/*a*a*a*a*a*a*a*a*b", text));
        Assert.True(Glob.Matches("/*a*a*a*a", text));
    }
}
