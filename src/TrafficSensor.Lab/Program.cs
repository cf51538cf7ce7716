using System.Net;
using System.Net.Security;
using CommandLine;
using TrafficSensor.Lab;

var parser = new Parser(s => { s.HelpWriter = Console.Error; s.CaseInsensitiveEnumValues = true; });
return await parser.ParseArguments<ServeShopOptions, ServeIisOptions, DriveOptions, AppsOptions, RunCommandOptions>(args).MapResult(
    (ServeShopOptions o) => ServeShop(o),
    (ServeIisOptions o) => ServeIis(o),
    (DriveOptions o) => Drive(o),
    (AppsOptions o) => Apps(o),
    (RunCommandOptions o) => RunCommand(o),
    _ => Task.FromResult(1));

// The command runner of the real shells on Mono (run.sh's lab-command): the lab's one allow-list.
static Task<int> RunCommand(RunCommandOptions o)
{
    Console.Out.Write(LabCommands.Run(string.Join(' ', o.Command), o.Sandbox));
    return Task.FromResult(0);
}

static async Task<int> ServeShop(ServeShopOptions o)
{
    await ShopServer.RunAsync(o.Address, o.Port, o.Sandbox, o.BackdoorCookie);
    return 0;
}

static async Task<int> ServeIis(ServeIisOptions o)
{
    LabHttpsEndpoint? https = null;
    if (o.HttpsPort > 0)
    {
        try { https = LabHttpsEndpoint.Create(o.HttpsPort, o.Certificate, o.Key, o.TlsVersions, o.TlsSuites); }
        catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 1; }
    }
    await IisServer.RunAsync(o.Address, o.Port, o.Sandbox, https);
    return 0;
}

// The servers a run needs, so run.sh starts only those (the default run keeps its three).
static Task<int> Apps(AppsOptions o)
{
    var apps = new SortedSet<string>();
    foreach (var b in BenignApps(o.Benign)) apps.Add(b == "machines" ? "shop" : b);
    foreach (var v in Variants.Select(o.Variants)) apps.UnionWith(v.App.Length > 0 ? [v.App] : ["wiki", "tomcat", "apache-php", "iis", "weblogic"]);
    Console.WriteLine(string.Join(" ", apps));
    return Task.FromResult(0);
}

static string[] BenignApps(string spec) =>
    spec.Equals("all", StringComparison.OrdinalIgnoreCase) ? ["wiki", "tomcat", "shop", "machines"]
    : spec.Equals("extended", StringComparison.OrdinalIgnoreCase) ? ["wiki", "tomcat", "shop", "machines", "apache-php", "iis", "weblogic"]
    : spec.Equals("none", StringComparison.OrdinalIgnoreCase) ? []
    : spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

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
    var benign = BenignApps(o.Benign);
    if (o.Http2 && !o.Tls)
    {
        Console.Error.WriteLine("--h2 needs --tls (the lab speaks HTTP/2 only after ALPN)");
        return 1;
    }
    CipherSuitesPolicy? cipherSuites;
    try { cipherSuites = LabCipherSuites.WithExtra(o.TlsExtraSuites); }
    catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 1; }
    IReadOnlyList<Variant> variants;
    try { variants = Variants.Select(o.Variants); }
    catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 1; }
    var sessions = Math.Max(1, o.Sessions);
    var operatorCount = (families.Length + variants.Count) * sessions;

    using var labels = new LabelWriter(o.Labels);
    var mix = new MixStats();
    var ctx = new LabContext(
        Server("wiki", o.Wiki, 80, 443, "wiki.lab.example"),
        Server("tomcat", o.Tomcat, 8080, 8443, "apps.lab.example"),
        Server("shop", o.Shop, 80, 443, "shop.lab.example"),
        labels, DateTime.UtcNow.AddMinutes(o.Minutes), o.Speed)
    {
        Apache = Server("apache-php", o.Apache, 80, 443, "gallery.lab.example"),
        Iis = Server("iis", o.Iis, 80, 443, "portal.lab.example"),
        Weblogic = Server("weblogic", o.Weblogic, 7001, 7002, "erp.lab.example"),
        MonoAspx = Server("mono-aspx", o.MonoAspx, 80, 443, "intranet.lab.example"),
        Mono = MonoKit.Open(o.MonoKit),
        SessionRequests = o.SessionRequests,
        CloseConnections = o.ConnectionClose,
        MidSession = o.MidSession,
        Gate = new CaptureGate(o.MidSession ? operatorCount : 0),
    };
    // Over TLS each server is reached on its HTTPS port (the products' usual ones: 443, Tomcat's 8443,
    // WebLogic's 7002); the Host header carries a port only when it is not the scheme's default.
    LabServer Server(string name, string address, int httpPort, int httpsPort, string host)
    {
        var port = o.Tls ? httpsPort : httpPort;
        return new LabServer(name, IPAddress.Parse(address), port, port == (o.Tls ? 443 : 80) ? host : $"{host}:{port}", o.Tls);
    }

    var master = new Random(o.Seed);
    var tasks = new List<Task>();
    var clients = new List<LabClient>();

    LabClient Client(string address, string userAgent)
    {
        var c = new LabClient(IPAddress.Parse(address), userAgent, labels, mix, o.Http2, cipherSuites);
        clients.Add(c);
        return c;
    }

    // Nothing labelled is sent before the capture runs; mid-session operators send their opening first.
    Task Actor(string name, Func<Random, Task> body, TimeSpan delay, LabClient? opening = null)
    {
        var random = new Random(master.Next());
        return Task.Run(async () =>
        {
            if (opening is null) await ctx.Gate.Opened;
            await Task.Delay(delay);
            try
            {
                await body(random);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // One actor's failure (a server refusing, a tunnel cut) must not stop the run.
                Console.Error.WriteLine($"lab: {name}: {e.GetType().Name}: {e.Message}");
            }
            finally
            {
                if (opening is { Unlabelled: true }) ctx.Gate.Abandon();
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
                "apache-php" => Actor($"gallery visitor {i}", r => MoreBenignActors.GalleryVisitor(ctx, client, r), start),
                "iis" => Actor($"portal user {i}", r => MoreBenignActors.PortalUser(ctx, client, r), start),
                "weblogic" => Actor($"erp user {i}", r => MoreBenignActors.ErpUser(ctx, client, r), start),
                "mono-aspx" => Actor($"intranet user {i}", r => MoreBenignActors.PortalUser(ctx, client, r, ctx.MonoAspx, webForms: true), start),
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
    var operatorIndex = 0;
    for (var session = 0; session < sessions; session++)
    {
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
            var client = OperatorClient(agent);
            var shellName = family switch
            {
                "regeorg" => "tunnel",
                "iis-module" => "",
                _ => new[] { "cache", "thumb", "img", "config", "lang", "upgrade" }[master.Next(6)] + master.Next(100, 999),
            };
            tasks.Add(OperatorActor($"{family} operator", client, r => Operators.Run(family, ctx, client, r, shellName)));
        }
        foreach (var variant in variants)
        {
            var client = OperatorClient(Variants.Agent(variant.Tag) ?? UserAgents.Browsers[master.Next(UserAgents.Browsers.Length)]);
            tasks.Add(OperatorActor($"{variant.Tag} operator", client, r => variant.Run(ctx, client, r)));
        }
    }

    LabClient OperatorClient(string agent)
    {
        operatorIndex++;
        var client = Client($"127.0.{66 + (operatorIndex - 1) / 250}.{(operatorIndex - 1) % 250 + 1}", agent);
        client.CloseEach = o.ConnectionClose;
        return client;
    }

    // Operators start at random moments of the run's first half; a mid-session one sends its opening
    // at once, unlabelled, and goes on from its start moment once the capture runs.
    Task OperatorActor(string name, LabClient client, Func<Random, Task> body)
    {
        var start = TimeSpan.FromSeconds(master.NextDouble() * Math.Max(1, o.Minutes * 60 * 0.5));
        if (!o.MidSession) return Actor(name, body, start);
        client.Unlabelled = true;
        client.ResumeDelay = start;
        return Actor(name, body, TimeSpan.Zero, opening: client);
    }

    // The capture handshake with run.sh: "ready" once the openings are done, go on at "capturing".
    await ctx.Gate.AllSetupsDone.WaitAsync(TimeSpan.FromMinutes(5)).ContinueWith(_ => { });
    if (o.SyncDir is { Length: > 0 } sync)
    {
        await File.WriteAllTextAsync(Path.Combine(sync, "ready"), "");
        for (var i = 0; i < 600 && !File.Exists(Path.Combine(sync, "capturing")); i++) await Task.Delay(100);
    }
    ctx.Deadline = DateTime.UtcNow.AddMinutes(o.Minutes);
    ctx.Gate.Open();

    await Task.WhenAll(tasks);
    foreach (var c in clients) c.Dispose();
    Console.Error.WriteLine($"lab: {labels.Count} labelled requests from {clients.Count} clients ({families.Length} families, {variants.Count} variants, {sessions} session(s) each)");
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

[Verb("serve-iis", HelpText = "Run the lab's IIS-like ASP.NET site with its .NET web-shell emulators.")]
sealed class ServeIisOptions
{
    [Option("address", Default = "127.0.50.1")] public string Address { get; set; } = "";
    [Option("port", Default = 80)] public int Port { get; set; }
    [Option("sandbox", Required = true, HelpText = "Directory the emulators' allow-listed commands run in.")] public string Sandbox { get; set; } = "";
    [Option("https-port", Default = 0, HelpText = "Also serve HTTPS (HTTP/1.1 and h2) on this port, Kestrel terminating TLS.")] public int HttpsPort { get; set; }
    [Option("cert", HelpText = "PEM certificate for --https-port.")] public string Certificate { get; set; } = "";
    [Option("key", HelpText = "PEM private key for --https-port.")] public string Key { get; set; } = "";
    [Option("tls-versions", Default = "1.2,1.3", HelpText = "TLS versions accepted: 1.2, 1.3 or 1.2,1.3.")] public string TlsVersions { get; set; } = "";
    [Option("tls-suites", HelpText = "TLS cipher suites accepted (IANA names, comma-separated); default: .NET's.")] public string? TlsSuites { get; set; }
}

[Verb("run-command", HelpText = "Run one of the lab's allow-listed harmless commands in the sandbox (the Mono payloads' runner).")]
sealed class RunCommandOptions
{
    [Option("sandbox", Required = true)] public string Sandbox { get; set; } = "";
    [Value(0, Required = true, MetaName = "command")] public IEnumerable<string> Command { get; set; } = [];
}

[Verb("apps", HelpText = "Print the servers a run with these options needs.")]
sealed class AppsOptions
{
    [Option("variants", Default = "none")] public string Variants { get; set; } = "";
    [Option("benign", Default = "all")] public string Benign { get; set; } = "";
}

[Verb("drive", HelpText = "Drive benign users and web-shell operators against the lab servers, writing one label per request.")]
sealed class DriveOptions
{
    [Option("minutes", Default = 1.0)] public double Minutes { get; set; }
    [Option("families", Default = "all", HelpText = "all, none, or a comma-separated list of: cmd, chopper, antsword, behinder, godzilla, weevely, wso, regeorg, iis-module")] public string Families { get; set; } = "";
    [Option("benign", Default = "all", HelpText = "all (wiki, tomcat, shop, machines), extended (also apache-php, iis, weblogic), none, or a comma-separated list (mono-aspx only by name)")] public string Benign { get; set; } = "";
    [Option("users", Default = 24, HelpText = "Benign people (each with its own address).")] public int Users { get; set; }
    [Option("seed", Default = 1)] public int Seed { get; set; }
    [Option("speed", Default = 1.0, HelpText = "Divides think times: 2 = twice as busy.")] public double Speed { get; set; }
    [Option("labels", Required = true)] public string Labels { get; set; } = "";
    [Option("wiki", Default = "127.0.10.1")] public string Wiki { get; set; } = "";
    [Option("tomcat", Default = "127.0.20.1")] public string Tomcat { get; set; } = "";
    [Option("shop", Default = "127.0.30.1")] public string Shop { get; set; } = "";
    [Option("apache", Default = "127.0.40.1")] public string Apache { get; set; } = "";
    [Option("iis", Default = "127.0.50.1")] public string Iis { get; set; } = "";
    [Option("weblogic", Default = "127.0.60.1")] public string Weblogic { get; set; } = "";
    [Option("mono-aspx", Default = "127.0.90.1")] public string MonoAspx { get; set; } = "";
    [Option("mono-kit", HelpText = "Directory of the mono-aspx shells and payload assemblies (run.sh builds it).")] public string? MonoKit { get; set; }
    [Option("variants", Default = "none", HelpText = "all, none, or a comma-separated list of variants (godzilla/PHP_XOR_RAW) or their families (suo5, scanner)")] public string Variants { get; set; } = "";
    [Option("sessions", Default = 1, HelpText = "Sessions per family and per variant, each from its own address.")] public int Sessions { get; set; }
    [Option("session-requests", Default = 0, HelpText = "Commands per operator session (0: each tool's own short session).")] public int SessionRequests { get; set; }
    [Option("connection-close", Default = false, HelpText = "Operators open a connection per request.")] public bool ConnectionClose { get; set; }
    [Option("mid-session", Default = false, HelpText = "Operators' uploads and first contacts happen before the capture.")] public bool MidSession { get; set; }
    [Option("tls", Default = false, HelpText = "Reach every server over HTTPS on its TLS port (443; Tomcat 8443; WebLogic-like 7002).")] public bool Tls { get; set; }
    [Option("tls-extra-suites", HelpText = "TLS cipher suites the clients offer after .NET's default list (IANA names, comma-separated), e.g. TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256.")] public string? TlsExtraSuites { get; set; }
    [Option("h2", Default = false, HelpText = "Send HTTP/2 (with --tls: ALPN h2).")] public bool Http2 { get; set; }
    [Option("sync-dir", HelpText = "Directory for the capture handshake with run.sh (ready / capturing files).")] public string? SyncDir { get; set; }
}
