using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace TrafficSensor.Lab.Apps.Clients;

/// <summary>
/// One client process of the shop API: its base address, the lab source address it must use,
/// its random source and deadline. Each role runs on the process's main task only.
/// </summary>
public sealed class ClientRun(Uri baseUri, string source, int seed, TimeSpan duration)
{
    public Uri Base { get; } = baseUri;
    public Random Rnd { get; } = new(seed);
    public DateTime End { get; } = DateTime.UtcNow + duration;
    public bool Running => DateTime.UtcNow < End;

    /// <summary>A handler whose connections leave from the lab source address (the lab labels by address).</summary>
    public SocketsHttpHandler Handler() => new()
    {
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Brotli,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20),
        ConnectCallback = async (ctx, ct) =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                s.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                await s.ConnectAsync(ctx.DnsEndPoint, ct);
                return new NetworkStream(s, ownsSocket: true);
            }
            catch
            {
                s.Dispose();
                throw;
            }
        },
    };

    public HttpClient Http() => new(Handler()) { BaseAddress = Base, Timeout = TimeSpan.FromSeconds(120) };

    public async Task ThinkAsync(double lo, double hi)
    {
        var left = End - DateTime.UtcNow;
        if (left <= TimeSpan.Zero) return;
        var t = TimeSpan.FromSeconds(lo + (Rnd.NextDouble() * (hi - lo)));
        await Task.Delay(t < left ? t : left);
    }

    public T Pick<T>(IReadOnlyList<T> items) => items[Rnd.Next(items.Count)];

    public static async Task<string?> LoginAsync(HttpClient http, string user, string password)
    {
        using var r = await http.PostAsJsonAsync("/api/auth/token", new { username = user, password, grant_type = "password" });
        if (!r.IsSuccessStatusCode) return null;
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("access_token").GetString();
    }

    public static void Bearer(HttpClient http, string? token) =>
        http.DefaultRequestHeaders.Authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token);

    /// <summary>Runs a role until the deadline; a failed exchange is logged and the role starts over.</summary>
    public static async Task RunRoleAsync(string role, ClientRun run)
    {
        Func<ClientRun, Task> body = role switch
        {
            "mobile" => MobileClient.RunAsync,
            "spa" => SpaClient.RunAsync,
            "admin" => AdminClient.RunAsync,
            "hub" => HubClient.RunAsync,
            _ => throw new ArgumentException("unknown role " + role),
        };
        while (run.Running)
        {
            try
            {
                await body(run);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException or IOException)
            {
                Console.Error.WriteLine($"{role}: {e.GetType().Name}: {e.Message}");
                await Task.Delay(2000);
            }
        }
    }
}
