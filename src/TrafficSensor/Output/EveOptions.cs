namespace TrafficSensor.Output;

/// <summary>Which HTTP headers EVE records carry in full (Suricata's <c>dump-all-headers</c>).</summary>
public enum HeaderDump
{
    None,
    Request,
    Response,
    Both,
}

/// <summary>What EVE records carry beyond the fixed fields.</summary>
public sealed record EveOptions
{
    /// <summary>EVE's <c>host</c>: the sensor's name (Suricata's <c>sensor-name</c>); null means the machine's host name.</summary>
    public string? SensorName { get; init; }

    /// <summary><c>http.request_headers</c> / <c>http.response_headers</c>: every header as {name, value}, bounded below.</summary>
    public HeaderDump Headers { get; init; } = HeaderDump.None;

    /// <summary>Headers listed per message; an attacker can send thousands.</summary>
    public int MaxHeaders { get; init; } = 64;

    /// <summary>Characters kept of a header value (longer ones are cut and the cut is marked with "…").</summary>
    public int MaxHeaderValueChars { get; init; } = 1024;

    /// <summary>Bytes of each body shown on alerts (<c>http_request_body_printable</c>, <c>http_response_body_printable</c>); 0 = none.</summary>
    public int BodyExcerptBytes { get; init; } = 256;

    /// <summary>The name written in every record. The machine's name is read once: <c>Environment.MachineName</c> makes a uname(2) call each time, once per record.</summary>
    public string ResolveHostName() => SensorName ?? MachineName.Value;

    private static readonly Lazy<string> MachineName = new(() => Environment.MachineName);
}

/// <summary>Where the records of one run come from: the live interface, or the capture file of a replayed transaction.</summary>
public sealed record EveSource(string? Interface, Func<long, string?>? CaptureFileOf)
{
    public static readonly EveSource None = new(null, null);
}
