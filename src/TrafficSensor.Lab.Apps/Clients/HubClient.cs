using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace TrafficSensor.Lab.Apps.Clients;

/// <summary>An order-tracking screen: a SignalR connection over long polling (negotiate, poll GETs, send POSTs, DELETE on close).</summary>
public static class HubClient
{
    public static async Task RunAsync(ClientRun run)
    {
        string? token;
        using (var http = run.Http())
            token = await ClientRun.LoginAsync(http, "alice@lab.example", "alice-pw");
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(run.Base, "/hubs/orders"), HttpTransportType.LongPolling, o =>
            {
                o.AccessTokenProvider = () => Task.FromResult(token);
                o.HttpMessageHandlerFactory = _ => run.Handler();
                o.Headers["X-App-Version"] = "5.2.1";
            })
            .Build();
        var updates = 0;
        hub.On<string, string>("OrderStatusChanged", (_, _) => Interlocked.Increment(ref updates));
        await hub.StartAsync();
        try
        {
            for (var i = 0; i < 20 && run.Running; i++)
            {
                if (run.Rnd.NextDouble() < 0.4) await hub.InvokeAsync("Subscribe", Guid.NewGuid().ToString("N")[..12]);
                else await hub.InvokeAsync<string>("Ping", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
                await run.ThinkAsync(5, 30);
            }
        }
        finally
        {
            await hub.StopAsync();
            await hub.DisposeAsync();
        }
    }
}
