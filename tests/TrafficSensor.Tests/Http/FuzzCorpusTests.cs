using TrafficSensor.Fuzz;
using TrafficSensor.Tests.TestSupport;

namespace TrafficSensor.Tests.Http;

/// <summary>
/// Replays the fuzzing corpus (fuzz/corpus/TARGET/: seeds, and the crashes and interesting inputs
/// AFL++ found) through the same targets the fuzzer runs: none may throw, leak inspection or
/// reassembly memory, or hold fragments over the cap.
/// </summary>
public class FuzzCorpusTests
{
    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        var root = Path.Combine(TestPaths.RepositoryRoot, "fuzz", "corpus");
        foreach (var target in FuzzTargets.Names)
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, target)).Order())
                data.Add(target, Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Every_corpus_input_runs_clean(string target, string file) =>
        FuzzTargets.Run(target, File.ReadAllBytes(Path.Combine(TestPaths.RepositoryRoot, "fuzz", "corpus", target, file)));

    [Fact]
    public void An_unknown_target_is_refused() =>
        Assert.Throws<ArgumentException>(() => FuzzTargets.Run("no-such-target", []));
}
