using System.Net.Http.Json;
using System.Text.Json;

namespace TrafficSensor.Lab.Apps.Clients;

/// <summary>A phone app: SDK headers on every request (app version, device id, request id, platform), remote config, catalogue, cart, orders, telemetry batches.</summary>
public static class MobileClient
{
    private static readonly string[] Agents =
    [
        "ShopApp/5.2.1 (Android 14; Pixel 7; Build/UQ1A.240205.004) okhttp/4.12.0",
        "Shop/5.2.1 (com.lab.shop; build:5210; iOS 17.5.1) Alamofire/5.9.1",
        "ShopApp/5.1.0 (Android 13; SM-A536B) okhttp/4.11.0",
    ];

    public static async Task RunAsync(ClientRun run)
    {
        var ua = run.Pick(Agents);
        var ios = ua.Contains("iOS", StringComparison.Ordinal);
        var device = Guid.NewGuid().ToString(ios ? "D" : "N").ToUpperInvariant();
        using var http = run.Http();
        http.DefaultRequestHeaders.UserAgent.ParseAdd(ua);
        http.DefaultRequestHeaders.Add("X-App-Version", ua.Contains("5.1.0", StringComparison.Ordinal) ? "5.1.0" : "5.2.1");
        http.DefaultRequestHeaders.Add("X-Device-Id", device);
        http.DefaultRequestHeaders.Add("X-Platform", ios ? "ios" : "android");
        http.DefaultRequestHeaders.Add("X-Client-Build", ios ? "5210" : "52104");
        http.DefaultRequestHeaders.Add("Accept-Language", run.Pick(["en-US", "de-DE", "fr-FR"]));
        void NewRequestId() { http.DefaultRequestHeaders.Remove("X-Request-Id"); http.DefaultRequestHeaders.Add("X-Request-Id", Guid.NewGuid().ToString()); }

        NewRequestId();
        (await http.GetAsync("/api/v2/config")).Dispose();
        var user = run.Pick(new[] { "alice@lab.example", "bob@lab.example" });
        var token = await ClientRun.LoginAsync(http, user, user[..user.IndexOf('@')] + "-pw");
        ClientRun.Bearer(http, token);
        var session = Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=');
        var events = new List<object>();
        string? etag = null;
        for (var i = 0; i < run.Rnd.Next(5, 20) && run.Running; i++)
        {
            NewRequestId();
            var a = run.Rnd.NextDouble();
            if (a < 0.3)
            {
                var q = run.Rnd.NextDouble() < 0.5 ? "" : "&q=" + run.Pick(new[] { "shoe", "jacket", "tent", "socks", "lamp" });
                (await http.GetAsync($"/api/products?page={run.Rnd.Next(1, 3)}&pageSize=20&sort={run.Pick(new[] { "price", "-price", "name" })}{q}")).Dispose();
                events.Add(new { name = "screen_view", screen = "catalog", ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), session });
            }
            else if (a < 0.55)
            {
                using var req = new HttpRequestMessage(HttpMethod.Get, $"/api/products/{run.Rnd.Next(1, 20)}");
                if (etag is not null && run.Rnd.NextDouble() < 0.5) req.Headers.TryAddWithoutValidation("If-None-Match", etag);
                using var r = await http.SendAsync(req);
                etag = r.Headers.ETag?.Tag ?? etag;
                events.Add(new { name = "product_view", id = run.Rnd.Next(1, 16), ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), session });
            }
            else if (a < 0.7)
            {
                (await http.PostAsJsonAsync("/api/cart/items", new { productId = run.Rnd.Next(1, 16), quantity = run.Rnd.Next(1, 3) })).Dispose();
                (await http.GetAsync("/api/cart")).Dispose();
            }
            else if (a < 0.78)
            {
                using var req = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(new { payment = "card", token = "tok_" + Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant() }) };
                req.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N")[..12]);
                (await http.SendAsync(req)).Dispose();
            }
            else if (a < 0.86)
            {
                (await http.GetAsync("/api/orders")).Dispose();
            }
            else if (a < 0.93)
            {
                (await http.PostAsJsonAsync("/api/telemetry/events", events)).Dispose();
                events.Clear();
            }
            else
            {
                using var r = await http.PostAsync("/api/auth/refresh", null);   // empty-body POST
                if (r.IsSuccessStatusCode)
                {
                    using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
                    ClientRun.Bearer(http, doc.RootElement.GetProperty("access_token").GetString());
                }
            }
            await run.ThinkAsync(1, 8);
        }
        await run.ThinkAsync(5, 25);   // the app goes to the background
    }
}
