using CommandLine;

namespace TrafficSensor.Cli;

/// <summary>Turns CommandLineParser's errors into one plain sentence each ("unknown option --bogus").</summary>
internal static class UsageErrors
{
    public static IEnumerable<string> Describe(IEnumerable<Error> errors, IReadOnlyList<string> args) =>
        errors.Select(e => Describe(e, args)).Distinct();

    private static string Describe(Error error, IReadOnlyList<string> args) => error switch
    {
        UnknownOptionError e => $"unknown option {Dashed(e.Token)}",
        BadFormatConversionError e => $"{Name(e.NameInfo)}: '{ValueOf(e.NameInfo, args) ?? ""}' is not {Expected(e.NameInfo)}",
        MissingValueOptionError e => $"{Name(e.NameInfo)} needs a value",
        MissingRequiredOptionError e when e.NameInfo.Equals(NameInfo.EmptyName) => "missing the input PATH (a capture file or directory)",
        MissingRequiredOptionError e => $"missing required option {Name(e.NameInfo)}",
        RepeatedOptionError e => $"{Name(e.NameInfo)} is given more than once",
        SequenceOutOfRangeError e when e.NameInfo.Equals(NameInfo.EmptyName) => "missing the input PATH (a capture file or directory)",
        SequenceOutOfRangeError e => $"{Name(e.NameInfo)}: wrong number of values",
        BadVerbSelectedError e => $"unknown command '{e.Token}' (commands: replay, live, interfaces, health, train, evaluate)",
        NoVerbSelectedError => "no command given (commands: replay, live, interfaces, health, train, evaluate)",
        MutuallyExclusiveSetError e => $"{Name(e.NameInfo)} cannot be combined with the options of set '{e.SetName}'",
        _ => error.Tag.ToString(),
    };

    private static string Dashed(string token) => token.Length == 1 ? "-" + token : "--" + token;

    private static string Name(NameInfo name) => name.LongName.Length > 0 ? "--" + name.LongName : "-" + name.ShortName;

    /// <summary>The text the user gave for an option: "--x VALUE", "--x=VALUE" or "-s VALUE".</summary>
    private static string? ValueOf(NameInfo name, IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (name.LongName.Length > 0 && a.StartsWith("--" + name.LongName + "=", StringComparison.Ordinal)) return a[(name.LongName.Length + 3)..];
            if ((name.LongName.Length > 0 && a == "--" + name.LongName || name.ShortName.Length > 0 && a == "-" + name.ShortName) && i + 1 < args.Count)
                return args[i + 1];
        }
        return null;
    }

    private static string Expected(NameInfo name) => name.LongName switch
    {
        "overlap" => "one of: first, last",
        "target-fpr" => "a number such as 0.001",
        "http-headers" => "one of: none, request, response, both",
        _ => "a whole number",
    };
}
