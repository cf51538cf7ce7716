using TrafficSensor.Lab.Apps.Clients;
using TrafficSensor.Lab.Apps.ShopApi;

// trafficsensor-lab-apps: the apps lab's .NET application and its clients.
//   serve-shopapi --address A --port P
//   client --role mobile|spa|admin|hub --base URL --source IP --seed N --seconds N
var opts = ArgMap.Parse(args.Skip(1));
switch (args.FirstOrDefault())
{
    case "serve-shopapi":
        await ShopServer.RunAsync(opts.Get("address", "127.0.0.1"), int.Parse(opts.Get("port", "5000")));
        return 0;
    case "client":
        var run = new ClientRun(new Uri(opts.Get("base", "http://127.0.0.1:5000")), opts.Get("source", "127.0.0.1"),
            int.Parse(opts.Get("seed", "1")), TimeSpan.FromSeconds(double.Parse(opts.Get("seconds", "60"), System.Globalization.CultureInfo.InvariantCulture)));
        await ClientRun.RunRoleAsync(opts.Get("role", "mobile"), run);
        return 0;
    default:
        Console.Error.WriteLine("usage: trafficsensor-lab-apps serve-shopapi --address A --port P | client --role R --base URL --source IP --seed N --seconds N");
        return 2;
}

/// <summary>--name value pairs of the command line.</summary>
internal sealed class ArgMap
{
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);

    public static ArgMap Parse(IEnumerable<string> args)
    {
        var map = new ArgMap();
        string? name = null;
        foreach (var a in args)
        {
            if (a.StartsWith("--", StringComparison.Ordinal)) name = a[2..];
            else if (name is not null) { map.values[name] = a; name = null; }
        }
        return map;
    }

    public string Get(string name, string fallback) => values.TryGetValue(name, out var v) ? v : fallback;
}
