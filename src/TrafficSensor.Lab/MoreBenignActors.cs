using System.Net.Http.Headers;

namespace TrafficSensor.Lab;

/// <summary>The people who use the gallery (Apache + mod_php), the portal (IIS-like) and the ERP (:7001) legitimately.</summary>
public static class MoreBenignActors
{
    private const string Family = "benign";

    private static (string, string)[] Browser(string? referer = null, bool html = true)
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

    /// <summary>Browses the gallery, opens items (the page sqlmap attacks) and uploads real small images.</summary>
    public static async Task GalleryVisitor(LabContext ctx, LabClient client, Random random)
    {
        var g = ctx.Apache;
        var home = $"{g.Origin}/";
        while (DateTime.UtcNow < ctx.Deadline)
        {
            await client.SendAsync(g, HttpMethod.Get, "/", Family, "browse", headers: Browser());
            await client.SendAsync(g, HttpMethod.Get, "/style.css", Family, "asset", headers: Browser(home, html: false));
            var id = random.Next(1, 40);
            await client.SendAsync(g, HttpMethod.Get, $"/item.php?id={id}", Family, "browse", headers: Browser(home));
            await client.SendAsync(g, HttpMethod.Get, $"/images/{id % 8}.gif", Family, "asset", headers: Browser($"{g.Origin}/item.php?id={id}", html: false));
            if (random.Next(3) == 0) await client.SendAsync(g, HttpMethod.Get, $"/item.php?id={random.Next(1, 40)}&sort=date", Family, "browse", headers: Browser(home));
            if (random.Next(6) == 0)
            {
                await client.SendAsync(g, HttpMethod.Get, "/upload.php", Family, "browse", headers: Browser(home));
                var form = FormParts.Create($"----WebKitFormBoundary{Operators.RandomPrintable(random, 16)}");
                FormParts.Add(form, new StringContent($"Trip {random.Next(100)}"), "title");
                var gif = random.Next(2) == 0;
                var image = new byte[1500 + random.Next(6000)];
                random.NextBytes(image);
                (gif ? "GIF89a"u8 : [0xFF, 0xD8, 0xFF, 0xE0]).CopyTo(image);
                var part = new ByteArrayContent(image);
                part.Headers.ContentType = new MediaTypeHeaderValue(gif ? "image/gif" : "image/jpeg");
                FormParts.Add(form, part, "image", $"{(gif ? "anim" : "IMG_")}{random.Next(1000, 9999)}.{(gif ? "gif" : "jpg")}");
                await client.SendAsync(g, HttpMethod.Post, "/upload.php", Family, "upload", form, Browser($"{g.Origin}/upload.php"));
            }
            await ctx.Think(random, 6);
        }
    }

    /// <summary>
    /// Uses a staff portal: pages with assets, contact postbacks with view state, log in. On the
    /// IIS-like emulator (<paramref name="webForms"/> false) view state is not checked; on real
    /// WebForms (mono-aspx) a postback carries the page's own __VIEWSTATE and __EVENTVALIDATION, the
    /// login form is fetched first, and the pages' scripts poll the JSON handler.
    /// </summary>
    public static async Task PortalUser(LabContext ctx, LabClient client, Random random, LabServer? portal = null, bool webForms = false)
    {
        var p = portal ?? ctx.Iis;
        var home = $"{p.Origin}/default.aspx";
        while (DateTime.UtcNow < ctx.Deadline)
        {
            var page = new[] { "/default.aspx", "/about.aspx", "/contact.aspx", "/" }[random.Next(4)];
            var html = await client.SendAsync(p, HttpMethod.Get, page, Family, "browse", headers: Browser(home));
            foreach (var asset in new[] { "/Content/site.css", "/Scripts/jquery-3.4.1.min.js", "/images/banner.gif" })
                if (random.Next(2) == 0) await client.SendAsync(p, HttpMethod.Get, asset, Family, "asset", headers: Browser($"{p.Origin}{page}", html: false));
            if (webForms && random.Next(2) == 0)
                await client.SendAsync(p, HttpMethod.Get, "/api/status.ashx", Family, "api", headers: [("Accept", "application/json, text/javascript, */*; q=0.01"), ("X-Requested-With", "XMLHttpRequest"), ("Referer", $"{p.Origin}{page}")]);
            if (random.Next(4) == 0)
            {
                var form = await client.SendAsync(p, HttpMethod.Get, "/contact.aspx", Family, "browse", headers: Browser(home));
                var viewState = Hidden(form.DecodedText, "__VIEWSTATE");
                var validation = webForms ? Hidden(form.DecodedText, "__EVENTVALIDATION") : Convert.ToBase64String(new byte[60]);
                await client.SendAsync(p, HttpMethod.Post, "/contact.aspx", Family, "form",
                    new FormUrlEncodedContent([new("__VIEWSTATE", viewState), new("__EVENTVALIDATION", validation), new("ctl00$MainContent$txtName", "Dana"), new("ctl00$MainContent$txtMessage", $"Please call me about ticket {random.Next(1000)}"), new("ctl00$MainContent$Submit", "Send")]),
                    Browser($"{p.Origin}/contact.aspx"));
            }
            if (random.Next(6) == 0)
            {
                var password = random.Next(3) == 0 ? "wrong" : "portal-pw";
                if (webForms)
                {
                    var form = await client.SendAsync(p, HttpMethod.Get, "/login.aspx", Family, "browse", headers: Browser(home));
                    await client.SendAsync(p, HttpMethod.Post, "/login.aspx", Family, "login",
                        new FormUrlEncodedContent([new("__VIEWSTATE", Hidden(form.DecodedText, "__VIEWSTATE")), new("__EVENTVALIDATION", Hidden(form.DecodedText, "__EVENTVALIDATION")), new("ctl00$MainContent$UserName", "dana"), new("ctl00$MainContent$Password", password), new("ctl00$MainContent$Submit", "Log in")]),
                        Browser($"{p.Origin}/login.aspx"));
                }
                else
                    await client.SendAsync(p, HttpMethod.Post, "/login.aspx", Family, "login",
                        new FormUrlEncodedContent([new("__VIEWSTATE", Convert.ToBase64String(new byte[180])), new("ctl00$MainContent$UserName", "dana"), new("ctl00$MainContent$Password", password)]),
                        Browser($"{p.Origin}/login.aspx"));
            }
            _ = html;
            await ctx.Think(random, 6);
        }
    }

    /// <summary>A hidden field's value in a WebForms page (empty when the page has none).</summary>
    private static string Hidden(string html, string name) =>
        System.Text.RegularExpressions.Regex.Match(html, $"name=\"{name}\"[^>]*value=\"([^\"]*)\"", System.Text.RegularExpressions.RegexOptions.NonBacktracking).Groups[1].Value;

    /// <summary>Uses the ERP on :7001: order pages, searches, a login and JSON polling.</summary>
    public static async Task ErpUser(LabContext ctx, LabClient client, Random random)
    {
        var e = ctx.Weblogic;
        var home = $"{e.Origin}/erp/";
        while (DateTime.UtcNow < ctx.Deadline)
        {
            await client.SendAsync(e, HttpMethod.Get, "/erp/", Family, "browse", headers: Browser());
            await client.SendAsync(e, HttpMethod.Get, $"/erp/orders.jsp?id={random.Next(1000, 1100)}", Family, "browse", headers: Browser(home));
            if (random.Next(3) == 0)
                await client.SendAsync(e, HttpMethod.Post, "/erp/orders.jsp", Family, "form", new FormUrlEncodedContent([new("q", $"customer {random.Next(50)}"), new("status", "open")]), Browser(home));
            if (random.Next(2) == 0)
                await client.SendAsync(e, HttpMethod.Get, "/erp/status.jsp", Family, "api", headers: [("Accept", "application/json"), ("X-Requested-With", "XMLHttpRequest")]);
            await ctx.Think(random, 6);
        }
    }
}
