using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace TrafficSensor.Lab.Apps.ShopApi;

/// <summary>Order status pushes to signed-in apps (SignalR; the lab's clients use long polling).</summary>
[Authorize]
public sealed class OrdersHub : Hub
{
    public Task Subscribe(string orderId) => Groups.AddToGroupAsync(Context.ConnectionId, "order-" + orderId);

    public Task<string> Ping(string text) => Task.FromResult("pong:" + text);
}
