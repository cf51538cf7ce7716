using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TrafficSensor.Lab;

/// <summary>
/// The lab's IIS-like ASP.NET site: .aspx pages with view state and postbacks, IIS's headers
/// (Server: Microsoft-IIS/10.0, X-Powered-By, X-AspNet-Version, ASP.NET_SessionId), an upload page
/// with the usual bug, and EMULATORS of the .NET web shells dropped through it: Godzilla
/// CSHARP_AES_BASE64/RAW, Behinder v3 ASPX and AntSword ASPX. They parse and decrypt each tool's
/// real request and answer with its real framing, never load or evaluate what they are sent, and
/// run only <see cref="LabCommands"/>. (Debian 12's xsp4 4.2 cannot start on its Mono 6.8:
/// TypeLoadException on Mono.Security's PrivateKeySelectionCallback, so Kestrel plays IIS here; the
/// real shells run on Mono's FastCGI server instead, the mono-aspx server: see <see cref="MonoKit"/>.)
/// Shell state (dropped pages, sessions) is owned by the request handlers through concurrent maps.
/// </summary>
public static class IisServer
{
    private static readonly byte[] GodzillaKey = Encoding.ASCII.GetBytes("3c6e0b8a9c15224a");
    private static readonly byte[] BehinderKey = Encoding.ASCII.GetBytes("e45e329feb5d925b");
    private static readonly Regex AntSwordData = new("FromBase64String\\(Request\\.Item\\[\"([^\"]+)\"\\]\\)", RegexOptions.NonBacktracking);
    private static readonly Regex AntSwordMarker = new("Response\\.Write\\(\"([0-9a-f]+)\"\\)", RegexOptions.NonBacktracking);
    private static readonly Regex GodzillaCommand = new(";([^;\"]+)\"", RegexOptions.NonBacktracking);

    public static async Task RunAsync(string address, int port, string sandbox, LabHttpsEndpoint? https = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 20_000_000;
            k.Listen(IPAddress.Parse(address), port);
            // IIS terminates TLS itself: so does the portal when the lab runs over HTTPS.
            if (https is not null) k.Listen(IPAddress.Parse(address), https.Port, listen => https.Configure(listen));
        });
        var app = builder.Build();
        var shells = new ConcurrentDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var sessions = new ConcurrentDictionary<string, ConcurrentDictionary<string, string>>();
        var css = string.Concat(Enumerable.Range(1, 200).Select(i => $".portal-{i}{{padding:{i % 9}px}}\n"));
        var js = "/*! jQuery v3.4.1 | (c) JS Foundation and other contributors | jquery.org/license */\n" + string.Concat(Enumerable.Range(1, 400).Select(i => $"function f{i}(a){{return a+{i};}}"));
        var banner = new byte[3000];
        new Random(9).NextBytes(banner);
        "GIF89a"u8.CopyTo(banner);

        app.Use(async (context, next) =>
        {
            context.Response.Headers["Server"] = "Microsoft-IIS/10.0";
            context.Response.Headers["X-Powered-By"] = "ASP.NET";
            var path = context.Request.Path.Value ?? "/";
            if (path.EndsWith(".aspx", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers["X-AspNet-Version"] = "4.0.30319";
                context.Response.Headers.CacheControl = "private";
            }
            if (shells.TryGetValue(path, out var kind))
            {
                var session = Session(context, sessions);
                var body = await ReadBody(context.Request);
                context.Response.ContentType = "text/html; charset=utf-8";
                var answer = kind switch
                {
                    "godzilla-base64" or "godzilla-raw" => Godzilla(context, body, session, kind == "godzilla-base64", sandbox),
                    "behinder" => Behinder(body, sandbox),
                    _ => await AntSword(context, sandbox),
                };
                context.Response.ContentLength = answer.Length; // ASP.NET buffers a page's output: IIS sends a length
                await context.Response.Body.WriteAsync(answer);
                return;
            }
            await next(context);
        });

        app.MapGet("/", () => Page("Home", "<p>Welcome to the staff portal.</p>"));
        app.MapGet("/default.aspx", () => Page("Home", "<p>Welcome to the staff portal.</p>"));
        app.MapGet("/about.aspx", () => Page("About", string.Concat(Enumerable.Range(1, 20).Select(i => $"<p>Section {i} of the portal's about page.</p>"))));
        app.MapGet("/contact.aspx", () => Page("Contact", Form("<input name=\"ctl00$MainContent$txtName\"><textarea name=\"ctl00$MainContent$txtMessage\"></textarea>")));
        app.MapPost("/contact.aspx", async (HttpContext c) => { var f = await c.Request.ReadFormAsync(); return Page("Contact", $"<p>Thank you, {System.Net.WebUtility.HtmlEncode(f["ctl00$MainContent$txtName"])}.</p>"); });
        app.MapGet("/login.aspx", () => Page("Log in", Form("<input name=\"ctl00$MainContent$UserName\"><input type=password name=\"ctl00$MainContent$Password\">")));
        app.MapPost("/login.aspx", async (HttpContext c) =>
        {
            var f = await c.Request.ReadFormAsync();
            if (f["ctl00$MainContent$Password"] == "portal-pw") { c.Response.Cookies.Append(".ASPXAUTH", Convert.ToHexString(RandomNumberGenerator.GetBytes(40))); return Results.Redirect("/default.aspx"); }
            return Page("Log in", "<span class=\"error\">Invalid login attempt.</span>");
        });
        app.MapGet("/Content/site.css", () => Results.Text(css, "text/css"));
        app.MapGet("/Scripts/jquery-3.4.1.min.js", () => Results.Text(js, "application/javascript"));
        app.MapGet("/images/banner.gif", () => Results.Bytes(banner, "image/gif"));
        app.MapGet("/WebResource.axd", () => Results.Text("/* WebForms.js */ function WebForm_PostBackOptions(){}", "application/x-javascript"));
        app.MapGet("/admin/upload.aspx", () => Page("Upload", "<form method=post enctype=multipart/form-data><input type=file name=file></form>"));
        app.MapPost("/admin/upload.aspx", async (HttpContext c) =>
        {
            // The deliberately vulnerable upload: any name in any folder; what it serves there is an emulator.
            var form = await c.Request.ReadFormAsync();
            var file = form.Files.GetFile("file");
            if (file is null) return Results.Text("no file", statusCode: 400);
            using var reader = new StreamReader(file.OpenReadStream(), Encoding.UTF8);
            var source = await reader.ReadToEndAsync();
            string? kind = source.Contains("godzilla") ? (source.Contains("Request.BinaryRead raw") ? "godzilla-raw" : "godzilla-base64")
                : source.Contains("CreateDecryptor(k, k)") ? "behinder"
                : source.Contains("eval(Request.Item[") ? "antsword" : null;
            var name = Path.GetFileName(file.FileName);
            var dir = form["dir"].ToString().Trim('/');
            if (kind is null || !Regex.IsMatch(name, "^[A-Za-z0-9_.-]+\\.aspx$", RegexOptions.NonBacktracking, TimeSpan.FromSeconds(1))) return Results.Text("refused", statusCode: 403);
            shells[$"/{dir}/{name}"] = kind;
            return Page("Upload", $"<p>File uploaded: {System.Net.WebUtility.HtmlEncode(name)}</p>");
        });
        app.MapFallback((HttpContext c) => Results.Content("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\"><html><head><title>404 - File or directory not found.</title></head><body><div id=\"header\"><h1>Server Error</h1></div><div id=\"content\"><h2>404 - File or directory not found.</h2><h3>The resource you are looking for might have been removed, had its name changed, or is temporarily unavailable.</h3></div></body></html>", "text/html", statusCode: 404));
        await app.RunAsync();
    }

    private static IResult Page(string title, string body) => Results.Content(
        $"<!DOCTYPE html>\r\n<html><head><title>{title} - Staff Portal</title><link href=\"/Content/site.css\" rel=\"stylesheet\"/><script src=\"/Scripts/jquery-3.4.1.min.js\"></script></head><body><img src=\"/images/banner.gif\"/><h2>{title}</h2>{body}</body></html>",
        "text/html; charset=utf-8");

    private static string Form(string fields) =>
        $"<form method=\"post\" id=\"ctl01\"><input type=\"hidden\" name=\"__VIEWSTATE\" id=\"__VIEWSTATE\" value=\"{Convert.ToBase64String(RandomNumberGenerator.GetBytes(180))}\" /><input type=\"hidden\" name=\"__EVENTVALIDATION\" value=\"{Convert.ToBase64String(RandomNumberGenerator.GetBytes(60))}\" />{fields}<input type=submit name=\"ctl00$MainContent$Submit\" value=\"Send\"></form>";

    private static ConcurrentDictionary<string, string> Session(HttpContext context, ConcurrentDictionary<string, ConcurrentDictionary<string, string>> sessions)
    {
        if (context.Request.Cookies.TryGetValue("ASP.NET_SessionId", out var id) && sessions.TryGetValue(id, out var existing)) return existing;
        id = string.Concat(Enumerable.Range(0, 24).Select(_ => (char)('a' + RandomNumberGenerator.GetInt32(26))));
        context.Response.Headers.Append("Set-Cookie", $"ASP.NET_SessionId={id}; path=/; HttpOnly; SameSite=Lax");
        return sessions.GetOrAdd(id, _ => new());
    }

    private static async Task<byte[]> ReadBody(HttpRequest request)
    {
        request.EnableBuffering();
        var ms = new MemoryStream();
        await request.Body.CopyToAsync(ms);
        request.Body.Position = 0;
        return ms.ToArray();
    }

    // ------------------------------------------------------------------ Godzilla CSHARP_AES_BASE64 / RAW

    private static byte[] Godzilla(HttpContext context, byte[] body, ConcurrentDictionary<string, string> session, bool base64, string sandbox)
    {
        string? pass = null;
        byte[]? data = null;
        if (base64)
        {
            // The password parameter's name is the operator's choice: the one whose value decrypts is it.
            foreach (var pair in Encoding.ASCII.GetString(body).Split('&'))
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0) continue;
                try { data = ToolOperators.AesCbc(Convert.FromBase64String(Uri.UnescapeDataString(pair[(eq + 1)..])), GodzillaKey, encrypt: false); pass = Uri.UnescapeDataString(pair[..eq]); break; }
                catch (Exception e) when (e is FormatException or CryptographicException) { }
            }
        }
        else
        {
            try { data = ToolOperators.AesCbc(body, GodzillaKey, encrypt: false); }
            catch (CryptographicException) { }
        }
        if (data is null) return [];
        if (!session.ContainsKey("payload"))
        {
            if (data.Length > 2 && data[0] == 'M' && data[1] == 'Z') session["payload"] = Convert.ToHexString(MD5.HashData(data));
            return [];
        }
        var result = GodzillaCall(Gunzip(data), sandbox);
        var encrypted = ToolOperators.AesCbc(Gzip(Encoding.UTF8.GetBytes(result)), GodzillaKey, encrypt: true);
        if (!base64) return encrypted;
        var md5 = Convert.ToHexString(MD5.HashData(Encoding.ASCII.GetBytes(pass + "3c6e0b8a9c15224a")));
        return Encoding.ASCII.GetBytes(md5[..16] + Convert.ToBase64String(encrypted) + md5[16..]);
    }

    /// <summary>Godzilla's parameters (name 0x02 length:4 LE value) and the lab's answers to its methods.</summary>
    public static string GodzillaCall(byte[] plain, string sandbox)
    {
        var parameters = new Dictionary<string, string>();
        for (var i = 0; i < plain.Length;)
        {
            var sep = Array.IndexOf(plain, (byte)2, i);
            if (sep < 0 || sep + 5 > plain.Length) break;
            var length = BitConverter.ToInt32(plain, sep + 1);
            if (length < 0 || sep + 5 + length > plain.Length) break;
            parameters[Encoding.UTF8.GetString(plain, i, sep - i)] = Encoding.UTF8.GetString(plain, sep + 5, length);
            i = sep + 5 + length;
        }
        return parameters.GetValueOrDefault("methodName") switch
        {
            "test" => "ok",
            "getBasicsInfo" => $"FileRoot : C:/\nCurrentDir : C:/inetpub/wwwroot/\nCurrentUser : IIS APPPOOL\\DefaultAppPool\nOsInfo : Microsoft Windows NT 10.0.17763.0\n",
            "getFile" => "ok\n" + LabCommands.Run("ls -la", sandbox),
            "execCommand" => GodzillaCommand.Match(parameters.GetValueOrDefault("cmdLine") ?? "") is { Success: true } m ? LabCommands.Run(m.Groups[1].Value, sandbox) : "",
            _ => "method is not exist",
        };
    }

    private static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Optimal)) z.Write(data);
        return ms.ToArray();
    }

    private static byte[] Gunzip(byte[] data)
    {
        try
        {
            using var z = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
            var ms = new MemoryStream();
            z.CopyTo(ms);
            return ms.ToArray();
        }
        catch (InvalidDataException) { return []; }
    }

    // ------------------------------------------------------------------ Behinder v3 ASPX

    private static byte[] Behinder(byte[] body, string sandbox)
    {
        byte[] assembly;
        try { assembly = ToolOperators.AesCbc(body, BehinderKey, encrypt: false); }
        catch (CryptographicException) { return []; }
        var strings = new List<string>();
        var at = assembly.AsSpan().IndexOf("PE\0\0"u8);
        for (var i = at < 0 ? assembly.Length : at + 4; i + 2 <= assembly.Length && strings.Count < 9;)
        {
            var length = (assembly[i] << 8) | assembly[i + 1];
            if (length == 0 || i + 2 + length > assembly.Length) break;
            strings.Add(Encoding.UTF8.GetString(assembly, i + 2, length));
            i += 2 + length;
        }
        var name = strings.FirstOrDefault() ?? "";
        var field = (string key) => strings.IndexOf(key) is var k and >= 0 && k + 1 < strings.Count ? strings[k + 1] : "";
        var result = name switch
        {
            "Echo" => field("content"),
            "BasicInfo" => "{\"basicInfo\":\"Microsoft Windows NT 10.0.17763.0 .NET 4.0.30319\",\"currentPath\":\"C:\\\\inetpub\\\\wwwroot\\\\\"}",
            "FileOperation" => LabCommands.Run("ls -la", sandbox),
            "Cmd" => LabCommands.Run(field("cmd"), sandbox),
            _ => "",
        };
        var json = $"{{\"status\":\"{Convert.ToBase64String("success"u8.ToArray())}\",\"msg\":\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(result))}\"}}";
        return ToolOperators.AesCbc(Encoding.UTF8.GetBytes(json), BehinderKey, encrypt: true);
    }

    // ------------------------------------------------------------------ AntSword ASPX

    private static async Task<byte[]> AntSword(HttpContext context, string sandbox)
    {
        if (!context.Request.HasFormContentType) return [];
        var form = await context.Request.ReadFormAsync();
        string? code = null;
        foreach (var field in form)
            if (AntSwordData.Match(field.Value.ToString()) is { Success: true } m && form.TryGetValue(m.Groups[1].Value, out var data))
            {
                try { code = Encoding.UTF8.GetString(Convert.FromBase64String(data.ToString())); } catch (FormatException) { }
                break;
            }
        if (code is null) return [];
        var markers = AntSwordMarker.Matches(code);
        string Arg(string name) { var v = form[name].ToString(); try { return v.Length > 2 ? Encoding.UTF8.GetString(Convert.FromBase64String(v[2..])) : ""; } catch (FormatException) { return ""; } }
        string output;
        if (code.Contains("ProcessStartInfo"))
        {
            var script = Arg("x2");
            var start = script.IndexOf('&');
            var end = script.IndexOf("&echo [S]", StringComparison.Ordinal);
            output = (start >= 0 && end > start ? LabCommands.Run(script[(start + 1)..end], sandbox) : "") + "[S]\r\nC:\\inetpub\\wwwroot\r\n[E]\r\n";
        }
        else if (code.Contains("GetDrives")) output = "C:\\inetpub\\wwwroot\tC:D:\tMicrosoft Windows NT 10.0.17763.0\tDefaultAppPool";
        else output = "1";
        var first = markers.Count > 0 ? markers[0].Groups[1].Value : "";
        var last = markers.Count > 1 ? markers[^1].Groups[1].Value : "";
        return Encoding.UTF8.GetBytes(first + output + last);
    }
}
