using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace TrafficSensor.Configuration;

/// <summary>A configuration file that cannot be used; the message names the file, line and key.</summary>
public sealed class ConfigurationException(string message) : Exception(message);

/// <summary>
/// Reads a YAML configuration file into a <see cref="SensorConfiguration"/>. Keys are the snake_case
/// names of the options' properties (SensorOptions.Capture.BufferMegabytes is capture.buffer_megabytes),
/// found by reflection so the file always mirrors the options object; an unknown key, a value of the
/// wrong type or a duplicate key is refused with its line and column. Values: integers (sizes may end in KiB,
/// MiB or GiB), durations (250ms, 30s, 5m, 1h), true/false, enum names, strings, "auto" for the
/// built-in default, null (~) for none.
/// </summary>
public static partial class ConfigurationLoader
{
    /// <summary>Sections of SensorOptions (each a record of its own) and the other top-level keys.</summary>
    private static readonly PropertyInfo[] SensorSections = typeof(SensorOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance);
    private static readonly string[] OtherSections = ["outputs", "detection", "suppressions"];

    /// <summary>Values for which 0 is meaningful ("unlimited", "never"); every other number must be at least 1.</summary>
    private static readonly HashSet<string> ZeroAllowed = ["reassembly.max_depth_per_direction", "outputs.status_interval", "scan.min_refused_paths"];

    public const int MaxSuppressionRules = 1000;

    public static SensorConfiguration Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"cannot read configuration file {path}: {e.Message}");
        }
        return Parse(text, path);
    }

    public static SensorConfiguration Parse(string text, string source)
    {
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ConfigurationException($"{source}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {Inner(e).Message}");
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException($"{source}: not valid YAML: {e.Message}");
        }
        var reader = new Reader(source);
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            return new SensorConfiguration { Source = source };
        if (yaml.Documents.Count > 1) throw reader.Error(yaml.Documents[1].RootNode, "one YAML document expected");
        var root = reader.Mapping(yaml.Documents[0].RootNode, "the file");

        var sensor = new SensorOptions();
        var configuration = new SensorConfiguration { Source = source };
        foreach (var (keyNode, value) in reader.Entries(root, "", SensorSections.Select(p => SnakeCase(p.Name)).Concat(OtherSections)))
        {
            var key = ((YamlScalarNode)keyNode).Value!;
            if (SensorSections.FirstOrDefault(p => SnakeCase(p.Name) == key) is { } section)
            {
                var bound = reader.Bind(value, section.GetValue(sensor)!, key);
                sensor = With(sensor, section, bound);
            }
            else if (key == "outputs")
            {
                configuration = configuration with { Outputs = (OutputSettings)reader.Bind(value, new OutputSettings(), key) };
            }
            else if (key == "detection")
            {
                configuration = configuration with { Detection = (DetectionSettings)reader.Bind(value, new DetectionSettings(), key) };
            }
            else
            {
                configuration = configuration with { Suppressions = reader.Suppressions(value) };
            }
        }
        var metrics = configuration.Outputs.Metrics;
        if (metrics != "off" && !Regex.IsMatch(metrics, @"^(\[[0-9A-Fa-f:.]+\]|[0-9.]+|localhost):[0-9]{1,5}$"))
            throw new ConfigurationException($"{source}: outputs.metrics must be ADDRESS:PORT or off, not '{metrics}'");
        return configuration with { Sensor = sensor };
    }

    private static Exception Inner(Exception e) => e.InnerException is { } inner && inner.Message.Length > 0 ? inner : e;

    /// <summary>A copy of the record with one property replaced (records' init setters are settable by reflection on a clone).</summary>
    private static T With<T>(T record, PropertyInfo property, object value) where T : class
    {
        var clone = (T)typeof(T).GetMethod("<Clone>$")!.Invoke(record, null)!;
        property.SetValue(clone, value);
        return clone;
    }

    /// <summary>"BufferMegabytes" → "buffer_megabytes", the same spelling as the metrics' reason labels.</summary>
    internal static string SnakeCase(string name) => ReasonCounters<OverlapPolicy>.ToSnakeCase(name);

    [GeneratedRegex(@"^\s*(\d+)\s*(KiB|MiB|GiB)?\s*$")]
    private static partial Regex Size();

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")]
    private static partial Regex Duration();

    [GeneratedRegex(@"^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex RuleName();

    /// <summary>Reads nodes of one file, with errors that name the file and line.</summary>
    private sealed class Reader(string source)
    {
        private static readonly NullabilityInfoContext Nullability = new();

        public ConfigurationException Error(YamlNode node, string message) =>
            new($"{source}:{node.Start.Line}:{node.Start.Column}: {message}");

        public YamlMappingNode Mapping(YamlNode node, string what) =>
            node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping of keys to values");

        /// <summary>The entries of a mapping, refusing keys that are not in <paramref name="known"/> (YamlDotNet refuses duplicates).</summary>
        public IEnumerable<(YamlNode Key, YamlNode Value)> Entries(YamlMappingNode mapping, string section, IEnumerable<string> known)
        {
            var names = known.ToList();
            foreach (var (key, value) in mapping.Children)
            {
                if (key is not YamlScalarNode { Value: { } name }) throw Error(key, "keys must be plain names");
                var qualified = section.Length == 0 ? name : $"{section}.{name}";
                if (!names.Contains(name))
                    throw Error(key, $"unknown key '{qualified}'{(section.Length == 0 ? "" : $" in section '{section}'")}; known keys: {string.Join(", ", names)}");
                yield return (key, value);
            }
        }

        /// <summary>Sets the properties of a copy of <paramref name="defaults"/> named by the mapping's keys.</summary>
        public object Bind(YamlNode node, object defaults, string section)
        {
            var properties = defaults.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
            if (node is YamlScalarNode { Value: null or "" or "~" or "null", Style: ScalarStyle.Plain }) return defaults;
            var result = defaults;
            foreach (var (key, value) in Entries(Mapping(node, $"section '{section}'"), section, properties.Select(p => SnakeCase(p.Name))))
            {
                var name = ((YamlScalarNode)key).Value!;
                var property = properties.First(p => SnakeCase(p.Name) == name);
                var converted = Convert(value, property.PropertyType, $"{section}.{name}", property.GetValue(defaults));
                if (converted is null && Nullability.Create(property).WriteState == NullabilityState.NotNull)
                    throw Error(value, $"'{section}.{name}' needs a value");
                var clone = result.GetType().GetMethod("<Clone>$")!.Invoke(result, null)!;
                property.SetValue(clone, converted);
                result = clone;
            }
            return result;
        }

        private object? Convert(YamlNode node, Type type, string key, object? builtIn)
        {
            if (node is not YamlScalarNode scalar) throw Error(node, $"'{key}' must be a single value");
            var text = scalar.Value ?? "";
            var plain = scalar.Style == ScalarStyle.Plain;
            if (plain && text is "" or "~" or "null")
            {
                if (!type.IsValueType || Nullable.GetUnderlyingType(type) is not null) return null;
                throw Error(node, $"'{key}' needs a value");
            }
            if (plain && text == "auto" && type != typeof(string)) return builtIn; // the built-in default, e.g. workers = cores - 1
            if (type == typeof(string)) return text;
            if (type == typeof(bool))
            {
                return text switch
                {
                    "true" => true,
                    "false" => false,
                    _ => throw Error(node, $"'{key}' must be true or false, not '{text}'"),
                };
            }
            if (type.IsEnum)
            {
                var names = Enum.GetNames(type).Select(SnakeCase).ToList();
                var index = names.IndexOf(text.ToLowerInvariant());
                if (index < 0) throw Error(node, $"'{key}' must be one of {string.Join(", ", names)}, not '{text}'");
                return Enum.GetValues(type).GetValue(index);
            }
            if (type == typeof(TimeSpan))
            {
                var m = Duration().Match(text);
                if (!m.Success) throw Error(node, $"'{key}' must be a duration such as 250ms, 30s, 5m or 1h, not '{text}'");
                var amount = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                var duration = m.Groups[2].Value switch
                {
                    "ms" => TimeSpan.FromMilliseconds(amount),
                    "m" => TimeSpan.FromMinutes(amount),
                    "h" => TimeSpan.FromHours(amount),
                    _ => TimeSpan.FromSeconds(amount),
                };
                if (duration <= TimeSpan.Zero || duration > TimeSpan.FromDays(1)) throw Error(node, $"'{key}' must be above 0 and at most a day, not '{text}'");
                return duration;
            }
            if (type == typeof(int) || type == typeof(long) || type == typeof(uint))
            {
                var m = Size().Match(text);
                if (!m.Success || !ulong.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                    throw Error(node, $"'{key}' must be a whole number (sizes may end in KiB, MiB or GiB), not '{text}'");
                var shift = m.Groups[2].Value switch { "KiB" => 10, "MiB" => 20, "GiB" => 30, _ => 0 };
                var max = type == typeof(int) ? int.MaxValue : type == typeof(uint) ? uint.MaxValue : (ulong)long.MaxValue;
                if (number > max >> shift) throw Error(node, $"'{key}' is too large: '{text}'");
                number <<= shift;
                if (number == 0 && !ZeroAllowed.Contains(key)) throw Error(node, $"'{key}' must be at least 1");
                return type == typeof(int) ? (int)number : type == typeof(uint) ? (uint)number : (object)(long)number;
            }
            throw Error(node, $"'{key}' has a type the configuration cannot set ({type.Name})");
        }

        /// <summary>The "suppressions" list: rules with a unique name and at least one condition.</summary>
        public SuppressionRules Suppressions(YamlNode node)
        {
            if (node is YamlScalarNode { Value: null or "" or "~" or "null", Style: ScalarStyle.Plain }) return SuppressionRules.None;
            if (node is not YamlSequenceNode list) throw Error(node, "'suppressions' must be a list of rules");
            if (list.Children.Count > MaxSuppressionRules) throw Error(node, $"at most {MaxSuppressionRules} suppression rules");
            var rules = new List<SuppressionRule>();
            string[] keys = ["name", "server", "port", "path", "client", "reasons", "detector"];
            foreach (var item in list.Children)
            {
                var rule = new SuppressionRule("");
                YamlNode? nameNode = null;
                foreach (var (key, value) in Entries(Mapping(item, "a suppression rule"), "suppressions", keys))
                {
                    var name = ((YamlScalarNode)key).Value!;
                    var text = value is YamlScalarNode s ? s.Value ?? "" : null;
                    if (text is null && name != "reasons") throw Error(value, $"'suppressions.{name}' must be a single value");
                    switch (name)
                    {
                        case "name":
                            if (!RuleName().IsMatch(text!)) throw Error(value, $"a rule name is 1 to 64 letters, digits, '_', '-' or '.' (it becomes a metric label), not '{text}'");
                            nameNode = value;
                            rule = rule with { Name = text! };
                            break;
                        case "server":
                            rule = rule with { Server = Network(value, text!, "server") };
                            break;
                        case "client":
                            rule = rule with { Client = Network(value, text!, "client") };
                            break;
                        case "port":
                            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                                throw Error(value, $"'suppressions.port' must be a port number, not '{text}'");
                            rule = rule with { Port = port };
                            break;
                        case "path":
                            if (!text!.StartsWith('/') && !text.StartsWith('*')) throw Error(value, $"'suppressions.path' is a glob on the request path, starting with '/' or '*', not '{text}'");
                            rule = rule with { Path = text };
                            break;
                        case "reasons":
                            var reasons = value switch
                            {
                                YamlScalarNode single => [single.Value ?? ""],
                                YamlSequenceNode many => many.Children.Select(c => (c as YamlScalarNode)?.Value ?? throw Error(c, "a reason is a feature name")).ToList(),
                                _ => throw Error(value, "'suppressions.reasons' is a feature name or a list of them"),
                            };
                            foreach (var reason in reasons.Where(r => FeatureSchema.IndexOf(r) < 0 && r is not (ScanDetection.ReasonFeature or ToolAgentDetection.ReasonFeature)))
                                throw Error(value, $"'{reason}' is not a feature of {FeatureSchema.Version} nor {ScanDetection.ReasonFeature} nor {ToolAgentDetection.ReasonFeature}; features: {string.Join(", ", FeatureSchema.Names)}");
                            rule = rule with { Reasons = reasons };
                            break;
                        case "detector":
                            if (text is not ("anomaly" or "classifier" or "both" or ScanDetection.Detector or ToolAgentDetection.Detector))
                                throw Error(value, $"'suppressions.detector' must be anomaly, classifier, both, scan or tool_agent, not '{text}'");
                            rule = rule with { Detector = text };
                            break;
                    }
                }
                if (nameNode is null) throw Error(item, "a suppression rule needs a name");
                if (rules.Any(r => r.Name == rule.Name)) throw Error(nameNode, $"two suppression rules are named '{rule.Name}'");
                if (rule == new SuppressionRule(rule.Name)) throw Error(item, $"suppression rule '{rule.Name}' sets no condition: it would suppress every alert");
                rules.Add(rule);
            }
            return new SuppressionRules(rules);
        }

        private IPNetwork Network(YamlNode node, string text, string key)
        {
            if (IPNetwork.TryParse(text, out var network)) return network;
            if (IPAddress.TryParse(text, out var address)) return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            throw Error(node, $"'suppressions.{key}' must be an address or a network such as 10.0.0.0/8, not '{text}'");
        }
    }
}
