namespace TrafficSensor.Lab;

/// <summary>One tool variant the lab can run: its label tag ("family/variant"), where its shell lives, and its operator.</summary>
public sealed record Variant(string Tag, string App, string Description, Func<LabContext, LabClient, Random, Task> Run)
{
    public string Family => Tag[..Tag.IndexOf('/')];
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
        new("behinder/aspx", "iis", "raw AES-CBC (iv=key) .NET assembly body, raw AES answer", ToolOperators.BehinderAspx),
        new("antsword/multipart", "apache-php", "AntSword PHP eval with multipart/form-data body and a random password name", ToolOperators.AntSwordMultipart),
        new("antsword/aspx", "iis", "AntSword ASPX (JScript eval) with base64 arguments", ToolOperators.AntSwordAspx),
        new("cmd/stager", "apache-php", "sqlmap-style: SQL injection, stager probes answered 404, stager upload, ?cmd= backdoor", ToolOperators.SqlmapStager),
        new("cmd/image-upload", "apache-php", "GIF89a+PHP uploaded as name.php.gif through the gallery's image upload, then ?cmd=", ToolOperators.ImageUpload),
        new("suo5/full", "weblogic", "one chunked POST carrying frames both ways at once (full duplex)", (c, l, r) => Suo5.Run(c, l, r, fullDuplex: true)),
        new("suo5/half", "weblogic", "a streaming chunked answer for reads, short POSTs for writes (half duplex)", (c, l, r) => Suo5.Run(c, l, r, fullDuplex: false)),
        new("scanner/dirb", "", "dirb's common.txt word list with dirb's headers", (c, l, r) => Scanners.Run(c, l, r, "dirb")),
        new("scanner/gobuster", "", "gobuster dir mode: wildcard probe then a word list, Go's headers", (c, l, r) => Scanners.Run(c, l, r, "gobuster")),
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
        if (spec.Equals("all", StringComparison.OrdinalIgnoreCase)) return All;
        var wanted = spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = wanted.Where(w => !All.Any(v => v.Tag == w || v.Family == w)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown variants: {string.Join(", ", unknown)} (known: {string.Join(", ", All.Select(v => v.Tag))})");
        return All.Where(v => wanted.Contains(v.Tag) || wanted.Contains(v.Family)).ToList();
    }
}
