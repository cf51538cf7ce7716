using System.Net;
using CommandLine;
using TrafficSensor.Lab;

var parser = new Parser(s => { s.HelpWriter = Console.Error; s.CaseInsensitiveEnumValues = true; });
return await parser.ParseArguments<ServeShopOptions, DriveOptions>(args).MapResult(
    (ServeShopOptions o) => ServeShop(o),
    (DriveOptions o) => Drive(o),
    _ => Task.FromResult(1));

static async Task<int> ServeShop(ServeShopOptions o)
{
    await ShopServer.RunAsync(o.Address, o.Port, o.Sandbox, o.BackdoorCookie);
    return 0;
}

static async Task<int> Drive(DriveOptions o)
{
    var families = o.Families.Equals("all", StringComparison.OrdinalIgnoreCase) ? Operators.Families
        : o.Families.Equals("none", StringComparison.OrdinalIgnoreCase) ? []
        : o.Families.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    var unknown = families.Except(Operators.Families).ToList();
    if (unknown.Count > 0)
    {
        Console.Error.WriteLine($"unknown families: {string.Join(", ", unknown)} (known: {string.Join(", ", Operators.Families)})");
        return 1;
    }
    var benign = o.Benign.Equals("all", StringComparison.OrdinalIgnoreCase) ? ["wiki", "tomcat", "shop", "machines"]
        : o.Benign.Equals("none", StringComparison.OrdinalIgnoreCase) ? []
        : o.Benign.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    using var labels = new LabelWriter(o.Labels);
    var mix = new MixStats();
    var ctx = new LabContext(
        new LabServer("wiki", IPAddress.Parse(o.Wiki), 80, "wiki.lab.example"),
        new LabServer("tomcat", IPAddress.Parse(o.Tomcat), 8080, "apps.lab.example:8080"),
        new LabServer("shop", IPAddress.Parse(o.Shop), 80, "shop.lab.example"),
        labels, DateTime.UtcNow.AddMinutes(o.Minutes), o.Speed);
    var master = new Random(o.Seed);
    var tasks = new List<Task>();
    var clients = new List<LabClient>();

    LabClient Client(string address, string userAgent)
    {
        var c = new LabClient(IPAddress.Parse(address), userAgent, labels, mix);
        clients.Add(c);
        return c;
    }

    Task Actor(string name, Func<Random, Task> body, TimeSpan delay)
    {
        var random = new Random(master.Next());
        return Task.Run(async () =>
        {
            await Task.Delay(delay);
            try
            {
                await body(random);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                Console.Error.WriteLine($"lab: {name}: {e.Message}");
            }
        });
    }

    // Benign people: each with their own address and browser.
    var userIndex = 0;
    foreach (var app in benign.Where(b => b != "machines"))
    {
        var count = Math.Max(1, o.Users / Math.Max(1, benign.Count(b => b != "machines")));
        for (var i = 0; i < count; i++, userIndex++)
        {
            var client = Client($"127.0.100.{userIndex + 1}", UserAgents.Browsers[master.Next(UserAgents.Browsers.Length)]);
            var editor = i % 4 == 0;
            var start = TimeSpan.FromSeconds(master.NextDouble() * Math.Min(20, o.Minutes * 60 / 4));
            tasks.Add(app switch
            {
                "wiki" => Actor($"wiki user {i}", r => BenignActors.WikiReader(ctx, client, r, editor), start),
                "tomcat" => Actor($"tomcat visitor {i}", r => BenignActors.TomcatVisitor(ctx, client, r), start),
                _ => Actor($"shopper {i}", r => BenignActors.Shopper(ctx, client, r), start),
            });
        }
    }
    if (benign.Contains("machines"))
    {
        (string Kind, string Agent)[] machines = [("health", "kube-probe/1.29"), ("metrics", "Prometheus/2.42.0"), ("api", "python-requests/2.31.0"), ("api", "Go-http-client/1.1"), ("crawler", UserAgents.Machines[5])];
        for (var i = 0; i < machines.Length; i++)
        {
            var (kind, agent) = machines[i];
            var client = Client($"127.0.101.{i + 1}", agent);
            tasks.Add(Actor($"machine {kind}", r => BenignActors.Machine(ctx, client, r, kind), TimeSpan.FromSeconds(master.NextDouble() * 3)));
        }
    }

    // Operators: one session per family, starting at random moments of the run.
    string[] operatorAgents =
    [
        "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)", // China Chopper's
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:84.0) Gecko/20100101 Firefox/84.0", // Godzilla's default
    ];
    for (var f = 0; f < families.Length; f++)
    {
        var family = families[f];
        var agent = family switch
        {
            "chopper" => operatorAgents[0],
            "godzilla" => operatorAgents[1],
            "regeorg" => "python-urllib3/1.26.18",
            _ => UserAgents.Browsers[master.Next(UserAgents.Browsers.Length)],
        };
        var client = Client($"127.0.66.{f + 1}", agent);
        var shellName = family switch
        {
            "regeorg" => "tunnel",
            "iis-module" => "",
            _ => new[] { "cache", "thumb", "img", "config", "lang", "upgrade" }[master.Next(6)] + master.Next(100, 999),
        };
        var start = TimeSpan.FromSeconds(master.NextDouble() * Math.Max(1, o.Minutes * 60 * 0.5));
        tasks.Add(Actor($"{family} operator", r => Operators.Run(family, ctx, client, r, shellName), start));
    }

    await Task.WhenAll(tasks);
    foreach (var c in clients) c.Dispose();
    Console.Error.WriteLine($"lab: {labels.Count} labelled requests from {clients.Count} clients ({families.Length} families)");
    mix.Print(Console.Error);
    return 0;
}

[Verb("serve-shop", HelpText = "Run the lab's ASP.NET Core shop (optionally with the IIS-module-style backdoor).")]
sealed class ServeShopOptions
{
    [Option("address", Default = "127.0.30.1")] public string Address { get; set; } = "";
    [Option("port", Default = 80)] public int Port { get; set; }
    [Option("sandbox", Required = true, HelpText = "Directory the backdoor's allow-listed commands run in.")] public string Sandbox { get; set; } = "";
    [Option("backdoor-cookie", HelpText = "Install the backdoor module, triggered by this cookie name.")] public string? BackdoorCookie { get; set; }
}

[Verb("drive", HelpText = "Drive benign users and web-shell operators against the lab servers, writing one label per request.")]
sealed class DriveOptions
{
    [Option("minutes", Default = 1.0)] public double Minutes { get; set; }
    [Option("families", Default = "all", HelpText = "all, none, or a comma-separated list of: cmd, chopper, antsword, behinder, godzilla, weevely, wso, regeorg, iis-module")] public string Families { get; set; } = "";
    [Option("benign", Default = "all", HelpText = "all, none, or a comma-separated list of: wiki, tomcat, shop, machines")] public string Benign { get; set; } = "";
    [Option("users", Default = 24, HelpText = "Benign people (each with its own address).")] public int Users { get; set; }
    [Option("seed", Default = 1)] public int Seed { get; set; }
    [Option("speed", Default = 1.0, HelpText = "Divides think times: 2 = twice as busy.")] public double Speed { get; set; }
    [Option("labels", Required = true)] public string Labels { get; set; } = "";
    [Option("wiki", Default = "127.0.10.1")] public string Wiki { get; set; } = "";
    [Option("tomcat", Default = "127.0.20.1")] public string Tomcat { get; set; } = "";
    [Option("shop", Default = "127.0.30.1")] public string Shop { get; set; } = "";
}
