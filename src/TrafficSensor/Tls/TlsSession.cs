using TrafficSensor.Protocols;
using TrafficSensor.Reassembly;
using TrafficSensor.Tls.Decryption;

namespace TrafficSensor.Tls;

/// <summary>
/// One TLS connection behind the seam: a <see cref="TlsConnectionParser"/> on both directions, one
/// <see cref="TlsRecord"/> when the client's handshake flight is done (or at the end of the flow). With a
/// key log (<c>SensorOptions.Tls.KeyLog</c>) a <see cref="TlsConnectionDecryptor"/> is wired in
/// (<see cref="TlsDecryptionWiring"/>) and the decrypted application data goes to an inner session
/// chosen by ALPN (h2 → "http2", otherwise by probing the bytes) whose records carry the TLS context.
/// Owned by the flow worker's thread.
/// </summary>
public sealed class TlsSession : IAppSession, ITlsPlaintextSink, IAppRecordSink
{
    private readonly AppSessionContext _context;
    private readonly TlsCounters _counters;
    private readonly TlsConnectionParser _parser;
    private readonly TlsDecryptionWiring? _decryption;
    private readonly Side _low;
    private readonly Side _high;
    private IAppSession? _inner;
    private TlsContext? _innerContext;
    private bool _emitted;
    private readonly bool _keepShapes;

    public TlsSession(AppSessionContext context)
    {
        _context = context;
        _counters = context.Counters as TlsCounters ?? new TlsCounters();
        _parser = new TlsConnectionParser(_counters, context.InspectMemory, context.Options.TlsMetadata, clientIsLow: null)
        {
            HandshakeDone = Emit,
        };
        if (context.Options.Tls.KeyLog is { } keys)
            _decryption = new TlsDecryptionWiring(new TlsConnectionDecryptor(keys, _counters.Decryption, context.Options.Tls.MaxPendingBytes), _parser, this);
        _keepShapes = context.Options.TlsMetadata.KeepRecordShapes;
        _low = new Side(this, _parser.FromLow, low: true);
        _high = new Side(this, _parser.FromHigh, low: false);
    }

    public TlsConnectionParser Parser => _parser;
    public ITcpStreamSink FromLow => _low;
    public ITcpStreamSink FromHigh => _high;

    /// <summary>
    /// Without keys nothing more is learnt once the record is written, unless the metadata model wants the
    /// record sizes to the end; with keys the application data goes on.
    /// </summary>
    public bool Finished => _parser.Finished || (_emitted && _decryption is null && !_keepShapes);

    public void Close(long timestampMicros)
    {
        if (!_emitted && (_parser.ClientHello is not null || _parser.ServerHello is not null)) Emit(timestampMicros);
        _inner?.Close(timestampMicros);
        if (_keepShapes && _parser.Shape.Records.Count > 0)
        {
            // The connection's end goes to the analysis thread (its judge), in capture order like every record.
            var clientIsLow = _parser.ClientIsLow ?? true;
            _context.Records.Emit(new TlsConnectionEnd(_context.Flow.Facts(clientIsLow), _context.Flow.Key, _parser, timestampMicros));
        }
        _parser.Shape.ReleaseBudget();
    }

    private void Emit(long timestampMicros)
    {
        if (_emitted) return;
        _emitted = true;
        var clientIsLow = _parser.ClientIsLow ?? true;
        if (_parser.ClientIsLow is { } known) _context.Flow.SetClient(known);
        var metadata = TlsMetadata.From(_parser);
        _counters.CountConnection(metadata.VersionNumber);
        _context.Records.Emit(new TlsRecord(_context.Flow.Facts(clientIsLow), metadata, timestampMicros));
    }

    /// <summary>Decrypted application data: to the inner session of the protocol the server chose (ALPN) or the bytes show.</summary>
    public void OnApplicationData(bool fromClient, ReadOnlySpan<byte> plaintext, long timestampMicros)
    {
        _inner ??= _parser.ServerAlpn == "h2" ? _context.CreateInner("http2", this) ?? _context.CreateDetector(this) : _context.CreateDetector(this);
        var toLow = fromClient == (_parser.ClientIsLow ?? true);
        (toLow ? _inner.FromLow : _inner.FromHigh).OnData(plaintext, timestampMicros);
    }

    /// <summary>Records of the inner session go on stamped with this connection's TLS facts.</summary>
    void IAppRecordSink.Emit(AppRecord record)
    {
        if (_innerContext is null)
        {
            var m = TlsMetadata.From(_parser);
            _innerContext = new TlsContext(m.Sni, m.Version, m.Ja3?.Hash, m.Ja4, m.ServerAlpn);
        }
        _context.Records.Emit(record with { Tls = _innerContext });
    }

    /// <summary>One direction: the parser's, and the inner session's end and losses when decrypting.</summary>
    private sealed class Side(TlsSession owner, ITcpStreamSink parser, bool low) : ITcpStreamSink
    {
        public void OnData(ReadOnlySpan<byte> data, long timestampMicros)
        {
            parser.OnData(data, timestampMicros);
            owner._decryption?.TakeReleased(timestampMicros);
        }

        public void OnGap(long length, long timestampMicros)
        {
            parser.OnGap(length, timestampMicros);
            if (owner._inner is { } inner) (low ? inner.FromLow : inner.FromHigh).OnGap(length, timestampMicros);
        }

        public void OnEnd(long timestampMicros)
        {
            parser.OnEnd(timestampMicros);
            if (owner._inner is { } inner) (low ? inner.FromLow : inner.FromHigh).OnEnd(timestampMicros);
        }
    }
}
