using TrafficSensor.Reassembly;

namespace TrafficSensor.Tls;

/// <summary>Limits of the TLS metadata parser (per connection unless said otherwise).</summary>
public sealed record TlsMetadataOptions
{
    /// <summary>Largest handshake message parsed (a certificate chain is one message); longer ones are skipped, counted.</summary>
    public int MaxHandshakeMessageBytes { get; init; } = 128 * 1024;

    /// <summary>ClientHellos and ServerHellos parsed per connection (a HelloRetryRequest makes two of each; renegotiation more).</summary>
    public int MaxHellos { get; init; } = 4;

    /// <summary>
    /// Keep every connection's record sizes and times to its end (the first <see cref="TlsRecordShape.MaxRecords"/>,
    /// 24 bytes each from the inspection budget) and hand them over when it ends, for the TLS metadata model.
    /// Set by the pipeline when that model is loaded; otherwise a connection without keys is left after its handshake.
    /// </summary>
    public bool KeepRecordShapes { get; init; }
}

/// <summary>
/// Where the records a metadata parser cannot read go: the decryption hook. The session that owns a
/// <see cref="TlsConnectionParser"/> implements it when it has keys (see TlsDecryptionWiring).
/// </summary>
public interface ITlsConnectionObserver
{
    void OnClientHello(TlsClientHello hello);
    void OnServerHello(TlsServerHello hello);
    void OnChangeCipherSpec(bool fromClient);

    /// <summary>Whether protected records' bytes are wanted (false: they are only counted, never buffered).</summary>
    bool WantsProtectedRecords { get; }

    /// <summary>A record protected by the record layer: after the sender's ChangeCipherSpec (TLS ≤ 1.2), or application_data.</summary>
    void OnProtectedRecord(bool fromClient, byte contentType, ReadOnlySpan<byte> fragment, long timestampMicros);
}

/// <summary>
/// The TLS metadata of one TCP connection, read from both directions without keys: ClientHello(s),
/// ServerHello (HelloRetryRequest apart), the certificates sent in clear (TLS ≤ 1.2, or TLS 1.3 ones fed
/// back decrypted), and when the handshake ended. Bounded by <see cref="TlsMetadataOptions"/> and the
/// worker's memory budget. Owned by the flow worker's thread.
/// </summary>
public sealed class TlsConnectionParser
{
    private readonly TlsCounters _counters;
    private readonly TlsMetadataOptions _options;
    private readonly List<TlsClientHello> _clientHellos = new();
    private int _serverHellos;

    /// <param name="clientIsLow">Which side is the client, when the flow knows it; the hellos decide otherwise.</param>
    public TlsConnectionParser(TlsCounters counters, MemoryBudget? memory, TlsMetadataOptions options, bool? clientIsLow)
    {
        _counters = counters;
        _options = options;
        ClientIsLow = clientIsLow;
        FromLow = new Direction(this, low: true, memory);
        FromHigh = new Direction(this, low: false, memory);
        if (options.KeepRecordShapes && memory is not null) Shape.Keep(memory);
    }

    public Direction FromLow { get; }
    public Direction FromHigh { get; }

    /// <summary>True when the low endpoint is the client (the side that sent a ClientHello); null while unknown.</summary>
    public bool? ClientIsLow { get; private set; }

    public ITlsConnectionObserver? Observer { get; set; }

    /// <summary>Called once, when the client sends its first protected record after the server's hello (its handshake flight is done).</summary>
    public Action<long>? HandshakeDone { get; set; }

    public IReadOnlyList<TlsClientHello> ClientHellos => _clientHellos;
    public TlsClientHello? ClientHello => _clientHellos.Count > 0 ? _clientHellos[0] : null;
    public TlsServerHello? HelloRetryRequest { get; private set; }
    public TlsServerHello? ServerHello { get; private set; }
    /// <summary>Every ServerHello in order (HelloRetryRequest included), for comparing with other tools.</summary>
    public List<TlsServerHello> ServerHellos { get; } = new();
    public TlsCertificateInfo? ServerCertificate { get; private set; }
    public TlsCertificateInfo? ClientCertificate { get; private set; }
    public bool IsHandshakeDone { get; private set; }

    /// <summary>The protocol the server chose: its ServerHello's ALPN (TLS ≤ 1.2), or its decrypted EncryptedExtensions' (TLS 1.3).</summary>
    public string? ServerAlpn => ServerHello?.Alpn ?? EncryptedExtensionsAlpn;

    internal string? EncryptedExtensionsAlpn { get; private set; }
    public long ProtectedRecordsFromClient { get; private set; }

    /// <summary>Every record's side, type, length and time (bounded): the metadata features of TLS without keys.</summary>
    public TlsRecordShape Shape { get; } = new();
    public long ProtectedRecordsFromServer { get; private set; }

    /// <summary>The version in use: the ServerHello's (supported_versions first), else the HelloRetryRequest's; 0 when unknown.</summary>
    public ushort Version => ServerHello?.NegotiatedVersion ?? HelloRetryRequest?.NegotiatedVersion ?? 0;

    public bool IsTls13 => Version == TlsWire.Tls13;

    /// <summary>True when both directions stopped (framing lost or ended) and nothing more can be learnt.</summary>
    public bool Finished => FromLow.Stopped && FromHigh.Stopped;

    /// <summary>Decrypted handshake bytes (TLS 1.3 EncryptedExtensions, Certificate, ...) of one side.</summary>
    public void OnDecryptedHandshake(bool fromClient, ReadOnlySpan<byte> plaintext, long timestampMicros)
    {
        var direction = SideOf(fromClient);
        direction?.DecryptedHandshake.OnFragment(plaintext, timestampMicros);
    }

    private Direction? SideOf(bool fromClient) => ClientIsLow switch
    {
        true => fromClient ? FromLow : FromHigh,
        false => fromClient ? FromHigh : FromLow,
        null => null,
    };

    private bool? IsClient(Direction d) => ClientIsLow is { } low ? d.Low == low : null;

    /// <summary>One direction: record framing, handshake reassembly (clear and decrypted), role-specific parsing.</summary>
    public sealed class Direction : ITcpStreamSink, ITlsRecordHandler, ITlsHandshakeHandler
    {
        private readonly TlsConnectionParser _c;
        private readonly TlsRecordReader _records;
        private readonly TlsHandshakeReader _handshake;
        private bool _sentChangeCipherSpec;

        internal Direction(TlsConnectionParser connection, bool low, MemoryBudget? memory)
        {
            _c = connection;
            Low = low;
            _records = new TlsRecordReader(this, connection._counters, memory, allowSsl2: true);
            _handshake = new TlsHandshakeReader(this, connection._counters, memory, connection._options.MaxHandshakeMessageBytes);
            DecryptedHandshake = new TlsHandshakeReader(this, connection._counters, memory, connection._options.MaxHandshakeMessageBytes);
        }

        public bool Low { get; }
        internal TlsHandshakeReader DecryptedHandshake { get; }
        public bool Stopped => _records.Stopped;
        public long Records => _records.RecordsRead;

        public void OnData(ReadOnlySpan<byte> data, long timestampMicros) => _records.OnData(data, timestampMicros);

        public void OnGap(long length, long timestampMicros) => _records.OnGap(length, timestampMicros);

        public void OnEnd(long timestampMicros)
        {
            _records.OnEnd(timestampMicros);
            _handshake.OnEnd();
            DecryptedHandshake.OnEnd();
        }

        private bool IsProtected(byte contentType) =>
            contentType == TlsWire.ApplicationData
            || (_sentChangeCipherSpec && !_c.IsTls13 && contentType is TlsWire.Handshake or TlsWire.Alert);

        bool ITlsRecordHandler.WantsFragment(byte contentType) =>
            IsProtected(contentType) ? _c.Observer?.WantsProtectedRecords == true
                : contentType is TlsWire.Handshake or TlsWire.ChangeCipherSpec;

        void ITlsRecordHandler.OnRecord(byte contentType, ushort version, ReadOnlySpan<byte> fragment, int length, long timestampMicros)
        {
            _c.Shape.OnRecord(Low, contentType, length, timestampMicros);
            if (IsProtected(contentType))
            {
                var fromClient = _c.IsClient(this);
                if (fromClient == true) _c.ProtectedRecordsFromClient++;
                else _c.ProtectedRecordsFromServer++;
                if (fromClient is { } known && !fragment.IsEmpty) _c.Observer?.OnProtectedRecord(known, contentType, fragment, timestampMicros);
                if (fromClient == true && !_c.IsHandshakeDone && _c.ServerHellos.Count > 0 && (_c.ServerHello is not null))
                {
                    _c.IsHandshakeDone = true;
                    _c.HandshakeDone?.Invoke(timestampMicros);
                }
                return;
            }
            switch (contentType)
            {
                case TlsWire.Handshake:
                    _handshake.OnFragment(fragment, timestampMicros);
                    break;
                case TlsWire.ChangeCipherSpec:
                    // TLS 1.3 middlebox-compatibility CCS records change nothing (RFC 8446 D.4).
                    if (!_c.IsTls13) _sentChangeCipherSpec = true;
                    if (!_c.IsTls13 && _c.IsClient(this) is { } fromClient) _c.Observer?.OnChangeCipherSpec(fromClient);
                    break;
            }
        }

        void ITlsRecordHandler.OnRecordLost(byte contentType, long timestampMicros)
        {
            if (contentType == TlsWire.Handshake && !IsProtected(contentType)) _handshake.OnLost();
        }

        void ITlsRecordHandler.OnSsl2ClientHello(ReadOnlySpan<byte> message, long timestampMicros)
        {
            var hello = TlsClientHello.ParseSsl2(message, _c._counters);
            if (hello is not null) AcceptClientHello(hello);
        }

        bool ITlsHandshakeHandler.WantsMessage(byte handshakeType) =>
            handshakeType is TlsWire.ClientHelloType or TlsWire.ServerHelloType or TlsWire.CertificateType or TlsWire.EncryptedExtensionsType;

        void ITlsHandshakeHandler.OnMessage(byte handshakeType, ReadOnlySpan<byte> body, long timestampMicros)
        {
            switch (handshakeType)
            {
                case TlsWire.ClientHelloType:
                    if (_c._clientHellos.Count >= _c._options.MaxHellos) { _c._counters.Events.Add(TlsParseEvent.TooManyHellos); return; }
                    if (TlsClientHello.Parse(body, _c._counters) is { } ch) AcceptClientHello(ch);
                    break;
                case TlsWire.ServerHelloType:
                    if (_c._serverHellos >= _c._options.MaxHellos) { _c._counters.Events.Add(TlsParseEvent.TooManyHellos); return; }
                    _c._serverHellos++;
                    if (TlsServerHello.Parse(body, _c._counters) is { } sh) AcceptServerHello(sh);
                    break;
                case TlsWire.EncryptedExtensionsType:
                    // TLS 1.3 (decrypted): the server's ALPN choice is here, not in its ServerHello.
                    _c.EncryptedExtensionsAlpn ??= TlsServerHello.ParseAlpnFromExtensions(body, _c._counters);
                    break;
                case TlsWire.CertificateType:
                    var isClient = _c.IsClient(this);
                    if (isClient == true ? _c.ClientCertificate is not null : _c.ServerCertificate is not null) return;
                    var info = TlsCertificateInfo.Parse(body, _c.IsTls13, _c._counters);
                    if (info is null) return;
                    if (isClient == true) _c.ClientCertificate = info;
                    else _c.ServerCertificate = info;
                    break;
            }
        }

        private void AcceptClientHello(TlsClientHello hello)
        {
            if (_c.ClientIsLow is { } low && low != Low) _c._counters.Events.Add(TlsParseEvent.HelloFromWrongSide);
            if (_c._clientHellos.Count == 0) _c.ClientIsLow = Low; // the side that sent the first ClientHello is the client
            _c._clientHellos.Add(hello);
            if (_c._clientHellos.Count == 1) _c.Observer?.OnClientHello(hello);
        }

        private void AcceptServerHello(TlsServerHello hello)
        {
            if (_c.ClientIsLow is { } low && low == Low) _c._counters.Events.Add(TlsParseEvent.HelloFromWrongSide);
            _c.ClientIsLow ??= !Low;
            _c.ServerHellos.Add(hello);
            if (hello.IsHelloRetryRequest)
            {
                _c.HelloRetryRequest ??= hello;
                return;
            }
            if (_c.ServerHello is not null) return; // renegotiation: the first handshake's hello stays
            _c.ServerHello = hello;
            _c.Observer?.OnServerHello(hello);
        }
    }
}
