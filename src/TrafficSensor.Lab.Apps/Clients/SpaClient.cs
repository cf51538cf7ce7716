using System.Net.Http.Json;

namespace TrafficSensor.Lab.Apps.Clients;

/// <summary>The shop's web front end served from another origin: CORS preflights before every authorised or JSON request, as a browser's fetch() does.</summary>
public static class SpaClient
{
    private const string Origin = "https://shop.lab.example";

    public static async Task RunAsync(ClientRun run)
    {
        using var http = run.Http();
        http.DefaultRequestHeaders.UserAgent.ParseAdd("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15");
        http.DefaultRequestHeaders.Add("Origin", Origin);
        http.DefaultRequestHeaders.Referrer = new Uri(Origin + "/");
        http.DefaultRequestHeaders.Add("Accept", "application/json, text/plain, */*");
        http.DefaultRequestHeaders.Add("Sec-Fetch-Site", "same-site");
        http.DefaultRequestHeaders.Add("Sec-Fetch-Mode", "cors");
        http.DefaultRequestHeaders.Add("Sec-Fetch-Dest", "empty");

        async Task Preflight(string path, string method, string headers)
        {
            using var req = new HttpRequestMessage(HttpMethod.Options, path);
            req.Headers.Add("Access-Control-Request-Method", method);
            req.Headers.Add("Access-Control-Request-Headers", headers);
            (await http.SendAsync(req)).Dispose();
        }

        (await http.GetAsync("/api/products?page=1&pageSize=12")).Dispose();
        await Preflight("/api/auth/token", "POST", "content-type");
        var user = run.Pick(new[] { "alice@lab.example", "bob@lab.example" });
        var token = await ClientRun.LoginAsync(http, user, run.Rnd.NextDouble() < 0.08 ? "wrong" : user[..user.IndexOf('@')] + "-pw");
        if (token is null) { await run.ThinkAsync(3, 10); return; }
        ClientRun.Bearer(http, token);
        for (var i = 0; i < run.Rnd.Next(4, 14) && run.Running; i++)
        {
            var a = run.Rnd.NextDouble();
            if (a < 0.35)
            {
                var path = $"/api/products?category={run.Pick(new[] { "gear", "clothing", "camping", "footwear" })}&page=1&pageSize=12";
                (await http.GetAsync(path)).Dispose();
            }
            else if (a < 0.6)
            {
                await Preflight("/api/cart/items", "POST", "authorization,content-type");
                (await http.PostAsJsonAsync("/api/cart/items", new { productId = run.Rnd.Next(1, 16), quantity = 1 })).Dispose();
            }
            else if (a < 0.72)
            {
                var id = run.Rnd.Next(1, 16);
                await Preflight($"/api/cart/items/{id}", "DELETE", "authorization");
                (await http.DeleteAsync($"/api/cart/items/{id}")).Dispose();
            }
            else if (a < 0.85)
            {
                await Preflight("/api/cart", "GET", "authorization");
                (await http.GetAsync("/api/cart")).Dispose();
            }
            else
            {
                await Preflight("/api/orders", "GET", "authorization");
                (await http.GetAsync("/api/orders/" + Guid.NewGuid().ToString("N")[..12])).Dispose();   // an old link: 404
            }
            await run.ThinkAsync(2, 9);
        }
    }
}
