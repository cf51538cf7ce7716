using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TrafficSensor.Lab;

/// <summary>
/// The lab's ASP.NET Core (Kestrel) stack: a small shop with pages, static assets, a JSON API,
/// a login, file upload and download, health and metrics endpoints — and, when enabled, an
/// IIS-module-style backdoor: middleware that answers only requests carrying a secret cookie,
/// hiding command output in a normal-looking page, as RGDoor and IIS-Raid modules do.
/// The backdoor runs only allow-listed harmless commands (see <see cref="LabCommands"/>).
/// </summary>
public static class ShopServer
{
    public static async Task RunAsync(string address, int port, string sandbox, string? backdoorCookie)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{address}:{port}");
        var app = builder.Build();

        if (backdoorCookie is not null)
            app.Use(async (context, next) =>
            {
                // The module sees every request first; only its own trigger makes it act.
                if (context.Request.Cookies.TryGetValue(backdoorCookie, out var encoded) && TryBase64(encoded, out var command))
                {
                    var output = LabCommands.Run(command, sandbox);
                    context.Response.ContentType = "text/html; charset=utf-8";
                    await context.Response.WriteAsync(Page("Welcome", "<p>Our latest offers.</p>") +
                        "<!-- " + Convert.ToBase64String(Encoding.UTF8.GetBytes(output)) + " -->");
                    return;
                }
                await next(context);
            });

        var products = Enumerable.Range(1, 60).Select(i => new { id = i, name = $"Product {i}", price = 3 + i * 1.25, stock = i % 7 }).ToArray();
        var css = string.Concat(Enumerable.Range(1, 300).Select(i => $".c{i}{{margin:{i}px}}\n"));
        var js = "function addToCart(id){fetch('/api/cart',{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify({id:id,qty:1})});}\n" + new string('/', 2000);
        var logo = new byte[4096];
        new Random(7).NextBytes(logo);
        var report = new byte[48_000];
        new Random(8).NextBytes(report);

        app.MapGet("/", () => Results.Content(Page("Shop", "<a href=\"/products\">Products</a> <a href=\"/login\">Login</a>"), "text/html"));
        app.MapGet("/products", (int? page) => Results.Content(Page("Products", string.Concat(products.Skip(((page ?? 1) - 1) * 10).Take(10).Select(p => $"<li><a href=\"/products/{p.id}\">{p.name}</a></li>"))), "text/html"));
        app.MapGet("/products/{id:int}", (int id) => Results.Content(Page($"Product {id}", $"<p>Price {3 + id * 1.25}</p><button onclick=\"addToCart({id})\">Add</button>"), "text/html"));
        app.MapGet("/static/site.css", (HttpContext c) => Cached(c, css, "text/css"));
        app.MapGet("/static/app.js", (HttpContext c) => Cached(c, js, "application/javascript"));
        app.MapGet("/static/logo.png", () => Results.Bytes(logo, "image/png"));
        app.MapGet("/api/products", (int? page, string? q) => Results.Json(products.Where(p => q is null || p.name.Contains(q)).Skip(((page ?? 1) - 1) * 10).Take(10)));
        app.MapPost("/api/cart", async (HttpContext c) =>
        {
            using var doc = await JsonDocument.ParseAsync(c.Request.Body);
            return Results.Json(new { ok = true, items = 1, id = doc.RootElement.TryGetProperty("id", out var id) ? id.GetInt32() : 0 });
        });
        app.MapGet("/login", () => Results.Content(Page("Login", "<form method=post><input name=user><input type=password name=password></form>"), "text/html"));
        app.MapPost("/login", async (HttpContext c) =>
        {
            var form = await c.Request.ReadFormAsync();
            if (form["password"] == "secret") { c.Response.Cookies.Append("shop_session", Guid.NewGuid().ToString("N")); return Results.Redirect("/account"); }
            return Results.Content(Page("Login", "<p class=error>Wrong password</p>"), "text/html", statusCode: 401);
        });
        app.MapGet("/account", (HttpContext c) => c.Request.Cookies.ContainsKey("shop_session") ? Results.Content(Page("Account", "<p>Orders: 3</p>"), "text/html") : Results.Redirect("/login"));
        app.MapPost("/account/avatar", async (HttpContext c) =>
        {
            var form = await c.Request.ReadFormAsync();
            return Results.Json(new { stored = form.Files.Select(f => new { f.FileName, f.Length }) });
        });
        app.MapGet("/files/report.pdf", () => Results.Bytes(report, "application/pdf", "report.pdf"));
        app.MapGet("/health", () => Results.Text("Healthy"));
        app.MapGet("/metrics", () => Results.Text("# TYPE shop_orders_total counter\nshop_orders_total 1234\n", "text/plain; version=0.0.4"));
        app.MapGet("/robots.txt", () => Results.Text("User-agent: *\nDisallow: /account\n"));
        await app.RunAsync();
    }

    private static IResult Cached(HttpContext c, string body, string type)
    {
        const string etag = "\"v42\"";
        if (c.Request.Headers.IfNoneMatch == etag) return Results.StatusCode(304);
        c.Response.Headers.ETag = etag;
        return Results.Text(body, type);
    }

    private static string Page(string title, string body) =>
        $"<!doctype html><html><head><title>{title} - Lab Shop</title><link rel=stylesheet href=/static/site.css><script src=/static/app.js></script></head><body><h1>{title}</h1>{body}</body></html>";

    private static bool TryBase64(string text, out string decoded)
    {
        decoded = "";
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(Uri.UnescapeDataString(text)));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>The only commands the lab's shells and backdoors execute; anything else is refused.</summary>
public static class LabCommands
{
    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "id", "whoami", "pwd", "hostname", "uname -a", "ls", "ls -la", "cat lab-notes.txt", "ps aux", "ip addr", "netstat -an",
    };

    public static string Run(string command, string sandbox)
    {
        command = command.Trim();
        if (!Allowed.Contains(command)) return $"sh: 1: {command}: not permitted in the lab\n";
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh") { WorkingDirectory = sandbox, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        // The process list without arguments: the lab shares the host's PID namespace, and other
        // processes' command lines must not end up in captures.
        psi.ArgumentList.Add(command == "ps aux" ? "ps axo user,pid,%cpu,%mem,vsz,rss,tty,stat,start,time,comm" : command);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
