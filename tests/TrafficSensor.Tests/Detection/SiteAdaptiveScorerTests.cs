using TrafficSensor.Decoding;
using TrafficSensor.Detection;
using TrafficSensor.Features;

namespace TrafficSensor.Tests.Detection;

public class SiteAdaptiveScorerTests
{
    private static readonly IpAddress Site = IpAddress.Parse("10.0.0.80");

    /// <summary>Training traffic: short GETs with small parameters, no long encoded values.</summary>
    private static List<FeatureVector> TrainingSites(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ =>
        {
            var v = new FeatureVector();
            v["url_length"] = 20 + random.Next(30);
            v["path_depth"] = 1 + random.Next(3);
            v["header_count"] = 6 + random.Next(4);
            v["response_body_log"] = (float)(5 + random.NextDouble() * 4);
            v["longest_encoded_run"] = MathF.Log(1 + random.Next(8, 24));
            v["max_parameter_length"] = random.Next(0, 20);
            return v;
        }).ToList();
    }

    /// <summary>A site whose every form carries a 40-character nonce and long opaque values the training sites never had.</summary>
    private static FeatureVector NonceLadenPost(Random random)
    {
        var v = TrainingSites(1, random.Next())[0];
        v["method_post"] = 1;
        v["request_form"] = 1;
        v["request_body_log"] = (float)Math.Log(1 + random.Next(300, 600));
        v["longest_encoded_run"] = MathF.Log(1 + random.Next(300, 500));
        v["max_parameter_length"] = random.Next(300, 500);
        v["max_parameter_entropy"] = 5.5f;
        v["path_other_clients"] = MathF.Log(1 + 5); // the site's admin form: its users share it
        return v;
    }

    [Fact]
    public void A_site_s_own_unusual_normal_stops_alerting_as_it_is_learned_but_evidence_still_alerts()
    {
        var model = AnomalyModel.Train(TrainingSites(3000, 1), "test", targetFalsePositiveRate: 0.001);
        var scorer = new SiteAdaptiveScorer(model.CreateScorer(), new ServerBaselines());
        var random = new Random(7);

        // (Synthetic training traffic is so regular that its threshold is tiny: compare scores, not alert counts.)
        var early = Enumerable.Range(0, 20).Average(_ => scorer.Judge(NonceLadenPost(random), Site, 443, "/wp-admin/post.php").Score);

        // The site's normal is learned from its pages and from its shared forms.
        for (var i = 0; i < 300; i++)
        {
            var page = TrainingSites(1, i + 100)[0];
            if (random.Next(3) == 0) scorer.Judge(NonceLadenPost(random), Site, 443, "/wp-admin/post.php");
            else scorer.Judge(page, Site, 443, $"/page{i % 20}");
        }
        var late = Enumerable.Range(0, 50).Average(_ => scorer.Judge(NonceLadenPost(random), Site, 443, "/wp-admin/post.php").Score);
        Assert.True(late < early / 4, $"the site's own forms score {late:0.00} after warm-up, {early:0.00} before");

        var shell = NonceLadenPost(random);
        shell["path_other_clients"] = 0;
        shell["code_tokens"] = 3;
        shell["response_command_output"] = 1;
        var verdict = scorer.Judge(shell, Site, 443, "/wp-content/uploads/x.php");
        Assert.True(verdict.Alert);
        Assert.True(verdict.Score > early, "a script with code and command output on the warm site scores above the unwarmed forms");
        Assert.Contains(verdict.Reasons, r => r.Feature is "code_tokens" or "response_command_output");
    }

    [Fact]
    public void Reasons_point_the_suspicious_way_and_read_as_words()
    {
        var model = AnomalyModel.Train(TrainingSites(2000, 3), "test", targetFalsePositiveRate: 0.001);
        var v = TrainingSites(1, 9)[0];
        v["command_tokens"] = 1;
        v["max_parameter_length"] = 0; // lower than usual: not a reason
        var verdict = model.CreateScorer().Score(v);
        Assert.True(verdict.Alert);
        Assert.DoesNotContain(verdict.Reasons, r => r.Feature == "max_parameter_length");
        var reason = Assert.Single(verdict.Reasons, r => r.Feature == "command_tokens");
        Assert.StartsWith("operating-system commands in the request", ReasonText.Describe(reason));
    }
}

public class AlertKindTests
{
    private static FeatureVector With(params (string Name, float Value)[] values)
    {
        var v = new FeatureVector();
        foreach (var (name, value) in values) v[name] = value;
        return v;
    }

    [Fact]
    public void Kinds_follow_the_evidence()
    {
        Assert.Equal(AlertKind.CodeUpload, AlertKinds.Of(With(("uploads_server_code", 1), ("script_extension", 1)), "cmd"));
        Assert.Equal(AlertKind.BackdoorModule, AlertKinds.Of(With(("unknown_cookie_name", 1), ("command_tokens", 1)), "iis-module"));
        Assert.Equal(AlertKind.WebShell, AlertKinds.Of(With(("unknown_cookie_name", 1), ("script_extension", 1)), "chopper"));
        var sweep = MathF.Log(1 + 3); // refused on three paths more than a browsing user
        Assert.Equal(AlertKind.Scanner, AlertKinds.Of(With(("client_error_paths", sweep)), "cmd"));
        Assert.Equal(AlertKind.Scanner, AlertKinds.Of(With(("status_4xx", 1), ("client_error_paths", sweep)), "cmd"));
        Assert.Equal(AlertKind.WebShell, AlertKinds.Of(With(("status_4xx", 1), ("client_error_paths", sweep), ("command_tokens", 1)), "cmd")); // a probe that carries a command is the shell's
        Assert.Equal(AlertKind.WebShell, AlertKinds.Of(With(("status_4xx", 1)), "cmd")); // a refusal alone is not a sweep
        Assert.Equal(AlertKind.Tunnel, AlertKinds.Of(With(("empty_post", 1)), "regeorg"));
        Assert.Equal(AlertKind.WebShell, AlertKinds.Of(With(("script_in_asset_directory", 1)), "regeorg")); // near a tunnel, but no tunnel shape
        // A connect that names its target is a tunnel whatever family it resembles (it is direct evidence too).
        Assert.Equal(AlertKind.Tunnel, AlertKinds.Of(With(("network_target", 1), ("empty_post", 1), ("script_extension", 1)), "cmd"));
    }
}
