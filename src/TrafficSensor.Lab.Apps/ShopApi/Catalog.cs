using System.Collections.Concurrent;

namespace TrafficSensor.Lab.Apps.ShopApi;

public sealed record Product(int Id, string Sku, string Name, string Category, decimal Price, int Stock, string? ImageName, DateTimeOffset Updated);

public sealed record CartItem(int ProductId, int Quantity);

public sealed record Order(string Id, string User, IReadOnlyList<CartItem> Items, decimal Total, string Status, DateTimeOffset Created);

/// <summary>The shop's in-memory data. Shared by Kestrel's request threads: every collection is concurrent.</summary>
public sealed class Catalog
{
    private int nextId;

    public ConcurrentDictionary<int, Product> Products { get; } = new();
    public ConcurrentDictionary<string, List<CartItem>> Carts { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, Order> Orders { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, byte[]> Images { get; } = new(StringComparer.Ordinal);

    public Catalog()
    {
        string[] names = ["Trail Shoe", "Rain Jacket", "Headlamp", "Water Bottle", "Tent 2P", "Sleeping Bag", "Camp Stove",
            "Trekking Poles", "Daypack 20L", "Merino Socks", "Beanie", "First Aid Kit", "Map Case", "Compass", "Gaiters"];
        string[] cats = ["footwear", "clothing", "gear", "camping"];
        for (var i = 0; i < names.Length; i++)
        {
            var id = Interlocked.Increment(ref nextId);
            Products[id] = new Product(id, $"SKU-{1000 + id}", names[i], cats[i % cats.Length], 9.90m + (i * 7.5m), 5 + (i * 3 % 40), null, DateTimeOffset.UtcNow);
        }
    }

    public Product Add(string name, string category, decimal price, int stock)
    {
        var id = Interlocked.Increment(ref nextId);
        var p = new Product(id, $"SKU-{1000 + id}", name, category, price, stock, null, DateTimeOffset.UtcNow);
        Products[id] = p;
        return p;
    }
}
