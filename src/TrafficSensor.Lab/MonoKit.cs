using System.Text;

namespace TrafficSensor.Lab;

/// <summary>
/// What the operators of the `mono-aspx` server upload and send: the lab's own ASPX shells
/// (pcaps/lab/www/mono/shells) and the payload assemblies run.sh compiles with Mono's mcs from
/// pcaps/lab/www/mono/payloads. These run for real on Mono's System.Web (fastcgi-mono-server4
/// behind nginx); their commands go through the lab's allow-list (<see cref="LabCommands"/>).
/// Read once from the kit directory, then only read (shared by the operator tasks).
/// </summary>
public sealed class MonoKit
{
    /// <summary>The placeholder string each payload carries for its call's arguments (LabRunner.Arguments reads it).</summary>
    private const string ArgumentsMarker = "LABARGS:";
    /// <summary>The placeholder's length in characters: the marker and 1014 filler characters (pcaps/lab/www/mono/payloads).</summary>
    private const int ArgumentsLength = 8 + 1014;

    private readonly string _directory;

    private MonoKit(string directory) => _directory = directory;

    /// <summary>The kit run.sh built (shells/*.aspx and payloads/*.dll), or null when the run has no mono-aspx server.</summary>
    public static MonoKit? Open(string? directory) =>
        directory is { Length: > 0 } && Directory.Exists(Path.Combine(directory, "payloads")) ? new MonoKit(directory) : null;

    /// <summary>A shell page's source with the operator's password parameter name in it.</summary>
    public string Shell(string name, string password = "") =>
        File.ReadAllText(Path.Combine(_directory, "shells", name + ".aspx")).Replace("@@PASS@@", password, StringComparison.Ordinal);

    /// <summary>A payload assembly as mcs wrote it.</summary>
    public byte[] Payload(string name) => File.ReadAllBytes(Path.Combine(_directory, "payloads", name + ".dll"));

    /// <summary>
    /// A payload with the call's arguments written into its placeholder string (same length in the
    /// #US heap, UTF-16, padded with spaces), as the tools patch their compiled payloads per call.
    /// Values are base64: "name=base64;name=base64".
    /// </summary>
    public byte[] Payload(string name, IEnumerable<KeyValuePair<string, string>> arguments)
    {
        var assembly = Payload(name);
        var text = ArgumentsMarker + string.Join(";", arguments.Select(a => $"{a.Key}={Convert.ToBase64String(Encoding.UTF8.GetBytes(a.Value))}"));
        if (text.Length > ArgumentsLength) throw new ArgumentException($"arguments of {name} longer than the payload's placeholder ({text.Length} > {ArgumentsLength})");
        var at = assembly.AsSpan().IndexOf(Encoding.Unicode.GetBytes(ArgumentsMarker));
        if (at < 0) throw new InvalidDataException($"payload {name} has no {ArgumentsMarker} placeholder");
        Encoding.Unicode.GetBytes(text.PadRight(ArgumentsLength)).CopyTo(assembly, at);
        return assembly;
    }
}
