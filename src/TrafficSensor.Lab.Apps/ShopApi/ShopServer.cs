using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.SignalR;

namespace TrafficSensor.Lab.Apps.ShopApi;

/// <summary>
/// The shop API: JWT bearer auth, products (GET/POST/PUT/PATCH/DELETE), cart and orders, product
/// images as raw PUT bodies or multipart uploads, CORS for the web front end, SignalR order
/// updates, mobile remote configuration and telemetry, health. Kestrel on one address only.
/// </summary>
public static class ShopServer
{
    private static readonly Dictionary<string, (string Password, string Role)> Users = new(StringComparer.Ordinal)
    {
        ["alice@lab.example"] = ("alice-pw", "customer"),
        ["bob@lab.example"] = ("bob-pw", "customer"),
        ["erp-sync"] = ("erp-secret", "admin"),
    };

    public static async Task RunAsync(string address, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(System.Net.IPAddress.Parse(address), port);
            k.Limits.MaxRequestBodySize = 16 * 1024 * 1024;
        });
        builder.Services.AddSingleton<Catalog>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = Tokens.Validation;
            o.TokenValidationParameters.NameClaimType = "sub";
            o.TokenValidationParameters.RoleClaimType = "role";
        });
        builder.Services.AddAuthorizationBuilder().AddPolicy("admin", p => p.RequireRole("admin"));
        builder.Services.AddCors(o => o.AddDefaultPolicy(p => p.WithOrigins("https://shop.lab.example", "http://localhost:3000")
            .AllowAnyHeader().AllowAnyMethod().AllowCredentials().WithExposedHeaders("X-Total-Count", "ETag").SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        builder.Services.AddSignalR();
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();
        Map(app);
        await app.RunAsync();
    }

    private static string User(ClaimsPrincipal p) => p.FindFirstValue("sub") ?? "anonymous";

    private static void Map(WebApplication app)
    {
        app.MapGet("/health", (Catalog c) => Results.Json(new { status = "Healthy", products = c.Products.Count, orders = c.Orders.Count }));
        app.MapGet("/health/live", () => Results.Text("Healthy"));

        var auth = app.MapGroup("/api/auth");
        auth.MapPost("/token", (LoginRequest r) =>
            Users.TryGetValue(r.Username ?? "", out var u) && u.Password == r.Password
                ? Results.Json(new { access_token = Tokens.Issue(r.Username!, u.Role, TimeSpan.FromMinutes(r.Username == "erp-sync" ? 60 : 5)), token_type = "Bearer", expires_in = 300, refresh_token = Convert.ToBase64String(Guid.NewGuid().ToByteArray()) })
                : Results.Json(new { error = "invalid_grant" }, statusCode: 400));
        auth.MapPost("/refresh", [Microsoft.AspNetCore.Authorization.Authorize] (ClaimsPrincipal p) =>
            Results.Json(new { access_token = Tokens.Issue(User(p), p.FindFirstValue("role") ?? "customer", TimeSpan.FromMinutes(5)), token_type = "Bearer", expires_in = 300 }));

        app.MapGet("/api/v2/config", (HttpRequest req) => Results.Json(new
        {
            minVersion = "5.0.0", latestVersion = "5.2.1", features = new { applePay = false, newCheckout = req.Headers["X-Platform"] == "ios", wishlist = true },
            cdn = "https://cdn.shop.lab.example", ttl = 3600,
        }));

        var products = app.MapGroup("/api/products");
        products.MapGet("/", (Catalog c, HttpResponse resp, string? q, string? category, string? sort, int page = 1, int pageSize = 20) =>
        {
            var rows = c.Products.Values.Where(p => (q is null || p.Name.Contains(q, StringComparison.OrdinalIgnoreCase)) && (category is null || p.Category == category));
            rows = sort switch { "price" => rows.OrderBy(p => p.Price), "-price" => rows.OrderByDescending(p => p.Price), "name" => rows.OrderBy(p => p.Name), _ => rows.OrderBy(p => p.Id) };
            var list = rows.ToList();
            resp.Headers["X-Total-Count"] = list.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(list.Skip((Math.Max(page, 1) - 1) * Math.Clamp(pageSize, 1, 100)).Take(Math.Clamp(pageSize, 1, 100)));
        });
        products.MapGet("/{id:int}", (int id, Catalog c, HttpRequest req) =>
        {
            if (!c.Products.TryGetValue(id, out var p)) return Results.Problem(statusCode: 404, title: "Product not found");
            var etag = $"\"{p.Updated.UtcTicks:x}\"";
            if (req.Headers.IfNoneMatch == etag) return Results.StatusCode(304);
            req.HttpContext.Response.Headers.ETag = etag;
            return Results.Json(p);
        });
        products.MapPost("/", (ProductInput input, Catalog c) =>
            string.IsNullOrWhiteSpace(input.Name) ? Results.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["The Name field is required."] })
            : Results.Created($"/api/products/{c.Add(input.Name, input.Category ?? "gear", input.Price ?? 0, input.Stock ?? 0).Id}", null)).RequireAuthorization("admin");
        products.MapPut("/{id:int}", (int id, ProductInput input, Catalog c) =>
        {
            if (!c.Products.TryGetValue(id, out var p)) return Results.Problem(statusCode: 404, title: "Product not found");
            if (input.Name is null || input.Price is null) return Results.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["PUT replaces the product: name and price are required."] });
            c.Products[id] = p with { Name = input.Name, Category = input.Category ?? p.Category, Price = input.Price.Value, Stock = input.Stock ?? 0, Updated = DateTimeOffset.UtcNow };
            return Results.Json(c.Products[id]);
        }).RequireAuthorization("admin");
        products.MapPatch("/{id:int}", (int id, ProductInput input, Catalog c) =>
        {
            if (!c.Products.TryGetValue(id, out var p)) return Results.Problem(statusCode: 404, title: "Product not found");
            c.Products[id] = p with { Name = input.Name ?? p.Name, Price = input.Price ?? p.Price, Stock = input.Stock ?? p.Stock, Updated = DateTimeOffset.UtcNow };
            return Results.Json(c.Products[id]);
        }).RequireAuthorization("admin");
        products.MapDelete("/{id:int}", (int id, Catalog c) => c.Products.TryRemove(id, out _) ? Results.NoContent() : Results.Problem(statusCode: 404, title: "Product not found"))
            .RequireAuthorization("admin");
        products.MapPut("/{id:int}/image", async (int id, HttpRequest req, Catalog c) =>
        {
            if (!c.Products.TryGetValue(id, out var p)) return Results.Problem(statusCode: 404, title: "Product not found");
            if (req.ContentType is not ("image/jpeg" or "image/png" or "image/webp")) return Results.StatusCode(415);
            using var ms = new MemoryStream();
            await req.Body.CopyToAsync(ms);
            var name = $"p{id}-{Guid.NewGuid():N}.{req.ContentType[6..]}";
            c.Images[name] = ms.ToArray();
            c.Products[id] = p with { ImageName = name, Updated = DateTimeOffset.UtcNow };
            return Results.Json(new { image = "/api/images/" + name, size = ms.Length });
        }).RequireAuthorization("admin");
        app.MapPost("/api/uploads", async (IFormFileCollection files, Catalog c) =>
        {
            var saved = new List<object>();
            foreach (var f in files)
            {
                using var ms = new MemoryStream();
                await f.CopyToAsync(ms);
                var name = $"u-{Guid.NewGuid():N}-{Path.GetFileName(f.FileName)}";
                c.Images[name] = ms.ToArray();
                saved.Add(new { name, size = ms.Length, contentType = f.ContentType });
            }
            return Results.Json(saved, statusCode: 201);
        }).RequireAuthorization().DisableAntiforgery();
        app.MapGet("/api/images/{name}", (string name, Catalog c) =>
            c.Images.TryGetValue(name, out var b) ? Results.Bytes(b, name.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : "image/jpeg") : Results.NotFound());

        var cart = app.MapGroup("/api/cart").RequireAuthorization();
        cart.MapGet("/", (ClaimsPrincipal p, Catalog c) => Results.Json(c.Carts.GetOrAdd(User(p), _ => [])));
        cart.MapPost("/items", (CartItem item, ClaimsPrincipal p, Catalog c) =>
        {
            if (!c.Products.ContainsKey(item.ProductId)) return Results.Problem(statusCode: 404, title: "Product not found");
            var list = c.Carts.GetOrAdd(User(p), _ => []);
            lock (list) list.Add(item);
            return Results.Json(list, statusCode: 201);
        });
        cart.MapDelete("/items/{productId:int}", (int productId, ClaimsPrincipal p, Catalog c) =>
        {
            var list = c.Carts.GetOrAdd(User(p), _ => []);
            lock (list) list.RemoveAll(i => i.ProductId == productId);
            return Results.NoContent();
        });
        cart.MapDelete("/", (ClaimsPrincipal p, Catalog c) => { c.Carts.TryRemove(User(p), out _); return Results.NoContent(); });

        var orders = app.MapGroup("/api/orders").RequireAuthorization();
        orders.MapPost("/", async (ClaimsPrincipal p, Catalog c, IHubContext<OrdersHub> hub, [FromHeader(Name = "Idempotency-Key")] string? key) =>
        {
            var items = c.Carts.TryRemove(User(p), out var l) ? l : [];
            if (items.Count == 0) return Results.Problem(statusCode: 409, title: "Cart is empty");
            var total = items.Sum(i => c.Products.TryGetValue(i.ProductId, out var pr) ? pr.Price * i.Quantity : 0);
            var order = new Order(key ?? Guid.NewGuid().ToString("N")[..12], User(p), items, total, "placed", DateTimeOffset.UtcNow);
            c.Orders[order.Id] = order;
            _ = Task.Run(async () =>
            {
                foreach (var s in new[] { "paid", "packed", "shipped" })
                {
                    await Task.Delay(TimeSpan.FromSeconds(Random.Shared.Next(5, 20)));
                    c.Orders[order.Id] = c.Orders[order.Id] with { Status = s };
                    await hub.Clients.All.SendAsync("OrderStatusChanged", order.Id, s);
                }
            });
            return Results.Created($"/api/orders/{order.Id}", order);
        });
        orders.MapGet("/", (ClaimsPrincipal p, Catalog c) => Results.Json(c.Orders.Values.Where(o => o.User == User(p)).OrderByDescending(o => o.Created).Take(20)));
        orders.MapGet("/{id}", (string id, ClaimsPrincipal p, Catalog c) =>
            !c.Orders.TryGetValue(id, out var o) ? Results.Problem(statusCode: 404, title: "Order not found")
            : o.User != User(p) && p.FindFirstValue("role") != "admin" ? Results.Forbid() : Results.Json(o));

        app.MapPost("/api/telemetry/events", async (HttpRequest req) =>
        {
            using var doc = await JsonDocument.ParseAsync(req.Body);
            return Results.Accepted(value: new { accepted = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement.GetArrayLength() : 1 });
        });
        app.MapHub<OrdersHub>("/hubs/orders");
    }
}

public sealed record LoginRequest(string? Username, string? Password);

public sealed record ProductInput(string? Name, string? Category, decimal? Price, int? Stock);
