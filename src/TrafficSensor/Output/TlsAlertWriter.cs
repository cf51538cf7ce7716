using System.Text.Json;
using TrafficSensor.Detection;
using TrafficSensor.Features;
using TrafficSensor.Flows;

namespace TrafficSensor.Output;

/// <summary>
/// EVE <c>alert</c> records for TLS connections the metadata model judged without keys: the connection's
/// endpoints, <c>app_proto: tls</c>, a <c>tls</c> object with what the ClientHello said (sni, ja4), the alert
/// (its own signature ids, 9150601 + kind) and the <c>ml</c> section as for transactions (score, threshold,
/// detector "tls-metadata", kind, reasons in plain words). Thread-safe (see <see cref="JsonLinesLog"/>).
/// </summary>
public sealed class TlsAlertWriter(JsonLinesLog log, EveOptions? options = null, EveSource? source = null)
{
    private readonly EveOptions _options = options ?? new EveOptions();
    private readonly EveSource _source = source ?? EveSource.None;
    private long _lines;

    public long Lines => Interlocked.Read(ref _lines);

    public static int SignatureId(AlertKind kind) => 9_150_601 + (int)kind;

    /// <param name="flow">The flow's id and Community ID when the pipeline knows them (its VLANs included); otherwise computed from the endpoints.</param>
    public void Write(TlsConnectionFacts connection, Verdict verdict, (long Id, string CommunityId)? flow = null)
    {
        if (!verdict.Alert) return;
        EveRecord.Append(log, (Connection: connection, Verdict: verdict, Flow: flow, Writer: this), static (w, s) => s.Writer.WriteAlert(w, s.Connection, s.Verdict, s.Flow));
        Interlocked.Increment(ref _lines);
    }

    private void WriteAlert(Utf8JsonWriter w, TlsConnectionFacts c, Verdict verdict, (long Id, string CommunityId)? flow)
    {
        w.WriteStartObject();
        // The shared common fields; the connection's VLANs are in its Community ID, not written apart (as before).
        var communityId = flow?.CommunityId ?? CommunityId.Compute(FlowKey.From(c.Client, c.ClientPort, c.Server, c.ServerPort, 6, 0, 0, out _));
        EveRecord.WriteCommonFields(w, new EveCommonFields(c.EndMicros, flow?.Id, "alert", c.Client, c.ClientPort, c.Server, c.ServerPort,
            Vlan: 0, InnerVlan: 0, "tls", communityId, TransactionId: null, Flow: null), _options, _source);
        w.WriteStartObject("tls");
        if (c.Sni is not null) EveText.WriteString(w, "sni", c.Sni);
        if (c.Ja4 is not null) w.WriteString("ja4", c.Ja4);
        w.WriteEndObject();
        w.WriteStartObject("alert");
        w.WriteString("action", "allowed");
        w.WriteNumber("gid", 1);
        var kind = verdict.Kind ?? AlertKind.WebShell;
        w.WriteNumber("signature_id", SignatureId(kind));
        w.WriteNumber("rev", 1);
        EveText.WriteString(w, "signature", "TrafficSensor TLS metadata: encrypted connection shaped like a web-shell session" +
            (verdict.Resembles is { } family ? $" (nearest lab family: {family})" : ""));
        w.WriteString("category", AlertClassification.Category(kind));
        // Metadata alone is weaker evidence than content: never the top severity.
        w.WriteNumber("severity", 2);
        w.WriteEndObject();
        EveRecord.WriteVerdict(w, verdict, thread: null);
        w.WriteEndObject();
    }
}
