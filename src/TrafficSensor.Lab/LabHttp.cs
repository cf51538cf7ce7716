using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace TrafficSensor.Lab;

/// <summary>One labelled request as the client sent it (the format `trafficsensor evaluate` reads).</summary>
/// <remarks>
/// <c>Variant</c> names the tool and its mode ("godzilla/PHP_XOR_RAW", "behinder/aspx", "cmd/stager");
/// <c>App</c> names the server application the request went to ("wiki", "tomcat", "apache-php", "iis").
/// </remarks>
public sealed record Label(string Timestamp, string SrcIp, int SrcPort, string DestIp, int DestPort, string HttpMethod, string Url, string Family, string Phase, string Variant, string App);

/// <summary>Appends labels as JSON lines; shared by all actors.</summary>
public sealed class LabelWriter(string path) : IDisposable
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly StreamWriter _writer = new(path, append: false, new UTF8Encoding(false));
    private readonly Lock _lock = new();
    public int Count { get; private set; }

    public void Write(Label label)
    {
        var line = JsonSerializer.Serialize(label, Options);
        lock (_lock)
        {
            _writer.WriteLine(line);
            Count++;
        }
    }

    public void Dispose() => _writer.Dispose();
}

/// <summary>A lab server: where it listens, its Host header and whether it is reached over TLS (HTTPS).</summary>
/// <remarks>Over TLS the client names the server by its Host header in the SNI (SocketsHttpHandler does so when Host is set).</remarks>
public sealed record LabServer(string Name, IPAddress Address, int Port, string Host, bool Tls = false)
{
    public string Scheme => Tls ? "https" : "http";
    /// <summary>The origin a browser on this site sends as Referer: scheme and Host.</summary>
    public string Origin => $"{Scheme}://{Host}";
    public Uri Url(string pathAndQuery) => new($"{Scheme}://{Address}:{Port}{pathAndQuery}");
}

public sealed record LabResponse(int Status, HttpResponseHeaders Headers, HttpContentHeaders ContentHeaders, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>The body as text after its Content-Encoding (gzip) is undone: what a browser reads.</summary>
    public string DecodedText
    {
        get
        {
            if (!ContentHeaders.ContentEncoding.Contains("gzip", StringComparer.OrdinalIgnoreCase)) return Text;
            try
            {
                using var z = new System.IO.Compression.GZipStream(new MemoryStream(Body), System.IO.Compression.CompressionMode.Decompress);
                using var reader = new StreamReader(z, Encoding.UTF8);
                return reader.ReadToEnd();
            }
            catch (InvalidDataException) { return ""; }
        }
    }
}

/// <summary>
/// An HTTP client with its own source address and at most one connection at a time, so the source
/// port of every request is known exactly and written into its label when it is sent.
/// </summary>
public sealed class LabClient : IDisposable
{
    // Replaced (never concurrently: an operator sends one request at a time) when its connections must end.
    private HttpClient _http;
    private readonly LabelWriter _labels;
    private readonly MixStats? _stats;
    // One connection per server at a time, so each server's current source port is the one a request uses.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Host, int Port), int> _localPorts = new();

    private readonly Version _version;

    /// <param name="http2">Sends HTTP/2 (ALPN h2 over TLS; one multiplexed connection per server).</param>
    /// <param name="cipherSuites">The TLS cipher suites offered, or null for .NET's own list.</param>
    public LabClient(IPAddress source, string userAgent, LabelWriter labels, MixStats? stats = null, bool http2 = false, CipherSuitesPolicy? cipherSuites = null)
    {
        _version = http2 ? HttpVersion.Version20 : HttpVersion.Version11;
        CipherSuites = cipherSuites;
        _stats = stats;
        Source = source;
        UserAgent = userAgent;
        _labels = labels;
        _http = CreateHttpClient();
    }

    private HttpClient CreateHttpClient()
    {
        var source = Source;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20),
            // The lab's servers present self-signed throwaway certificates (made by run.sh for the run).
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true, CipherSuitesPolicy = CipherSuites },
            ConnectCallback = async (context, cancel) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancel);
                _localPorts[(context.DnsEndPoint.Host, context.DnsEndPoint.Port)] = ((IPEndPoint)socket.LocalEndPoint!).Port;
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>
    /// Closes this client's connections: HTTP/2 ignores Connection: close, so a mid-session
    /// opening's connection would otherwise carry on into the capture without its handshake.
    /// </summary>
    public void CloseConnections()
    {
        var old = _http;
        _http = CreateHttpClient();
        old.Dispose();
    }

    public IPAddress Source { get; }
    /// <summary>The TLS cipher suites this client offers (null: .NET's default list); for its own TLS sockets too.</summary>
    public CipherSuitesPolicy? CipherSuites { get; }
    public string UserAgent { get; }
    /// <summary>Cookies this client keeps, as a browser or a tool would.</summary>
    public Dictionary<string, string> Cookies { get; } = new();
    /// <summary>Sends every request with Connection: close (tools that open a connection per request).</summary>
    public bool CloseEach { get; set; }
    /// <summary>Writes no labels and closes each connection: a session's part that happens before the capture starts.</summary>
    public bool Unlabelled { get; set; }
    /// <summary>How long a mid-session operator waits once the capture runs (its start moment in the run).</summary>
    public TimeSpan ResumeDelay { get; set; }

    /// <summary>
    /// The label family of a tag: "godzilla/PHP_XOR_RAW" is family godzilla, variant godzilla/PHP_XOR_RAW;
    /// a bare family takes the variant the lab always sent for it.
    /// </summary>
    public static (string Family, string Variant) SplitTag(string tag)
    {
        var slash = tag.IndexOf('/');
        if (slash > 0) return (tag[..slash], tag);
        return (tag, tag switch
        {
            "cmd" => "cmd/get",
            "chopper" => "chopper/php",
            "behinder" => "behinder/jsp",
            "godzilla" => "godzilla/PHP_XOR_BASE64",
            "weevely" => "weevely/php",
            "wso" => "wso/php",
            "regeorg" => "regeorg/jsp",
            "iis-module" => "iis-module/cookie",
            _ => tag,
        });
    }

    public async Task<LabResponse> SendAsync(LabServer server, HttpMethod method, string pathAndQuery, string family, string phase,
        HttpContent? content = null, IEnumerable<(string Name, string Value)>? headers = null, bool close = false, bool sendCookies = true)
    {
        using var request = new HttpRequestMessage(method, server.Url(pathAndQuery)) { Content = content, Version = _version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Host = server.Host;
        var headerList = headers?.ToList() ?? [];
        // A tool that rotates its user agent per request passes its own.
        if (!headerList.Any(h => h.Name.Equals("User-Agent", StringComparison.OrdinalIgnoreCase))) request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        foreach (var (name, value) in headerList)
            if (!request.Headers.TryAddWithoutValidation(name, value)) request.Content?.Headers.TryAddWithoutValidation(name, value);
        if (sendCookies && Cookies.Count > 0) request.Headers.TryAddWithoutValidation("Cookie", string.Join("; ", Cookies.Select(c => $"{c.Key}={c.Value}")));
        if (close || CloseEach || Unlabelled) request.Headers.ConnectionClose = true;

        var sent = DateTime.UtcNow;
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // The request may or may not have reached the wire: label it only if a connection existed.
            if (LocalPort(server) != 0) Write(server, method, pathAndQuery, family, phase, sent);
            throw;
        }
        Write(server, method, pathAndQuery, family, phase, sent);
        using (response)
        {
            foreach (var setCookie in response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [])
            {
                var pair = setCookie.Split(';')[0];
                var eq = pair.IndexOf('=');
                if (eq > 0) Cookies[pair[..eq]] = pair[(eq + 1)..];
            }
            var body = await response.Content.ReadAsByteArrayAsync();
            if (SplitTag(family) is var (fam, variant) && fam != "benign" && !Unlabelled) _stats?.RecordOperator(variant, phase, (int)response.StatusCode, body.Length);
            _stats?.Record(SplitTag(family).Family, Source.ToString(), UserAgent, server.Name, method.Method, (int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), body.Length);
            return new LabResponse((int)response.StatusCode, response.Headers, response.Content.Headers, body);
        }
    }

    private int LocalPort(LabServer server) => _localPorts.GetValueOrDefault((server.Address.ToString(), server.Port));

    private void Write(LabServer server, HttpMethod method, string pathAndQuery, string tag, string phase, DateTime sent)
    {
        if (Unlabelled) return;
        var (family, variant) = SplitTag(tag);
        _labels.Write(new Label(sent.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+0000'"), Source.ToString(), LocalPort(server),
            server.Address.ToString(), server.Port, method.Method, pathAndQuery, family, phase, variant, server.Name));
    }

    /// <summary>Writes the label of a request this client sent on its own socket (streaming tunnels).</summary>
    public void WriteRaw(LabServer server, int localPort, string method, string pathAndQuery, string tag, string phase, DateTime sent)
    {
        if (Unlabelled) return;
        var (family, variant) = SplitTag(tag);
        _labels.Write(new Label(sent.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+0000'"), Source.ToString(), localPort,
            server.Address.ToString(), server.Port, method, pathAndQuery, family, phase, variant, server.Name));
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The cipher suites the lab's .NET clients offer over TLS.</summary>
public static class LabCipherSuites
{
    /// <summary>
    /// What .NET 10 on Linux offers by default (TLS 1.3 suites, then ECDHE with AES-GCM and AES-CBC-SHA256/384):
    /// neither ChaCha20-Poly1305 in TLS 1.2 nor any SHA-1 or RSA-key-exchange suite.
    /// </summary>
    public static readonly TlsCipherSuite[] DotnetDefault =
    [
        TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256, TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    ];

    /// <summary>.NET's default list followed by further suites (IANA names, comma-separated), or null when there are none.</summary>
    public static CipherSuitesPolicy? WithExtra(string? extra)
    {
        if (string.IsNullOrWhiteSpace(extra)) return null;
        if (OperatingSystem.IsWindows()) throw new ArgumentException("the offered cipher suites can be chosen on Linux only (Schannel)");
        var added = extra.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => Enum.TryParse<TlsCipherSuite>(n, out var suite) ? suite : throw new ArgumentException($"unknown TLS cipher suite {n}"));
        return new CipherSuitesPolicy(DotnetDefault.Concat(added).Distinct());
    }
}

/// <summary>A lab server's own HTTPS endpoint (Kestrel terminating TLS): port, throwaway PEM certificate, versions and suites.</summary>
public sealed record LabHttpsEndpoint(int Port, X509Certificate2 Certificate, SslProtocols Protocols, CipherSuitesPolicy? Suites)
{
    public static LabHttpsEndpoint Create(int port, string certificatePem, string keyPem, string versions, string? suites)
    {
        if (OperatingSystem.IsWindows()) throw new ArgumentException("the lab's own HTTPS endpoints run on Linux only");
        var protocols = SslProtocols.None;
        foreach (var v in versions.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            protocols |= v switch { "1.2" => SslProtocols.Tls12, "1.3" => SslProtocols.Tls13, _ => throw new ArgumentException($"unknown TLS version {v}") };
        CipherSuitesPolicy? policy = null;
        if (!string.IsNullOrWhiteSpace(suites))
            policy = new CipherSuitesPolicy(suites.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(n => Enum.TryParse<TlsCipherSuite>(n, out var s) ? s : throw new ArgumentException($"unknown TLS cipher suite {n}")));
        return new LabHttpsEndpoint(port, X509Certificate2.CreateFromPemFile(certificatePem, keyPem), protocols, policy);
    }

    /// <summary>Makes a Kestrel listener this endpoint: TLS with ALPN h2 and http/1.1.</summary>
    public void Configure(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen)
    {
        listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1AndHttp2;
        var suites = Suites;
        listen.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
        {
            ServerCertificate = Certificate,
            SslProtocols = Protocols,
            OnAuthenticate = (_, options) =>
            {
                if (!OperatingSystem.IsWindows()) options.CipherSuitesPolicy = suites;
            },
        });
    }
}

/// <summary>multipart/form-data parts written the way browsers write them (quoted name and filename, no filename*).</summary>
public static class FormParts
{
    /// <summary>A multipart body whose Content-Type carries the boundary unquoted, as browsers send it.</summary>
    public static MultipartFormDataContent Create(string boundary)
    {
        var form = new MultipartFormDataContent(boundary);
        form.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");
        return form;
    }

    public static void Add(MultipartFormDataContent form, HttpContent content, string name, string? fileName = null)
    {
        content.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = $"\"{name}\"", FileName = fileName is null ? null : $"\"{fileName}\"" };
        if (fileName is null) content.Headers.ContentType = null; // browsers send no Content-Type for plain fields
        form.Add(content);
    }
}
