namespace TrafficSensor.Lab;

/// <summary>One tool variant the lab can run: its label tag ("family/variant"), where its shell lives, and its operator.</summary>
/// <param name="HeldOut">
/// Runs on a server kept out of "all" and of family selections (so corpora made with --variants all
/// stay as they were and the server is held out of training): selected by <see cref="Key"/>
/// ("tag@app") or by the app's name.
/// </param>
public sealed record Variant(string Tag, string App, string Description, Func<LabContext, LabClient, Random, Task> Run, bool HeldOut = false)
{
    public string Family => Tag[..Tag.IndexOf('/')];
    /// <summary>The name --variants selects it by: its tag, or "tag@app" for a held-out server's.</summary>
    public string Key => HeldOut ? $"{Tag}@{App}" : Tag;
}

/// <summary>
/// The variants beyond each family's original one (those stay selected by --families). Each runs
/// against an emulator that parses the tool's real request format and answers with its real framing.
/// </summary>
public static class Variants
{
    public static readonly Variant[] All =
    [
        new("godzilla/PHP_XOR_RAW", "apache-php", "raw body xor(gzip(params)) with key md5(key)[0:16], raw answer", ToolOperators.GodzillaPhpRaw),
        new("godzilla/JAVA_AES_BASE64", "weblogic", "pass=base64(AES-ECB(gzip(params))), answer MD5[0:16]+base64+MD5[16:] upper-case", (c, l, r) => ToolOperators.GodzillaAes(c, l, r, java: true, base64: true)),
        new("godzilla/JAVA_AES_RAW", "weblogic", "raw AES-ECB body and answer", (c, l, r) => ToolOperators.GodzillaAes(c, l, r, java: true, base64: false)),
        new("godzilla/CSHARP_AES_BASE64", "iis", "pass=base64(AES-CBC iv=key(gzip(params))), .NET assembly first", (c, l, r) => ToolOperators.GodzillaAes(c, l, r, java: false, base64: true)),
        new("godzilla/CSHARP_AES_RAW", "iis", "raw AES-CBC body and answer", (c, l, r) => ToolOperators.GodzillaAes(c, l, r, java: false, base64: false)),
        new("behinder/php", "apache-php", "base64(AES-128-ECB(php)) body as text/html, base64 answer", ToolOperators.BehinderPhp),
        new("behinder/aspx", "iis", "raw AES-CBC (iv=key) .NET assembly body, raw AES answer", (c, l, r) => ToolOperators.BehinderAspx(c, l, r)),
        new("antsword/multipart", "apache-php", "AntSword PHP eval with multipart/form-data body and a random password name", ToolOperators.AntSwordMultipart),
        new("antsword/aspx", "iis", "AntSword ASPX (JScript eval) with base64 arguments", ToolOperators.AntSwordAspx),
        new("cmd/stager", "apache-php", "sqlmap-style: SQL injection, stager probes answered 404, stager upload, ?cmd= backdoor", ToolOperators.SqlmapStager),
        new("cmd/image-upload", "apache-php", "GIF89a+PHP uploaded as name.php.gif through the gallery's image upload, then ?cmd=", ToolOperators.ImageUpload),
        new("suo5/full", "weblogic", "one chunked POST carrying frames both ways at once (full duplex)", (c, l, r) => Suo5.Run(c, l, r, fullDuplex: true)),
        new("suo5/half", "weblogic", "a streaming chunked answer for reads, short POSTs for writes (half duplex)", (c, l, r) => Suo5.Run(c, l, r, fullDuplex: false)),
        new("scanner/dirb", "", "dirb's common.txt word list with dirb's headers", (c, l, r) => Scanners.Run(c, l, r, "dirb")),
        new("scanner/gobuster", "", "gobuster dir mode: wildcard probe then a word list, Go's headers", (c, l, r) => Scanners.Run(c, l, r, "gobuster")),
        // The same tools against real shells on Mono's ASP.NET (held out: not in "all").
        new("godzilla/CSHARP_AES_BASE64", "mono-aspx", "the lab's Godzilla shell on Mono: an mcs-built payload assembly kept in Session, then calls", (c, l, r) => ToolOperators.GodzillaAes(c, l, r, java: false, base64: true, app: "mono-aspx"), HeldOut: true),
        new("godzilla/CSHARP_AES_RAW", "mono-aspx", "raw AES-CBC body and answer, on Mono", (c, l, r) => ToolOperators.GodzillaAes(c, l, r, java: false, base64: false, app: "mono-aspx"), HeldOut: true),
        new("behinder/aspx", "mono-aspx", "each body an AES-CBC mcs-built assembly the page Assembly.Load()s, on Mono", (c, l, r) => ToolOperators.BehinderAspx(c, l, r, app: "mono-aspx"), HeldOut: true),
        new("antsword/aspxcsharp", "mono-aspx", "AntSword's C# type: the password field a base64 assembly the page loads (Mono has no JScript eval)", ToolOperators.AntSwordCsharp, HeldOut: true),
    ];

    /// <summary>The tool's own user agent for the variant (null: a browser picked by the driver).</summary>
    public static string? Agent(string tag) => tag switch
    {
        _ when tag.StartsWith("godzilla/") => "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:84.0) Gecko/20100101 Firefox/84.0",
        "cmd/stager" => "sqlmap/1.7.2#stable (https://sqlmap.org)",
        "scanner/dirb" => "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)",
        "scanner/gobuster" => "gobuster/3.6",
        _ when tag.StartsWith("suo5/") => "Mozilla/5.0 (Linux; Android 6.0; Nexus 5 Build/MRA58N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Mobile Safari/537.36",
        _ => null,
    };

    public static IReadOnlyList<Variant> Select(string spec)
    {
        if (spec.Equals("none", StringComparison.OrdinalIgnoreCase) || spec.Length == 0) return [];
        if (spec.Equals("all", StringComparison.OrdinalIgnoreCase)) return All.Where(v => !v.HeldOut).ToList();
        var wanted = spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        bool Wanted(Variant v) => wanted.Contains(v.Key) || (v.HeldOut ? wanted.Contains(v.App) : wanted.Contains(v.Family));
        var unknown = wanted.Where(w => !All.Any(v => v.Key == w || v.Family == w || (v.HeldOut && v.App == w))).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown variants: {string.Join(", ", unknown)} (known: {string.Join(", ", All.Select(v => v.Key))})");
        return All.Where(Wanted).ToList();
    }
}
