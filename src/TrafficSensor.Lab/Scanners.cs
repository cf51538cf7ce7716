namespace TrafficSensor.Lab;

/// <summary>
/// Directory brute force as dirb and gobuster send it: Debian's dirb word list (common.txt) in
/// order, dirb's MSIE 6 user agent with curl's Accept, or gobuster's own agent after its wildcard
/// probe. Label family "scanner": an attack, not a web shell. The lab runs the word list itself
/// (rather than the dirb binary) so that each request is labelled with its source port.
/// </summary>
public static class Scanners
{
    private const string WordList = "/usr/share/dirb/wordlists/common.txt";
    private static readonly string[] Fallback = ["admin", "backup", "config", "images", "login", "uploads", "wp-admin", "phpmyadmin", ".git/HEAD", ".env", "server-status", "test", "tmp", "console", "manager/html", "web.config"];

    public static async Task Run(LabContext ctx, LabClient client, Random random, string tool)
    {
        var tag = "scanner/" + tool;
        var targets = new[] { ctx.Wiki, ctx.Apache, ctx.Iis, ctx.Weblogic, ctx.Tomcat };
        var server = targets[random.Next(targets.Length)];
        var words = File.Exists(WordList) ? File.ReadAllLines(WordList).Where(w => w.Length > 0 && !w.Contains(' ')).ToArray() : Fallback;
        var count = Math.Min(words.Length, ctx.SessionRequests > 0 ? ctx.SessionRequests : 150 + random.Next(250));
        var first = random.Next(Math.Max(1, words.Length - count));
        (string, string)[] headers = tool == "dirb" ? [("Accept", "*/*")] : [("Accept-Encoding", "gzip")];
        // Both tools first ask for a name that cannot exist, to learn the server's not-found answer.
        var probe = tool == "dirb" ? "/" + Operators.RandomPrintable(random, 8) : "/" + Guid.NewGuid();
        await client.SendAsync(server, HttpMethod.Get, probe, tag, "scan", headers: headers);
        await ctx.Resume(client);
        foreach (var word in words.Skip(first).Take(count))
        {
            var path = "/" + Uri.EscapeDataString(word).Replace("%2F", "/");
            await client.SendAsync(server, HttpMethod.Get, tool == "dirb" ? path : path, tag, "scan", headers: headers);
            if (tool == "dirb" && random.Next(40) == 0) await client.SendAsync(server, HttpMethod.Get, path + "/", tag, "scan", headers: headers);
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(5, 40) / ctx.Speed));
        }
    }
}
