using System.Buffers;
using System.Text;
using TrafficSensor.Decoding;
using TrafficSensor.Http;

namespace TrafficSensor.Features;

/// <summary>
/// Turns one HTTP transaction into a <see cref="FeatureVector"/> in one pass: lexical and structural
/// features of the request, content evidence on both sides (server code uploaded, command output
/// returned, framed or encoded answers), and the behaviour of the path and of the client's session.
/// </summary>
public sealed class FeatureExtractor(BehaviourState state)
{
    private static readonly byte[][] CodeTokens = Tokens(
        "eval(", "assert(", "base64_decode", "system(", "shell_exec", "passthru", "proc_open", "popen(", "runtime.getruntime",
        "processbuilder", "cmd.exe", "/bin/sh", "str_rot13", "gzinflate", "gzuncompress", "create_function", "@ini_set",
        "set_time_limit", "hex2bin", "$_post[", "$_request[", "defineclass", "classloader", "wscript.shell", "powershell",
        // A SQL injection that writes a file (sqlmap's file stager): the way a web shell lands without an uploader.
        "into outfile", "into dumpfile", "0x3c3f706870");

    /// <summary>Commands a web-shell operator starts a command line with (lower case, compared at a word start).</summary>
    internal static readonly string[] CommandStarts =
    [
        "whoami", "uname", "netstat", "ipconfig", "ifconfig", "ps aux", "ps -ef", "ls -", "ls /", "cat /", "cat ", "net user", "hostname", "ip addr",
        "tasklist", "systeminfo", "cd ", "echo ", "chmod ", "rm -", "wget ", "curl ", "/bin/sh", "/bin/bash", "sh -c", "bash -c", "cmd /c", "cmd.exe",
        "powershell", "type ", "dir ", "find /", "id;", "pwd;",
    ];

    /// <summary>
    /// Whole values that are commands. Not "id", "set", "dir", "env" or "ver": applications use them as
    /// values (`?sort=id` made 312 false alerts on a helpdesk); `?cmd=id` still shows by its answer.
    /// </summary>
    internal static readonly string[] ExactCommands = ["pwd", "ls", "whoami", "hostname", "ipconfig", "ifconfig", "netstat", "uname", "systeminfo", "tasklist", "finger"];

    /// <summary>What chains commands on a shell line.</summary>
    internal static readonly string[] ShellSeparators = [";", "&&", "||", "|", "&", "\n", "\n"];

    /// <summary>
    /// A parameter value that is a command line: it starts with a command, or a shell separator is followed by
    /// one ("cd /var/www;cat config.php"). A command word inside free text ("my cat ate the ethernet cable",
    /// a helpdesk ticket about ifconfig) is not one: counted anywhere, such words made 3.5 % of a helpdesk's
    /// requests alert.
    /// </summary>
    /// <remarks>
    /// Every separator is found in one pass: a two-character separator ("&amp;&amp;", "||") is also two
    /// one-character ones, and what follows its second character is what follows it, so testing after every
    /// ';', '&amp;', '|' and line feed is the same test as searching each separator in turn. Each command is
    /// compared as a span only when its first character matches (String.StartsWith with a comparison
    /// argument costs a call and a dispatch per command).
    /// </remarks>
    internal static bool IsCommandLine(string? value)
    {
        if (value is null) return false;
        var v = value.Trim();
        if (v.Length == 0 || v.Length > 4096) return false;
        v = v.ToLowerInvariant();
        if (ExactCommands.Contains(v)) return true;
        var line = v.AsSpan();
        if (StartsWithCommand(line)) return true;
        for (var i = line.IndexOfAny(ShellSeparatorChars); i >= 0;)
        {
            var rest = line[(i + 1)..].TrimStart();
            if (StartsWithCommand(rest)) return true;
            foreach (var exact in ExactCommands)
                if (rest.Length > 0 && rest[0] == exact[0] && rest.StartsWith(exact.AsSpan())
                    && (rest.Length == exact.Length || !char.IsAsciiLetterOrDigit(rest[exact.Length]))) return true;
            var next = line[(i + 1)..].IndexOfAny(ShellSeparatorChars);
            i = next < 0 ? -1 : i + 1 + next;
        }
        return false;
    }

    /// <summary>The characters of <see cref="ShellSeparators"/>.</summary>
    private static readonly SearchValues<char> ShellSeparatorChars = SearchValues.Create(string.Concat(ShellSeparators));

    private static bool StartsWithCommand(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return false;
        var first = text[0];
        foreach (var start in CommandStarts)
            if (start[0] == first && text.StartsWith(start.AsSpan())) return true;
        return false;
    }

    private static readonly byte[][] ServerCode = Tokens("<?php", "<%@", "<jsp:", "<%!", "<script runat=", "<?=");

    /// <summary>Text that command output contains and web pages do not (matched exactly, case-sensitive).</summary>
    private static readonly byte[][] CommandOutput = Tokens(
        "Volume Serial Number", "Directory of ", "root:x:0:0:", "x86_64 GNU/Linux", "PID TTY", "%CPU %MEM", "Proto Recv-Q",
        "Windows IP Configuration", "NT AUTHORITY\\", "www-data", "drwxr-xr-x", "drwxrwxr", "-rw-r--r--", "Link encap:", "inet 127.0.0.1");

    /// <summary><see cref="CommandOutput"/> searched in one pass.</summary>
    private static readonly ExactTokenSet CommandOutputSet = new(CommandOutput);

    /// <summary>Parser findings that are protocol violations (evasion, smuggling, hand-written clients), not capture loss.</summary>
    private static readonly HttpAnomalies Violations = AnomalySet(
    [
        HttpAnomaly.BareLf, HttpAnomaly.ObsFold, HttpAnomaly.InvalidHeaderLine, HttpAnomaly.SpaceBeforeColon,
        HttpAnomaly.ContentLengthAndTransferEncoding, HttpAnomaly.ConflictingContentLength, HttpAnomaly.InvalidContentLength,
        HttpAnomaly.InvalidTransferEncoding, HttpAnomaly.InvalidChunkSize, HttpAnomaly.ChunkLineTooLong, HttpAnomaly.MissingChunkTerminator,
        HttpAnomaly.InvalidRequestLine, HttpAnomaly.MultipleHost, HttpAnomaly.InvalidTargetCharacters,
    ]);

    /// <summary>Request headers browsers, proxies and common API clients send; others are counted as unusual.</summary>
    private static readonly HashSet<string> CommonHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "User-Agent", "Accept", "Accept-Language", "Accept-Encoding", "Accept-Charset", "Connection", "Keep-Alive", "Referer", "Cookie",
        "Content-Type", "Content-Length", "Transfer-Encoding", "Cache-Control", "Pragma", "If-Modified-Since", "If-None-Match", "If-Match",
        "If-Range", "Range", "Origin", "Authorization", "Upgrade-Insecure-Requests", "DNT", "TE", "Expect", "Via", "Forwarded", "From",
        "X-Requested-With", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-IP", "X-Csrf-Token", "X-XSRF-Token",
        "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-User", "Sec-CH-UA", "Sec-CH-UA-Mobile", "Sec-CH-UA-Platform",
        "Priority", "Purpose", "Sec-Purpose", "Upgrade", "X-Prometheus-Scrape-Timeout-Seconds", "Traceparent", "Tracestate",
    };

    private static readonly string[] ScriptExtensions = [".php", ".php5", ".phtml", ".jsp", ".jspx", ".asp", ".aspx", ".ashx", ".asmx", ".cgi", ".pl", ".cfm"];
    /// <summary>Each script extension followed by a dot (photo.php.gif): searched for in paths without a string per search.</summary>
    private static readonly string[] ScriptExtensionsInName = [.. ScriptExtensions.Select(e => e + ".")];
    private static readonly string[] StaticExtensions = [".png", ".jpg", ".jpeg", ".gif", ".ico", ".svg", ".css", ".js", ".woff", ".woff2", ".ttf", ".txt", ".pdf", ".map"];

    /// <summary>Each parameter's readings, one list per flow worker reused by every <see cref="Measure"/> on it.</summary>
    [ThreadStatic] private static List<(string Value, string? Base64, string? Shifted)>? t_readings;

    /// <summary>Referers already parsed (pages link to their neighbours again and again): owned by the thread that calls Extract.</summary>
    private readonly Dictionary<string, string?> _refererPaths = new(StringComparer.Ordinal);

    /// <summary>Referers remembered at most; the cache starts over when full, so a flood of distinct ones costs only the parsing.</summary>
    private const int RefererPathsKept = 4096;

    /// <summary><see cref="RefererPath"/>, from the cache when the same referer was parsed before (the same string gives the same path).</summary>
    private string? CachedRefererPath(string referer)
    {
        if (_refererPaths.TryGetValue(referer, out var path)) return path;
        if (_refererPaths.Count >= RefererPathsKept) _refererPaths.Clear();
        path = RefererPath(referer);
        _refererPaths[referer] = path;
        return path;
    }

    /// <summary>The request's path without its query, lower-cased: what behaviour state and baselines are keyed by.</summary>
    public static string RequestPath(HttpTransaction tx)
    {
        var target = tx.Request?.Target ?? "";
        var q = target.IndexOf('?');
        return (q >= 0 ? target[..q] : target).ToLowerInvariant();
    }

    public FeatureVector Extract(HttpTransaction tx, IpAddress client, IpAddress server, ushort serverPort) =>
        Extract(Measure(tx), tx, client, server, serverPort);

    /// <summary>
    /// What the features take from the transaction alone (every feature but the behaviour ones), and what
    /// the behaviour step needs of it. Computed by <see cref="Measure"/> on any thread (the pipeline's flow
    /// workers, in parallel); used once, by the one <see cref="Extract(TransactionContent, HttpTransaction, IpAddress, IpAddress, ushort)"/> call
    /// that completes its vector.
    /// </summary>
    public sealed record TransactionContent(FeatureVector Vector, string Path, string Method, string? Referer, long ResponseLength,
        string? OtherMethod, List<string>? UncommonHeaders, bool ScriptInAssets, int Status,
        string Extension, bool OpaquePost);

    /// <summary>The features of the transaction's own bytes: no state is read or written, so any thread may call it.</summary>
    public static TransactionContent Measure(HttpTransaction tx)
    {
        var v = new FeatureVector();
        var f = v.Values;
        var request = tx.Request;
        var response = tx.Response;
        var target = request?.Target ?? "";
        var q = target.IndexOf('?');
        var path = RequestPath(tx);
        var query = q >= 0 ? target[(q + 1)..] : "";
        // Read where they are held: a pooled buffer until the flow worker hands the transaction on.
        var requestBody = request is null ? default : request.BodyBytes;
        var responseBody = response is null ? default : response.BodyBytes;
        // Statistical measures (entropy, shares) over the first 16 KiB: representative, and bounded work.
        var requestSample = Window(requestBody);
        var responseSample = Window(responseBody);
        var requestBinaryShare = TextStatistics.BinaryShare(requestSample);
        var responseBinaryShare = TextStatistics.BinaryShare(responseSample);
        var requestType = (request?.Header("Content-Type") ?? "").ToLowerInvariant();
        var requestIsMultipart = requestType.StartsWith("multipart/");
        var extension = Path.GetExtension(path);
        v.AttackTool = request?.Header("User-Agent") is { } userAgent ? AttackToolAgents.Named(userAgent) : null;

        // Lexical
        // Counted, not copied: the behaviour step takes the non-cookie names from the transaction's own list.
        var parameterCount = 0;
        var maxParameterLength = 0;
        foreach (var p in tx.Parameters)
        {
            if (p.Source != ParameterSource.Cookie) parameterCount++;
            maxParameterLength = Math.Max(maxParameterLength, p.Value.Length);
        }
        Set(f, FeatureIndex.UrlLength, target.Length);
        Set(f, FeatureIndex.PathDepth, path.AsSpan().Count('/'));
        Set(f, FeatureIndex.QueryLength, query.Length);
        Set(f, FeatureIndex.ParameterCount, parameterCount);
        Set(f, FeatureIndex.MaxParameterLength, maxParameterLength);
        Set(f, FeatureIndex.MaxParameterEntropy, MaxEntropy(tx.Parameters, 16));
        Set(f, FeatureIndex.RequestBodyEntropy, TextStatistics.Entropy(requestSample));
        var requestBase64Share = TextStatistics.Base64Share(requestSample);
        var requestHexShare = TextStatistics.HexShare(requestSample);
        // The query as ASCII bytes ('?' for anything else), once, in a pooled buffer.
        var queryBuffer = ArrayPool<byte>.Shared.Rent(Encoding.ASCII.GetMaxByteCount(query.Length));
        var queryBytes = queryBuffer.AsSpan(0, Encoding.ASCII.GetBytes(query, queryBuffer));
        Set(f, FeatureIndex.RequestBase64Share, Math.Max(requestBase64Share, TextStatistics.Base64Share(queryBytes)));
        Set(f, FeatureIndex.RequestHexShare, requestHexShare);
        // Nonces, CSRF tokens and session ids are tens of characters; the code and data a web shell
        // carries in base64 or hex are hundreds to thousands.
        Set(f, FeatureIndex.LongestEncodedRun, Math.Log(1 + Math.Max(TextStatistics.LongestEncodedRun(requestSample), TextStatistics.LongestEncodedRun(queryBytes))));
        ArrayPool<byte>.Shared.Return(queryBuffer);
        // Each parameter value decoded once: as sent, from base64, and from base64 after AntSword's two-character prefix.
        var readings = t_readings ??= [];
        readings.Clear();
        foreach (var x in tx.Parameters) readings.Add((x.Value, TryBase64(x.Value), x.Value.Length > 2 ? TryBase64(x.Value[2..]) : null));
        Set(f, FeatureIndex.CodeTokens, CodeTokensInDecodedRequest(target, readings, requestBody));
        // Parameter values (in any of those readings) that are command lines.
        // Each value percent-decoded once for both tests.
        int commandLines = 0, sqlInjections = 0;
        foreach (var r in readings)
        {
            var plain = HttpParameters.PercentDecode(r.Value);
            if (IsCommandLine(plain) || IsCommandLine(r.Base64) || IsCommandLine(r.Shifted)) commandLines++;
            if (IsSqlInjection(plain)) sqlInjections++;
        }
        Set(f, FeatureIndex.CommandTokens, commandLines);
        // Not kept past this call (the strings would be); a flood of parameters leaves no large list behind.
        if (readings.Capacity > 256) t_readings = null;
        else readings.Clear();
        Set(f, FeatureIndex.RequestBinaryShare, requestIsMultipart ? 0 : requestBinaryShare);
        // A value that closes a number or a string and goes on in SQL (sqlmap's boolean, UNION and file-writing probes).
        Set(f, FeatureIndex.SqlInjection, sqlInjections);

        // Structural
        var method = request?.Method ?? "";
        Set(f, FeatureIndex.MethodPost, method == "POST" ? 1 : 0);
        var otherMethod = method is "GET" or "POST" or "HEAD" or "" ? null : method;
        Set(f, FeatureIndex.ScriptExtension, ScriptExtensions.Contains(extension) ? 1 : 0);
        Set(f, FeatureIndex.StaticExtension, StaticExtensions.Contains(extension) ? 1 : 0);
        var scriptInAssets = ScriptExtensions.Contains(extension) && InAssetDirectory(path);
        Set(f, FeatureIndex.RequestForm, requestType.StartsWith("application/x-www-form-urlencoded") ? 1 : 0);
        Set(f, FeatureIndex.RequestMultipart, requestIsMultipart ? 1 : 0);
        // A raw binary body posted to the application (encrypted shell channels, tunnel data); binary
        // files inside multipart uploads are ordinary.
        Set(f, FeatureIndex.RequestBinary, !requestIsMultipart && (requestType.StartsWith("application/octet-stream") || (requestBody.Length > 0 && requestBinaryShare > 0.3)) ? 1 : 0);
        Set(f, FeatureIndex.RequestJson, requestType.Contains("json") ? 1 : 0);
        var requestLength = request?.BodyLength ?? 0;
        var responseLength = response?.BodyLength ?? 0;
        Set(f, FeatureIndex.RequestBodyLog, Math.Log(1 + requestLength));
        Set(f, FeatureIndex.ResponseBodyLog, Math.Log(1 + responseLength));
        Set(f, FeatureIndex.ResponseRequestRatio, Math.Log((1.0 + responseLength) / (1.0 + requestLength)));
        var status = response?.Status ?? 0;
        Set(f, FeatureIndex.Status3xx, status is >= 300 and < 400 ? 1 : 0);
        Set(f, FeatureIndex.Status4xx, status is >= 400 and < 500 ? 1 : 0);
        Set(f, FeatureIndex.Status5xx, status >= 500 ? 1 : 0);
        var referer = request?.Header("Referer");
        Set(f, FeatureIndex.NoReferer, referer is null ? 1 : 0);
        Set(f, FeatureIndex.NoCookie, request?.Header("Cookie") is null ? 1 : 0);
        Set(f, FeatureIndex.NoAcceptLanguage, request?.Header("Accept-Language") is null ? 1 : 0);
        Set(f, FeatureIndex.NoAccept, request?.Header("Accept") is null ? 1 : 0);
        Set(f, FeatureIndex.HeaderCount, request?.Headers.Count ?? 0);
        Set(f, FeatureIndex.ParserAnomalies, tx.AllAnomalies.CountIn(Violations));
        var responseType = (response?.Header("Content-Type") ?? "").ToLowerInvariant();
        Set(f, FeatureIndex.ResponseHtml, responseType.StartsWith("text/html") ? 1 : 0);
        Set(f, FeatureIndex.ResponsePlainOrNone, responseType.Length == 0 || responseType.StartsWith("text/plain") ? 1 : 0);
        // Binary bytes declared as text (or not declared): an encrypted channel behind a script page.
        // Binary bytes declared as text (or not declared) from a script: an encrypted channel (Behinder,
        // Godzilla's raw modes). Static files served with a careless type are the server's business.
        Set(f, FeatureIndex.ResponseBinary, responseBody.Length > 0 && responseBinaryShare > 0.3 && ScriptExtensions.Contains(extension)
            && (responseType.Length == 0 || responseType.StartsWith("text/")) ? 1 : 0);
        // An "image" that answers as a page is a script in disguise; a missing image answered by an error page is not.
        Set(f, FeatureIndex.ExtensionTypeMismatch, status is >= 200 and < 300 && method is "GET" or "HEAD" && ExtensionMismatch(extension, responseType) ? 1 : 0);
        Set(f, FeatureIndex.EmptyPost, method == "POST" && requestLength == 0 ? 1 : 0);
        var uncommonHeaders = request is null ? null : UncommonHeaderNames(request.Headers);

        // Content evidence
        var uploadsCode = ContainsServerCodeText(requestBody)
                          || tx.Parameters.Any(p => p.FileName is not null && ScriptExtensions.Contains(Path.GetExtension(p.FileName.ToLowerInvariant())));
        Set(f, FeatureIndex.UploadsServerCode, uploadsCode ? 1 : 0);
        var textual = IsTextual(responseType);
        Set(f, FeatureIndex.ResponseCommandOutput, !textual ? 0 : CommandOutputSet.CountPresent(responseBody) + (HasUidLine(responseBody) ? 1 : 0));
        Set(f, FeatureIndex.ResponseFramed, IsFramed(responseBody) ? 1 : 0);
        Set(f, FeatureIndex.ResponseBase64Share, TextStatistics.Base64Share(responseSample));
        Set(f, FeatureIndex.ResponseEntropy, textual ? TextStatistics.Entropy(responseSample) : 0);
        Set(f, FeatureIndex.ResponseBinaryShare, textual ? responseBinaryShare : 0);
        Set(f, FeatureIndex.ResponseHiddenComment, HiddenCommentData(responseBody) ? 1 : 0);
        var opaquePost = method == "POST" && IsOpaqueBody(requestLength, requestType, requestBinaryShare, requestBase64Share, requestHexShare);
        // A tunnel's connect (reGeorg: ?cmd=connect&target=10.1.2.3&port=3389, or the same in headers) names the host and
        // port the server is to open, on a POST to a script that carries no form or document. An application's forms
        // name servers in their fields (a database login), and monitoring APIs name targets on GETs to non-scripts.
        Set(f, FeatureIndex.NetworkTarget, opaquePost && ScriptExtensions.Contains(extension) && request is not null && NamesNetworkTarget(tx.Parameters, request.Headers) ? 1 : 0);
        return new TransactionContent(v, path, method, referer, responseLength, otherMethod, uncommonHeaders, scriptInAssets, status,
            extension, opaquePost);
    }

    /// <summary>Completes <paramref name="content"/>'s vector with the behaviour features: reads and updates the state (its owner's thread only).</summary>
    public FeatureVector Extract(TransactionContent content, HttpTransaction tx, IpAddress client, IpAddress server, ushort serverPort)
    {
        var (v, path, method, referer, responseLength, otherMethod, uncommonHeaders, scriptInAssets, status, extension, opaquePost) = content;
        var f = v.Values;
        var response = tx.Response;

        // Behaviour
        var foreignReferer = referer is not null && CachedRefererPath(referer) is { } rp && rp != path;
        var requestCookies = DistinctNames(tx.Parameters, cookies: true);
        var setCookies = SetCookieNames(response);
        var parameterNames = DistinctNames(tx.Parameters, cookies: false);
        var (p, s) = state.Observe(client, server, serverPort, path, tx.TimestampMicros, method == "POST", foreignReferer, responseLength, requestCookies, setCookies,
            new RequestNames(uncommonHeaders, parameterNames, otherMethod), status, opaquePost);
        // Header names and methods beyond the browsers' are unusual until another client of the same
        // server uses them too: a site's REST nonce header or WebDAV methods become its normal, a
        // tunnel's control header stays its operator's own.
        Set(f, FeatureIndex.UnusualHeaders, p.UnknownHeaders);
        Set(f, FeatureIndex.MethodOther, p.UnknownMethod ? 1 : 0);
        // Novelty counts only on a server the sensor knows: on a cold start every path is new.
        Set(f, FeatureIndex.PathNewOnKnownServer, p.ServerWarm && p.Requests < 3 ? 1 : 0);
        // A path many clients use is the application's; a web shell has one user.
        Set(f, FeatureIndex.PathOtherClients, Math.Log(1 + p.SeenFromOtherClients));
        Set(f, FeatureIndex.PathPostShare, p.PostShare);
        Set(f, FeatureIndex.PathUnlinked, p.ServerWarm && !p.Linked && !foreignReferer ? 1 : 0);
        Set(f, FeatureIndex.ResponseSizeDeviation, Math.Min(50, p.SizeDeviation));
        // A cookie the application never set and nobody else sends: the trigger of a backdoor module.
        // Only when the cookie carries a command or data in base64: scripts set cookies of their own (themes,
        // consent, analytics ids) that the server never sets either, with words or random ids as values.
        Set(f, FeatureIndex.UnknownCookieName, p.ServerWarm && p.UnknownCookies > 0 && CarriesEncodedText(tx, p.UnknownCookieNames) ? 1 : 0);
        // A script in an asset directory that only this client requests: where uploaded shells land. An
        // application's own script there (phpMyAdmin's js/messages.php) is requested by all its users.
        Set(f, FeatureIndex.ScriptInAssetDirectory, scriptInAssets && p.SeenFromOtherClients == 0 ? 1 : 0);
        Set(f, FeatureIndex.UnknownParameters, p.ServerWarm ? p.UnknownParameters : 0);
        // Beyond a few refused paths (a broken link, a missing favicon) a client is guessing: a scanner or a
        // stager looking for where its shell landed.
        Set(f, FeatureIndex.ClientErrorPaths, Math.Log(1 + Math.Max(0, p.ClientErrorPaths - ClientErrorPathAllowance)));
        v.RecentRefusedPaths = p.RecentClientErrorPaths;
        Set(f, FeatureIndex.SessionRequestsLog, Math.Log(1 + s.Requests));
        // Evidence accumulates over a session: after a command came back, the same client's tiny
        // "echo" or heartbeat on the same script belongs to the same story.
        Set(f, FeatureIndex.SessionEvidence, Math.Log(1 + s.Evidence));
        if (FeatureSchema.AnyOf(f, FeatureSchema.SessionEvidence)) state.AddSessionEvidence(client, server, serverPort, path);
        // Tunnel polling (reGeorg, Neo-reGeorg, suo5) is regular, moves little data and POSTs; feed
        // readers, health checks and people on a routine are regular too, with GETs or large answers.
        var polling = method == "POST" && responseLength <= 2048 && !double.IsNaN(s.IntervalCv);
        Set(f, FeatureIndex.SessionIntervalRegularity, polling ? 1 / (1 + s.IntervalCv) : 0);
        // A thread, not a request: the same client's burst of POSTs that carry no form or document (empty,
        // raw binary, encoded blobs) to a script at most one other client uses. Tunnels (reGeorg, suo5) and
        // encrypted shells post every fraction of a second; an application's cron trigger or heartbeat posts
        // once a minute, and its forms, JSON and XML are documents. Measured on the corpus's 96,426 benign
        // transactions of 19 applications: no benign thread reaches a burst.
        var loneScript = ScriptExtensions.Contains(extension) && p.SeenFromOtherClients <= 1;
        // A thread that already carried direct evidence (a tunnel's connect that named its target) needs no burst:
        // its next opaque POST continues it (reGeorg's first poll after the connect).
        var burst = s.RecentOpaquePosts >= OpaqueBurst || (s.Evidence > 0 && s.RecentOpaquePosts >= 1);
        Set(f, FeatureIndex.OpaquePostThread, opaquePost && loneScript && burst ? s.RecentOpaquePosts : 0);
        // The client already sent evidence (an injection, a command, code) to this server: its requests to a
        // script no other client asked for are the stager it probes for or the shell it just wrote.
        // A script by its extension, by a script extension inside the name (photo.php.gif) or by answering a
        // static name with a page.
        var scriptLike = ScriptExtensions.Contains(extension) || ContainsAny(path, ScriptExtensionsInName)
                         || f[FeatureIndex.ExtensionTypeMismatch] > 0;
        Set(f, FeatureIndex.ClientEvidence, s.ClientEvidence && p.SeenFromOtherClients == 0 && scriptLike ? 1 : 0);
        return v;
    }

    /// <summary>Printable bytes that must follow a server-code marker for it to open code.</summary>
    private const int CodeTextAfterMarker = 32;

    /// <summary>
    /// Whether a server-code marker (&lt;?php, &lt;%@ …) opens text: code is written as text, while three bytes
    /// such as &lt;%@ turn up by chance in compressed images (measured: a 41 KB PNG uploaded through a blog's
    /// REST API carried one, and its session raised ten false alerts), and a PNG's gradient rows run through
    /// printable bytes for up to twenty (",6P8TSCMHQUiRannqc" after a chance &lt;?=).
    /// </summary>
    private static bool ContainsServerCodeText(ReadOnlySpan<byte> body)
    {
        foreach (var token in ServerCode)
        {
            var rest = body;
            for (var i = rest.IndexOf(token); i >= 0; i = rest.IndexOf(token))
            {
                rest = rest[(i + token.Length)..];
                var after = rest.Length > CodeTextAfterMarker ? rest[..CodeTextAfterMarker] : rest;
                var text = true;
                foreach (var b in after) text &= b is >= 0x20 and < 0x7f or (byte)'\r' or (byte)'\n' or (byte)'\t';
                if (text) return true;
            }
        }
        return false;
    }

    /// <summary>Earlier opaque POSTs of a session within <see cref="BehaviourState.OpaqueWindowMicros"/> that make a burst.</summary>
    public const int OpaqueBurst = 2;

    /// <summary>Bodies beyond this are file transfers (chunked uploads), not a channel's messages.</summary>
    public const long OpaqueBodyLimit = 32 * 1024;

    /// <summary>
    /// A request body that is not a form or a document: empty, or undeclared, raw binary or one encoded blob
    /// under a type that is not form, multipart, JSON or XML (suo5 declares binary as application/plain).
    /// </summary>
    private static bool IsOpaqueBody(long length, string type, double binaryShare, double base64Share, double hexShare)
    {
        if (length == 0) return true;
        if (length > OpaqueBodyLimit) return false;
        if (type.StartsWith("application/x-www-form-urlencoded") || type.StartsWith("multipart/") || type.Contains("json") || type.Contains("xml")) return false;
        return type.Length == 0 || binaryShare > 0.3 || base64Share > 0.9 || hexShare > 0.9;
    }

    private static readonly string[] SqlKeywords = ["and ", "or ", "union ", "order by ", "group by ", "limit ", "having ", "procedure ", "into "];

    /// <summary>What follows the keyword in an injection: a comparison, a comment, a query or a file.</summary>
    private static readonly string[] SqlTails = ["=", "--", "#", "/*", "select", "null", "sleep(", "benchmark(", "outfile", "dumpfile", "0x"];

    /// <summary>
    /// A parameter value that closes a number ("4 AND 1=1", "-4 UNION ALL SELECT NULL,…") or a quoted string
    /// ("x' OR '1'='1") and continues in SQL. Free text ("cats and dogs") does not close anything first, and an
    /// administrator's query in a SQL tool starts with a statement, not a number.
    /// </summary>
    internal static bool IsSqlInjection(string? value)
    {
        if (value is null || value.Length < 6 || value.Length > 4096) return false;
        var v = value.Trim().ToLowerInvariant();
        var i = 0;
        if (i < v.Length && v[i] == '-') i++;
        var digits = i;
        while (i < v.Length && char.IsAsciiDigit(v[i])) i++;
        var closed = i > digits;
        if (!closed)
        {
            // A quoted string context: a short word, then the quote that closes it.
            i = 0;
            while (i < v.Length && i < 64 && (char.IsAsciiLetterOrDigit(v[i]) || v[i] is '_' or '.' or '@' or '-')) i++;
            if (i >= v.Length || v[i] is not ('\'' or '"')) return false;
            closed = true;
        }
        while (i < v.Length && v[i] is '\'' or '"' or ')') i++;
        if (i >= v.Length || !char.IsWhiteSpace(v[i])) return false;
        var rest = v.AsSpan(i).TrimStart();
        foreach (var keyword in SqlKeywords)
        {
            if (!rest.StartsWith(keyword, StringComparison.Ordinal)) continue;
            var tail = rest[keyword.Length..];
            foreach (var t in SqlTails)
                if (tail.Contains(t, StringComparison.Ordinal)) return closed;
        }
        return false;
    }

    /// <summary>
    /// Whether the query or the uncommon headers name a network endpoint: an IP address with a port (in the same
    /// value, "10.1.2.3:3389", or in a value whose name says port), or a host name with its port in one value.
    /// </summary>
    internal static bool NamesNetworkTarget(IReadOnlyList<HttpParameter> parameters, IReadOnlyList<HttpHeader> headers)
    {
        bool address = false, port = false;
        foreach (var p in parameters)
            if (p.Source == ParameterSource.Query) Look(p.Name, HttpParameters.PercentDecode(p.Value));
        foreach (var h in headers)
            if (!CommonHeaders.Contains(h.Name)) Look(h.Name, h.Value);
        return address && port;

        void Look(string name, string value)
        {
            var v = value.Trim();
            if (v.Length is 0 or > 262) return;
            var colon = v.LastIndexOf(':');
            if (colon > 0 && IsPort(v.AsSpan(colon + 1)) && IsHost(v.AsSpan(0, colon))) address = port = true;
            else if (IsIpAddress(v)) address = true;
            else if (name.Contains("port", StringComparison.OrdinalIgnoreCase) && IsPort(v)) port = true;
        }
    }

    private static bool IsPort(ReadOnlySpan<char> s) => s.Length is > 0 and <= 5 && int.TryParse(s, System.Globalization.NumberStyles.None, null, out var n) && n is > 0 and <= 65535;

    /// <summary>An IPv4 address in dotted-quad form or a bracketed or bare IPv6 address (not "1", which parsers read as 0.0.0.1).</summary>
    private static bool IsIpAddress(ReadOnlySpan<char> s)
    {
        if (s.Length >= 2 && s[0] == '[' && s[^1] == ']') s = s[1..^1];
        if (s.Contains(':')) return s.Length <= 45 && System.Net.IPAddress.TryParse(s, out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var parts = 0;
        foreach (var range in s.Split('.'))
        {
            var part = s[range];
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, null, out var n) || part.Length > 3 || n > 255) return false;
            parts++;
        }
        return parts == 4;
    }

    /// <summary>An IP address, or a dotted host name (letters, digits, hyphens): what a connect names before ":port".</summary>
    private static bool IsHost(ReadOnlySpan<char> s)
    {
        if (IsIpAddress(s)) return true;
        if (s.Length is < 3 or > 253 || !s.Contains('.') || s[0] == '.' || s[^1] == '.') return false;
        var letter = false;
        foreach (var c in s)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.')) return false;
            letter |= char.IsAsciiLetter(c);
        }
        return letter;
    }

    /// <summary>Distinct refused paths a client may have on a server before it counts as guessing.</summary>
    public const int ClientErrorPathAllowance = 5;

    /// <summary>Whether any of the named cookies' values decodes from base64 to text (a command, a path).</summary>
    private static bool CarriesEncodedText(HttpTransaction tx, IReadOnlyList<string> names)
    {
        foreach (var p in tx.Parameters)
            if (p.Source == ParameterSource.Cookie && p.Value.Length >= 4 && names.Contains(p.Name) && TryBase64(p.Value) is not null) return true;
        return false;
    }

    private static IReadOnlyList<string> SetCookieNames(HttpMessage? response)
    {
        List<string>? names = null;
        if (response is null) return [];
        foreach (var h in response.Headers)
        {
            if (!h.Name.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase)) continue;
            var eq = h.Value.IndexOf('=');
            if (eq > 0) (names ??= []).Add(h.Value[..eq].Trim());
        }
        return names is null ? [] : names;
    }

    /// <summary>Directories that hold files to serve, not code to run: where uploaded web shells land.</summary>
    private static readonly string[] AssetDirectories = ["images", "image", "img", "imgs", "icons", "upload", "uploads", "files", "media", "static", "assets", "css", "js", "fonts", "attachments", "avatars", "cache", "tmp", "temp"];

    private static bool InAssetDirectory(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < segments.Length - 1; i++)
            if (AssetDirectories.Contains(segments[i])) return true;
        return false;
    }

    private const int AnalysisWindow = 16 * 1024;

    private static ReadOnlySpan<byte> Window(ReadOnlySpan<byte> body) => body.Length > AnalysisWindow ? body[..AnalysisWindow] : body;

    private static void Set(float[] f, int index, double value) => f[index] = (float)value;

    /// <summary>"uid=33(www-data)": the id command's output (digits then a parenthesis, not a query parameter).</summary>
    private static bool HasUidLine(ReadOnlySpan<byte> data)
    {
        for (var i = data.IndexOf("uid="u8); i >= 0;)
        {
            var j = i + 4;
            while (j < data.Length && data[j] is >= (byte)'0' and <= (byte)'9') j++;
            if (j > i + 4 && j < data.Length && data[j] == (byte)'(') return true;
            var next = data[(i + 4)..].IndexOf("uid="u8);
            i = next < 0 ? -1 : i + 4 + next;
        }
        return false;
    }

    private static byte[][] Tokens(params string[] tokens) => tokens.Select(Encoding.ASCII.GetBytes).ToArray();

    /// <summary>
    /// How many code tokens the request holds as the server's code would see it: decoded target, parameter values
    /// (and their base64 decoding) and raw body, each after a line feed. Written as UTF-8 into one pooled buffer:
    /// encoding the pieces one by one gives the bytes encoding their concatenation gives, as a line feed never
    /// completes a surrogate pair.
    /// </summary>
    private static int CodeTokensInDecodedRequest(string target, List<(string Value, string? Base64, string? Shifted)> readings, ReadOnlySpan<byte> body)
    {
        var decodedTarget = HttpParameters.PercentDecode(target);
        var utf8 = Encoding.UTF8;
        var length = utf8.GetByteCount(decodedTarget);
        foreach (var (value, b64, shifted) in readings)
        {
            length += 1 + utf8.GetByteCount(value);
            if (b64 is not null) length += 1 + utf8.GetByteCount(b64);
            if (shifted is not null) length += 1 + utf8.GetByteCount(shifted);
        }
        if (body.Length > 0) length += 1 + body.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        var at = utf8.GetBytes(decodedTarget, buffer);
        foreach (var (value, b64, shifted) in readings)
        {
            at = AppendLine(buffer, at, value);
            if (b64 is not null) at = AppendLine(buffer, at, b64);
            if (shifted is not null) at = AppendLine(buffer, at, shifted);
        }
        if (body.Length > 0)
        {
            buffer[at++] = (byte)'\n';
            body.CopyTo(buffer.AsSpan(at));
            at += body.Length;
        }
        var count = TextStatistics.CountTokens(buffer.AsSpan(0, at), CodeTokens);
        ArrayPool<byte>.Shared.Return(buffer);
        return count;

        static int AppendLine(byte[] buffer, int at, string text)
        {
            buffer[at++] = (byte)'\n';
            return at + Encoding.UTF8.GetBytes(text, buffer.AsSpan(at));
        }
    }

    private static HttpAnomalies AnomalySet(HttpAnomaly[] anomalies)
    {
        var set = new HttpAnomalies();
        foreach (var a in anomalies) set.Add(a);
        return set;
    }

    private static bool ContainsAny(string text, string[] parts)
    {
        foreach (var part in parts)
            if (text.Contains(part, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>The largest entropy of the UTF-8 bytes of the values at least <paramref name="minLength"/> characters long (0 if none).</summary>
    private static float MaxEntropy(List<HttpParameter> parameters, int minLength)
    {
        var max = 0f;
        byte[]? buffer = null;
        foreach (var parameter in parameters)
        {
            var value = parameter.Value;
            if (value.Length < minLength) continue;
            var needed = Encoding.UTF8.GetMaxByteCount(value.Length);
            if (buffer is null || buffer.Length < needed)
            {
                if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
                buffer = ArrayPool<byte>.Shared.Rent(needed);
            }
            max = Math.Max(max, TextStatistics.Entropy(buffer.AsSpan(0, Encoding.UTF8.GetBytes(value, buffer))));
        }
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        return max;
    }

    /// <summary>The names of the cookies (or of the other parameters), each once, in the order first sent.</summary>
    private static IReadOnlyList<string> DistinctNames(List<HttpParameter> parameters, bool cookies)
    {
        List<string>? names = null;
        HashSet<string>? seen = null;
        foreach (var p in parameters)
        {
            if ((p.Source == ParameterSource.Cookie) != cookies) continue;
            names ??= [];
            if (seen is null && names.Count >= 32) seen = new HashSet<string>(names, StringComparer.Ordinal);
            if (seen is not null ? !seen.Add(p.Name) : names.Contains(p.Name)) continue;
            names.Add(p.Name);
        }
        return names is null ? [] : names;
    }

    /// <summary>Header names outside <see cref="CommonHeaders"/>, lower-cased, each once, in the order first sent.</summary>
    private static List<string> UncommonHeaderNames(List<HttpHeader> headers)
    {
        var names = new List<string>();
        HashSet<string>? seen = null;
        foreach (var h in headers)
        {
            if (CommonHeaders.Contains(h.Name)) continue;
            var name = h.Name.ToLowerInvariant();
            // A scan while the list is short (the usual case: a few); a set past that bounds a hostile header flood.
            if (seen is null && names.Count >= 32) seen = new HashSet<string>(names, StringComparer.Ordinal);
            if (seen is not null ? !seen.Add(name) : names.Contains(name)) continue;
            names.Add(name);
        }
        return names;
    }

    private static string? TryBase64(string? value)
    {
        if (value is not null && value.Contains('%')) value = Uri.UnescapeDataString(value);
        if (value is null || value.Length < 4 || value.Length > 65536 || value.Length % 4 != 0) return null;
        var buffer = ArrayPool<byte>.Shared.Rent(value.Length);
        try
        {
            if (!Convert.TryFromBase64String(value, buffer, out var n)) return null;
            var text = buffer.AsSpan(0, n);
            return TextStatistics.BinaryShare(text) < 0.1 ? Encoding.UTF8.GetString(text) : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Declared as text (or not declared): where entropy, binary bytes and command output mean something.</summary>
    private static bool IsTextual(string type) =>
        type.Length == 0 || type.StartsWith("text/") || type.Contains("json") || type.Contains("xml") || type.Contains("javascript") || type.Contains("x-www-form-urlencoded");

    private static bool ExtensionMismatch(string extension, string type)
    {
        if (type.Length == 0) return false;
        return extension switch
        {
            ".png" or ".jpg" or ".jpeg" or ".gif" or ".ico" => !type.StartsWith("image/"),
            ".css" => !type.StartsWith("text/css"),
            ".js" => !type.Contains("javascript"),
            ".pdf" => !type.Contains("pdf"),
            _ => false,
        };
    }

    /// <summary>A body wrapped in markers: ->| … |&lt;- (China Chopper), or a hex/alphanumeric prefix and a hex suffix around the content.</summary>
    private static bool IsFramed(ReadOnlySpan<byte> body)
    {
        if (body.Length < 6) return false;
        if (body.StartsWith("->|"u8) || body.EndsWith("|<-"u8)) return true;
        var trimmed = body.TrimEnd((byte)'\n').TrimEnd((byte)'\r');
        int hexSuffix = 0, hexPrefix = 0, alnumPrefix = 0;
        for (var i = trimmed.Length - 1; i >= 0 && IsHex(trimmed[i]); i--) hexSuffix++;
        for (var i = 0; i < trimmed.Length && IsHex(trimmed[i]); i++) hexPrefix++;
        for (var i = 0; i < trimmed.Length && char.IsAsciiLetterOrDigit((char)trimmed[i]); i++) alnumPrefix++;
        return hexSuffix >= 8 && hexSuffix < trimmed.Length && (hexPrefix >= 8 || alnumPrefix >= 16);
    }

    /// <summary>An HTML comment that is mostly a long base64 run: data smuggled out inside an ordinary page.</summary>
    private static bool HiddenCommentData(ReadOnlySpan<byte> body)
    {
        var start = body.IndexOf("<!--"u8);
        while (start >= 0)
        {
            var rest = body[(start + 4)..];
            var end = rest.IndexOf("-->"u8);
            if (end < 0) return false;
            var comment = rest[..end].Trim((byte)' ');
            if (LooksEncoded(comment)) return true;
            body = rest[(end + 3)..];
            start = body.IndexOf("<!--"u8);
        }
        return false;
    }

    /// <summary>
    /// Base64 data rather than a word: long, almost all base64 characters, with lower and upper case and
    /// digits or symbols mixed. Templates mark sections with comments such as "BREADCRUMBS" or "wikipage
    /// start", which are base64 characters too.
    /// </summary>
    private static bool LooksEncoded(ReadOnlySpan<byte> text)
    {
        if (text.Length < 20 || TextStatistics.Base64Share(text, 20) < 0.9) return false;
        bool lower = false, upper = false, other = false;
        foreach (var b in text)
        {
            lower |= b is >= (byte)'a' and <= (byte)'z';
            upper |= b is >= (byte)'A' and <= (byte)'Z';
            other |= b is >= (byte)'0' and <= (byte)'9' or (byte)'+' or (byte)'/';
        }
        return lower && upper && other;
    }

    private static bool IsHex(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private static string? RefererPath(string referer)
    {
        if (!Uri.TryCreate(referer, UriKind.Absolute, out var uri)) return null;
        return uri.AbsolutePath.ToLowerInvariant();
    }
}
