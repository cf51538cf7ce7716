using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace TrafficSensor.Lab.Apps.Clients;

/// <summary>An ERP synchronisation job: product updates (PUT/PATCH/POST/DELETE), raw image PUTs and multipart uploads.</summary>
public static class AdminClient
{
    public static async Task RunAsync(ClientRun run)
    {
        using var http = run.Http();
        http.DefaultRequestHeaders.UserAgent.ParseAdd("erp-connector/3.4 (+https://erp.lab.example)");
        http.DefaultRequestHeaders.Add("Accept", "application/json");
        var token = await ClientRun.LoginAsync(http, "erp-sync", "erp-secret");
        ClientRun.Bearer(http, token);
        for (var i = 0; i < 30 && run.Running; i++)
        {
            var a = run.Rnd.NextDouble();
            var id = run.Rnd.Next(1, 25);
            if (a < 0.25)
                (await http.PatchAsJsonAsync($"/api/products/{id}", new { stock = run.Rnd.Next(0, 80) })).Dispose();
            else if (a < 0.4)
                (await http.PutAsJsonAsync($"/api/products/{id}", new { name = $"Item {id} (2026 model)", category = "gear", price = 10 + run.Rnd.Next(0, 9000) / 100m, stock = run.Rnd.Next(0, 50) })).Dispose();
            else if (a < 0.5)
                (await http.PostAsJsonAsync("/api/products", new { name = "New arrival " + run.Rnd.Next(100, 999), category = "gear", price = 19.99m, stock = 10 })).Dispose();
            else if (a < 0.55)
                (await http.DeleteAsync($"/api/products/{run.Rnd.Next(16, 40)}")).Dispose();
            else if (a < 0.72)
            {
                using var body = new ByteArrayContent(Image(run, out var type));
                body.Headers.ContentType = new MediaTypeHeaderValue(type);
                (await http.PutAsync($"/api/products/{id}/image", body)).Dispose();
            }
            else if (a < 0.82)
            {
                using var form = new MultipartFormDataContent();
                for (var k = 0; k < run.Rnd.Next(1, 3); k++)
                {
                    var part = new ByteArrayContent(Image(run, out var type));
                    part.Headers.ContentType = new MediaTypeHeaderValue(type);
                    form.Add(part, "files", $"IMG_{run.Rnd.Next(1000, 9999)}.{(type == "image/png" ? "png" : "jpg")}");
                }
                (await http.PostAsync("/api/uploads", form)).Dispose();
            }
            else
                (await http.GetAsync($"/api/products?page=1&pageSize=100")).Dispose();
            await run.ThinkAsync(1, 6);
        }
    }

    /// <summary>Random bytes behind a real JPEG or PNG signature: compressed image data looks like noise on the wire.</summary>
    private static byte[] Image(ClientRun run, out string type)
    {
        var png = run.Rnd.NextDouble() < 0.3;
        type = png ? "image/png" : "image/jpeg";
        var b = new byte[run.Rnd.Next(4_000, 120_000)];
        run.Rnd.NextBytes(b);
        byte[] head = png ? [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52]
                          : [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01];
        head.CopyTo(b, 0);
        if (!png) { b[^2] = 0xFF; b[^1] = 0xD9; }
        return b;
    }
}
