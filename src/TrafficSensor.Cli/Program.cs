using CommandLine;
using TrafficSensor.Cli;

// A thin shell: parse the verb, hand over to the library, turn outcomes into exit codes.
var parser = new Parser(settings =>
{
    settings.HelpWriter = null; // written below, to stderr, with the right exit code
    settings.CaseInsensitiveEnumValues = true;
});
// "-h" is what people type first; CommandLineParser only knows "--help".
args = args.Select(a => a == "-h" ? "--help" : a).ToArray();
// The Type[] overload always treats the types as verbs, even while there is only one.
var result = parser.ParseArguments(args, typeof(ReplayOptions), typeof(LiveOptions), typeof(InterfacesOptions), typeof(HealthOptions),
    typeof(TrainOptions), typeof(EvaluateOptions), typeof(TlsModelOptions));
return result.MapResult(
    (ReplayOptions o) => ReplayCommand.Run(o),
    (LiveOptions o) => LiveCommand.Run(o),
    (InterfacesOptions o) => InterfacesCommand.Run(o),
    (HealthOptions o) => HealthCommand.Run(o),
    (TrainOptions o) => DetectionCommands.Train(o),
    (EvaluateOptions o) => DetectionCommands.Evaluate(o),
    (TlsModelOptions o) => TlsModelCommand.Run(o),
    errors =>
    {
        if (errors.IsVersion())
        {
            var version = typeof(ExitCodes).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
                .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";
            System.Console.Out.WriteLine($"trafficsensor {version}");
            return ExitCodes.Ok;
        }
        if (errors.IsHelp())
        {
            var help = CommandLine.Text.HelpText.AutoBuild(result, h =>
            {
                h.AdditionalNewLineAfterOption = false;
                h.AddDashesToOption = true;
                h.Heading = "trafficsensor — HTTP web-shell traffic sensor";
                h.Copyright = "";
                return h;
            }, e => e, verbsIndex: true);
            System.Console.Out.WriteLine(help);
            return ExitCodes.Ok;
        }
        // A usage error names what was wrong, not the whole help.
        foreach (var message in UsageErrors.Describe(errors, args)) System.Console.Error.WriteLine($"trafficsensor: error: {message}");
        var verb = result.TypeInfo.Current.GetCustomAttributes(typeof(VerbAttribute), false).OfType<VerbAttribute>().FirstOrDefault()?.Name;
        System.Console.Error.WriteLine(verb is null ? "run 'trafficsensor --help' for the commands" : $"run 'trafficsensor {verb} --help' for its options");
        return ExitCodes.Usage;
    });
