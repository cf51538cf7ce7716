using System.Text.Json;
using TrafficSensor.Output;

namespace TrafficSensor.Protocols;

/// <summary>
/// How one protocol's records are written as EVE JSON. The EVE writers write the common fields
/// (time, flow, endpoints, <c>app_proto</c> from the record, <c>tx_id</c>, <c>flow</c>) and then
/// call <see cref="Write"/>, then add the <c>tls</c> object when the record carries a
/// <see cref="TlsContext"/>. Stateless; called from the output threads.
/// </summary>
public interface IEveSection
{
    /// <summary>EVE <c>event_type</c> of the protocol's records ("http" for HTTP/1 and HTTP/2, "tls").</summary>
    string EventType { get; }

    /// <summary>
    /// Writes the protocol's object(s) of <paramref name="record"/> (e.g. <c>"http": {...}</c>).
    /// <paramref name="alert"/>: the record is written as an alert (bounded body excerpts may be added).
    /// </summary>
    void Write(Utf8JsonWriter writer, AppRecord record, EveOptions options, bool alert);
}
