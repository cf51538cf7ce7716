using System.IO.Compression;
using TrafficSensor.Decoding;
using TrafficSensor.Features;
using TrafficSensor.Tests.Http;

namespace TrafficSensor.Tests.Features;

public sealed class LearnedStateTests : IDisposable
{
    private static readonly IpAddress Server = IpAddress.Parse("10.0.0.80");
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-state-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static FeatureVector From(FeatureExtractor extractor, string client, string request) =>
        extractor.Extract(Assert.Single(new HttpHarness().Client(request)
            .Server("HTTP/1.1 200 OK\r\nSet-Cookie: sid=1\r\nContent-Length: 1\r\n\r\nx").Close()), IpAddress.Parse(client), Server, 80);

    private static void Warm(FeatureExtractor extractor, ServerBaselines baselines)
    {
        for (var i = 0; i < BehaviourState.WarmServerRequests; i++)
        {
            var v = From(extractor, $"10.1.{i / 200}.{i % 200 + 1}", $"GET /page{i % 10} HTTP/1.1\r\nHost: h\r\nReferer: http://h/\r\nX-Site-Token: 7\r\n\r\n");
            baselines.Learn(Server, 80, v);
        }
    }

    [Fact]
    public void A_restarted_sensor_knows_the_server_s_paths_names_and_centre()
    {
        var behaviour = new BehaviourState();
        var baselines = new ServerBaselines();
        Warm(new FeatureExtractor(behaviour), baselines);
        var path = Path.Combine(_dir, "state.json.gz");
        new LearnedState(behaviour, baselines).Save(path);

        var restored = LearnedState.Load(path);
        var extractor = new FeatureExtractor(restored.Behaviour);
        // The server is still warm: a known path is not new, a new one is; the site's header is not unusual.
        var known = From(extractor, "10.9.0.1", "GET /page3 HTTP/1.1\r\nHost: h\r\nX-Site-Token: 7\r\n\r\n");
        Assert.Equal(0, known["path_new_on_known_server"]);
        Assert.Equal(0, known["unusual_headers"]);
        Assert.Equal(1, From(extractor, "10.9.0.1", "GET /uploads/x.php HTTP/1.1\r\nHost: h\r\n\r\n")["path_new_on_known_server"]);
        // A fresh sensor would call nothing new (a cold server) and the header unusual.
        var cold = From(new FeatureExtractor(new BehaviourState()), "10.9.0.1", "GET /uploads/x.php HTTP/1.1\r\nHost: h\r\nX-Site-Token: 7\r\n\r\n");
        Assert.Equal(0, cold["path_new_on_known_server"]);
        Assert.Equal(1, cold["unusual_headers"]);

        var centre = new float[FeatureSchema.Count];
        var expected = new float[FeatureSchema.Count];
        Assert.Equal(baselines.Centre(Server, 80, expected), restored.Baselines.Centre(Server, 80, centre));
        Assert.Equal(expected, centre);
    }

    [Fact]
    public void A_file_for_other_features_or_not_ours_is_refused_never_misread()
    {
        var path = Path.Combine(_dir, "state.json.gz");
        new LearnedState(new BehaviourState(), new ServerBaselines()).Save(path);
        string text;
        using (var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress))
        using (var reader = new StreamReader(gzip))
            text = reader.ReadToEnd();
        var other = Path.Combine(_dir, "other.json.gz");
        using (var gzip = new GZipStream(File.Create(other), CompressionLevel.Fastest))
        using (var writer = new StreamWriter(gzip))
            writer.Write(text.Replace(FeatureSchema.Version, "ts-features-0"));
        Assert.Contains("ts-features-0", Assert.Throws<LearnedStateException>(() => LearnedState.Load(other)).Message);

        var garbage = Path.Combine(_dir, "garbage");
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5]);
        Assert.Throws<LearnedStateException>(() => LearnedState.Load(garbage));
    }
}
