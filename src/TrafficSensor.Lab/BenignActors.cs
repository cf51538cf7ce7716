using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace TrafficSensor.Lab;

/// <summary>Everything an actor needs: the servers, the label sink, the session options and the run's deadline.</summary>
public sealed class LabContext(LabServer wiki, LabServer tomcat, LabServer shop, LabelWriter labels, DateTime deadline, double speed)
{
    public LabServer Wiki { get; } = wiki;
    public LabServer Tomcat { get; } = tomcat;
    public LabServer Shop { get; } = shop;
    public LabelWriter Labels { get; } = labels;
    public double Speed { get; } = speed;
    /// <summary>When actors stop; moved once when the capture starts (written by the driver before the actors run).</summary>
    public DateTime Deadline { get; set; } = deadline;
    /// <summary>Apache httpd + mod_php serving the gallery application.</summary>
    public LabServer Apache { get; init; } = new("apache-php", IPAddress.Parse("127.0.40.1"), 80, "gallery.lab.example");
    /// <summary>The IIS-like ASP.NET site (Kestrel answering as IIS would, .aspx pages).</summary>
    public LabServer Iis { get; init; } = new("iis", IPAddress.Parse("127.0.50.1"), 80, "portal.lab.example");
    /// <summary>A WebLogic-like Java application server on :7001 (a second Tomcat service).</summary>
    public LabServer Weblogic { get; init; } = new("weblogic", IPAddress.Parse("127.0.60.1"), 7001, "erp.lab.example:7001");
    /// <summary>The intranet portal on Mono: real ASP.NET WebForms (fastcgi-mono-server4 behind nginx).</summary>
    public LabServer MonoAspx { get; init; } = new("mono-aspx", IPAddress.Parse("127.0.90.1"), 80, "intranet.lab.example");
    /// <summary>The shells and payload assemblies of the mono-aspx operators (null when the run has no Mono server).</summary>
    public MonoKit? Mono { get; init; }
    /// <summary>Commands per operator session; 0 keeps each tool's own short session.</summary>
    public int SessionRequests { get; init; }
    /// <summary>Operators open a connection per request (Connection: close), as many tools do.</summary>
    public bool CloseConnections { get; init; }
    /// <summary>Sessions began before the capture: upload and first contact are not captured.</summary>
    public bool MidSession { get; init; }
    public CaptureGate Gate { get; init; } = new(0);

    public LabServer Server(string name) => name switch
    {
        "wiki" => Wiki, "tomcat" => Tomcat, "apache-php" => Apache, "iis" => Iis, "weblogic" => Weblogic, "mono-aspx" => MonoAspx, _ => Shop,
    };

    /// <summary>Think time between actions: exponential around <paramref name="meanSeconds"/>, compressed by the speed factor.</summary>
    public Task Think(Random random, double meanSeconds) =>
        Task.Delay(TimeSpan.FromSeconds(Math.Min(meanSeconds * 4, -Math.Log(1 - random.NextDouble()) * meanSeconds) / Speed));

    /// <summary>
    /// Called by an operator when its session's opening (upload, first contact) is done. In a
    /// mid-session run the opening was sent unlabelled before the capture; the session goes on once
    /// the capture runs, after the operator's own start delay.
    /// </summary>
    public async Task Resume(LabClient client)
    {
        if (!MidSession || !client.Unlabelled) return;
        await Gate.SetupDone();
        client.CloseConnections();
        client.Unlabelled = false;
        await Task.Delay(client.ResumeDelay);
    }
}

/// <summary>
/// Lets mid-session operators finish their opening before the capture starts: the driver waits
/// until every expected opening is done, has the capture started, then opens the gate.
/// </summary>
public sealed class CaptureGate(int expected)
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _allDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining = expected;
    private readonly bool _nothingExpected = expected == 0;

    public Task AllSetupsDone => _nothingExpected ? Task.CompletedTask : _allDone.Task;
    public Task Opened => _open.Task;
    public void Open() => _open.TrySetResult();

    public Task SetupDone()
    {
        if (Interlocked.Decrement(ref _remaining) == 0) _allDone.TrySetResult();
        return _open.Task;
    }

    /// <summary>An operator that failed before its opening was done counts as done.</summary>
    public void Abandon() { if (Interlocked.Decrement(ref _remaining) == 0) _allDone.TrySetResult(); }
}

public static class UserAgents
{
    public static readonly string[] Browsers =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    ];

    public static readonly string[] Machines =
    [
        "curl/7.88.1", "python-requests/2.31.0", "Go-http-client/1.1", "kube-probe/1.29", "Prometheus/2.42.0",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "Wget/1.21.3",
    ];
}

/// <summary>The people and programs that use the lab's applications legitimately.</summary>
public static class BenignActors
{
    private const string Family = "benign";

    private static (string, string)[] BrowserHeaders(string? referer = null, bool html = true)
    {
        var headers = new List<(string, string)>
        {
            ("Accept", html ? "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" : "*/*"),
            ("Accept-Language", "en-US,en;q=0.9"),
            ("Accept-Encoding", "gzip, deflate"),
        };
        if (referer is not null) headers.Add(("Referer", referer));
        return headers.ToArray();
    }

    /// <summary>A person reading and editing the DokuWiki: pages with their assets, search, login, edits, media.</summary>
    public static async Task WikiReader(LabContext ctx, LabClient client, Random random, bool editor)
    {
        var wiki = ctx.Wiki;
        string[] pages = ["start", "wiki:syntax", "playground:playground", "ops:runbook", "ops:backups", "dev:api", "dev:release-notes", "team:contacts"];
        var closeEach = random.Next(4) == 0; // some browsers or proxies do not keep connections alive
        while (DateTime.UtcNow < ctx.Deadline)
        {
            var page = pages[random.Next(pages.Length)];
            var referer = $"{wiki.Origin}/doku.php?id=start";
            await client.SendAsync(wiki, HttpMethod.Get, $"/doku.php?id={page}", Family, "browse", headers: BrowserHeaders(referer), close: closeEach);
            foreach (var asset in new[] { "/lib/exe/css.php?t=dokuwiki&tseed=7a8b", "/lib/exe/js.php?t=dokuwiki&tseed=7a8b", "/lib/tpl/dokuwiki/images/logo.png", "/lib/images/license/button/cc-by-sa.png" })
            {
                if (random.Next(3) == 0) continue;
                var cached = random.Next(2) == 0;
                await client.SendAsync(wiki, HttpMethod.Get, asset, Family, "asset",
                    headers: BrowserHeaders($"{wiki.Origin}/doku.php?id={page}", html: false)
                        .Concat(cached ? [("If-Modified-Since", "Wed, 01 Jan 2031 00:00:00 GMT")] : Array.Empty<(string, string)>()), close: closeEach);
            }
            var action = random.Next(10);
            if (action == 0)
                await client.SendAsync(wiki, HttpMethod.Get, $"/doku.php?do=search&id=start&q={Uri.EscapeDataString(pages[random.Next(pages.Length)].Split(':')[^1])}", Family, "search", headers: BrowserHeaders(referer));
            else if (action == 1)
                await client.SendAsync(wiki, HttpMethod.Get, "/doku.php?id=start&do=index", Family, "browse", headers: BrowserHeaders(referer));
            else if (action == 2)
                await client.SendAsync(wiki, HttpMethod.Get, $"/feed.php?mode=recent", Family, "feed", headers: BrowserHeaders(referer, html: false));
            else if (editor && action == 3)
                await Edit(ctx, client, random, page);
            await ctx.Think(random, 6);
        }
    }

    private static async Task Edit(LabContext ctx, LabClient client, Random random, string page)
    {
        var wiki = ctx.Wiki;
        if (!client.Cookies.Keys.Any(k => k.StartsWith("DW")))
        {
            await client.SendAsync(wiki, HttpMethod.Get, "/doku.php?id=start&do=login", Family, "login", headers: BrowserHeaders());
            await client.SendAsync(wiki, HttpMethod.Post, "/doku.php?id=start&do=login", Family, "login",
                new FormUrlEncodedContent([new("sectok", ""), new("id", "start"), new("do", "login"), new("u", "alice"), new("p", "lab-alice-pw"), new("r", "1")]),
                BrowserHeaders($"{wiki.Origin}/doku.php?id=start&do=login"));
        }
        await client.SendAsync(wiki, HttpMethod.Get, $"/doku.php?id={page}&do=edit", Family, "edit", headers: BrowserHeaders());
        var text = $"====== {page} ======\n\nUpdated by the lab at {DateTime.UtcNow:O}.\n\n  * item {random.Next(100)}\n  * see [[start]]\n";
        await client.SendAsync(wiki, HttpMethod.Post, "/doku.php", Family, "edit",
            new FormUrlEncodedContent([new("sectok", ""), new("id", page), new("rev", "0"), new("prefix", "."), new("suffix", ""), new("wikitext", text), new("summary", "lab edit"), new("do[save]", "Save")]),
            BrowserHeaders($"{wiki.Origin}/doku.php?id={page}&do=edit"));
        if (random.Next(3) == 0)
        {
            var upload = FormParts.Create($"----WebKitFormBoundary{random.Next():x8}");
            var image = new byte[2000 + random.Next(6000)];
            random.NextBytes(image);
            var part = new ByteArrayContent(image);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            FormParts.Add(upload, part, "qqfile", $"diagram{random.Next(100)}.png");
            await client.SendAsync(wiki, HttpMethod.Post, $"/lib/exe/ajax.php?tab_files=files&tab_details=view&do=media&ns=ops&sectok=&mediaid=&call=mediaupload&qqfile=diagram.png&ow=false", Family, "upload", upload,
                BrowserHeaders($"{wiki.Origin}/doku.php?id={page}&do=media", html: false).Append(("X-Requested-With", "XMLHttpRequest")));
        }
    }

    /// <summary>A person trying Tomcat's JSP and servlet examples: forms, sessions, cookies, parameters.</summary>
    public static async Task TomcatVisitor(LabContext ctx, LabClient client, Random random)
    {
        var t = ctx.Tomcat;
        string[] gets =
        [
            "/examples/", "/examples/jsp/", "/examples/servlets/", "/examples/jsp/dates/date.jsp", "/examples/jsp/jsp2/el/basic-arithmetic.jsp",
            "/examples/servlets/servlet/HelloWorldExample", "/examples/servlets/servlet/RequestInfoExample", "/examples/jsp/num/numguess.jsp",
            "/examples/servlets/servlet/SessionExample", "/examples/jsp/snp/snoop.jsp", "/examples/jsp/jsp2/simpletag/hello.jsp",
        ];
        while (DateTime.UtcNow < ctx.Deadline)
        {
            var action = random.Next(10);
            if (action < 6)
                await client.SendAsync(t, HttpMethod.Get, gets[random.Next(gets.Length)], Family, "browse", headers: BrowserHeaders($"{t.Origin}/examples/"));
            else if (action == 6)
                await client.SendAsync(t, HttpMethod.Get, $"/examples/servlets/servlet/RequestParamExample?firstname={Names[random.Next(Names.Length)]}&lastname=Smith", Family, "form", headers: BrowserHeaders());
            else if (action == 7)
                await client.SendAsync(t, HttpMethod.Post, "/examples/servlets/servlet/RequestParamExample", Family, "form",
                    new FormUrlEncodedContent([new("firstname", Names[random.Next(Names.Length)]), new("lastname", "Jones")]), BrowserHeaders());
            else if (action == 8)
                await client.SendAsync(t, HttpMethod.Get, $"/examples/jsp/num/numguess.jsp?guess={random.Next(1, 100)}", Family, "form", headers: BrowserHeaders());
            else
                await client.SendAsync(t, HttpMethod.Post, "/examples/servlets/servlet/SessionExample", Family, "form",
                    new FormUrlEncodedContent([new("dataname", "color"), new("datavalue", "blue")]), BrowserHeaders());
            await ctx.Think(random, 5);
        }
    }

    private static readonly string[] Names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];

    /// <summary>A shopper: pages with assets, revalidation, product API, cart, login with redirect, report download, avatar upload.</summary>
    public static async Task Shopper(LabContext ctx, LabClient client, Random random)
    {
        var s = ctx.Shop;
        while (DateTime.UtcNow < ctx.Deadline)
        {
            await client.SendAsync(s, HttpMethod.Get, "/", Family, "browse", headers: BrowserHeaders());
            foreach (var asset in new[] { "/static/site.css", "/static/app.js", "/static/logo.png" })
                await client.SendAsync(s, HttpMethod.Get, asset, Family, "asset",
                    headers: BrowserHeaders($"{s.Origin}/", html: false).Concat(random.Next(2) == 0 ? [("If-None-Match", "\"v42\"")] : Array.Empty<(string, string)>()));
            await client.SendAsync(s, HttpMethod.Get, $"/products?page={random.Next(1, 6)}", Family, "browse", headers: BrowserHeaders($"{s.Origin}/"));
            var id = random.Next(1, 60);
            await client.SendAsync(s, HttpMethod.Get, $"/products/{id}", Family, "browse", headers: BrowserHeaders($"{s.Origin}/products"));
            await client.SendAsync(s, HttpMethod.Get, $"/api/products?page=1&q=Product+{id % 10}", Family, "api", headers: [("Accept", "application/json"), ("X-Requested-With", "XMLHttpRequest")]);
            if (random.Next(2) == 0)
                await client.SendAsync(s, HttpMethod.Post, "/api/cart", Family, "api", new StringContent($"{{\"id\":{id},\"qty\":1}}", Encoding.UTF8, "application/json"), [("Accept", "application/json")]);
            if (random.Next(5) == 0)
            {
                var login = await client.SendAsync(s, HttpMethod.Post, "/login", Family, "login",
                    new FormUrlEncodedContent([new("user", Names[random.Next(Names.Length)]), new("password", random.Next(4) == 0 ? "wrong" : "secret")]), BrowserHeaders($"{s.Origin}/login"));
                if (login.Status == 302) await client.SendAsync(s, HttpMethod.Get, "/account", Family, "browse", headers: BrowserHeaders($"{s.Origin}/login"));
            }
            if (random.Next(6) == 0) await client.SendAsync(s, HttpMethod.Get, "/files/report.pdf", Family, "download", headers: BrowserHeaders(html: false));
            if (random.Next(10) == 0)
            {
                var form = FormParts.Create($"----geckoformboundary{random.Next():x8}");
                var avatar = new byte[3000 + random.Next(5000)];
                random.NextBytes(avatar);
                var part = new ByteArrayContent(avatar);
                part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                FormParts.Add(form, part, "avatar", "me.jpg");
                await client.SendAsync(s, HttpMethod.Post, "/account/avatar", Family, "upload", form, BrowserHeaders($"{s.Origin}/account"));
            }
            await ctx.Think(random, 7);
        }
    }

    /// <summary>Programs: health checks, a metrics scraper, an API integration and a crawler.</summary>
    public static async Task Machine(LabContext ctx, LabClient client, Random random, string kind)
    {
        while (DateTime.UtcNow < ctx.Deadline)
        {
            switch (kind)
            {
                case "health":
                    await client.SendAsync(ctx.Shop, HttpMethod.Get, "/health", Family, "health", headers: [("Accept", "*/*")], close: true);
                    await client.SendAsync(ctx.Wiki, HttpMethod.Head, "/doku.php", Family, "health", close: true);
                    await client.SendAsync(ctx.Tomcat, HttpMethod.Get, "/examples/index.html", Family, "health", close: true);
                    await Task.Delay(TimeSpan.FromSeconds(5 / ctx.Speed));
                    break;
                case "metrics":
                    await client.SendAsync(ctx.Shop, HttpMethod.Get, "/metrics", Family, "metrics", headers: [("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"), ("X-Prometheus-Scrape-Timeout-Seconds", "10")]);
                    await Task.Delay(TimeSpan.FromSeconds(15 / ctx.Speed));
                    break;
                case "api":
                    await client.SendAsync(ctx.Shop, HttpMethod.Get, $"/api/products?page={random.Next(1, 7)}", Family, "api", headers: [("Accept", "application/json")]);
                    if (random.Next(3) == 0)
                        await client.SendAsync(ctx.Shop, HttpMethod.Post, "/api/cart", Family, "api", new StringContent($"{{\"id\":{random.Next(1, 60)},\"qty\":{random.Next(1, 4)}}}", Encoding.UTF8, "application/json"));
                    await ctx.Think(random, 4);
                    break;
                default: // crawler
                    foreach (var (server, path) in new[] { (ctx.Shop, "/robots.txt"), (ctx.Shop, "/"), (ctx.Shop, $"/products/{random.Next(1, 60)}"), (ctx.Wiki, "/robots.txt"), (ctx.Wiki, $"/doku.php?id=start"), (ctx.Wiki, "/doku.php?id=wiki:syntax"), (ctx.Tomcat, "/examples/jsp/") })
                    {
                        await client.SendAsync(server, HttpMethod.Get, path, Family, "crawl", headers: [("Accept", "text/html,*/*;q=0.8"), ("From", "bingbot(at)microsoft.com")]);
                        await ctx.Think(random, 2);
                    }
                    break;
            }
        }
    }
}
