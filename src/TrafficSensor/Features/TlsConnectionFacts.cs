using TrafficSensor.Decoding;
using TrafficSensor.Flows;
using TrafficSensor.Tls;

namespace TrafficSensor.Features;

/// <summary>One record of a TLS connection, by its sender's role.</summary>
public readonly record struct TlsRecordFact(bool FromClient, byte ContentType, int Length, long TimestampMicros);

/// <summary>
/// What the metadata features of one TLS connection are computed from: its endpoints, the client's JA4
/// and the sizes and times of its records (first <see cref="TlsRecordShape.MaxRecords"/>), nothing that
/// needs keys. Taken from the connection's <see cref="TlsConnectionParser"/> when the flow ends.
/// </summary>
public sealed record TlsConnectionFacts(IpAddress Client, ushort ClientPort, IpAddress Server, ushort ServerPort,
    string? Ja4, string? Sni, ushort Version, IReadOnlyList<TlsRecordFact> Records)
{
    public bool IsTls13 => Version == TlsWire.Tls13;

    public long StartMicros => Records.Count > 0 ? Records[0].TimestampMicros : 0;
    public long EndMicros => Records.Count > 0 ? Records.Max(r => r.TimestampMicros) : 0;

    /// <summary>
    /// The connection's facts; null when it is not known which side is the client (no hello seen and the
    /// flow did not see the SYN either) or no record was read.
    /// </summary>
    /// <param name="clientIsLow">The flow's own reading of who the client is (its SYN), when it has one; the hellos decide otherwise.</param>
    public static TlsConnectionFacts? From(in FlowKey key, TlsConnectionParser parser, bool? clientIsLow = null)
    {
        var low = parser.ClientIsLow ?? clientIsLow;
        if (low is not { } clientLow || parser.Shape.Records.Count == 0) return null;
        var records = parser.Shape.Records.Select(r => new TlsRecordFact(r.FromLow == clientLow, r.ContentType, r.Length, r.TimestampMicros)).ToList();
        var ch = parser.ClientHello;
        return clientLow
            ? new TlsConnectionFacts(key.LowAddress, key.LowPort, key.HighAddress, key.HighPort, Ja4Of(ch), ch?.ServerName, parser.Version, records)
            : new TlsConnectionFacts(key.HighAddress, key.HighPort, key.LowAddress, key.LowPort, Ja4Of(ch), ch?.ServerName, parser.Version, records);
    }

    private static string? Ja4Of(TlsClientHello? hello) => hello is null ? null : TlsFingerprints.Ja4(hello);
}
