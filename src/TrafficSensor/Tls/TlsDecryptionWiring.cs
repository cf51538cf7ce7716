using System.Buffers;
using TrafficSensor.Tls.Decryption;

namespace TrafficSensor.Tls;

/// <summary>Where decrypted application data goes (the TLS session's inner protocol session).</summary>
public interface ITlsPlaintextSink
{
    void OnApplicationData(bool fromClient, ReadOnlySpan<byte> plaintext, long timestampMicros);
}

/// <summary>
/// The one place the metadata parser meets the decryptor (HTTPS-CONTRACT section 2): hellos and
/// ChangeCipherSpec go to the <see cref="TlsConnectionDecryptor"/>, every protected record is decrypted;
/// decrypted handshake bytes (TLS 1.3 EncryptedExtensions, Certificate, ...) go back to the parser,
/// decrypted application data to the plaintext sink. Records held for keys not yet logged are taken
/// back as they are released. Owned by the flow worker's thread.
/// </summary>
public sealed class TlsDecryptionWiring : ITlsConnectionObserver
{
    private readonly TlsConnectionDecryptor _decryptor;
    private readonly TlsConnectionParser _parser;
    private readonly ITlsPlaintextSink _sink;
    private readonly ArrayBufferWriter<byte> _plaintext = new(4096);

    public TlsDecryptionWiring(TlsConnectionDecryptor decryptor, TlsConnectionParser parser, ITlsPlaintextSink sink)
    {
        _decryptor = decryptor;
        _parser = parser;
        _sink = sink;
        parser.Observer = this;
    }

    public long DecryptedRecords { get; private set; }
    public long FailedRecords { get; private set; }

    public bool WantsProtectedRecords => true;

    public void OnClientHello(TlsClientHello hello) => _decryptor.OnClientHello(hello.Random);

    public void OnServerHello(TlsServerHello hello) =>
        _decryptor.OnServerHello(hello.Random, hello.NegotiatedVersion, hello.CipherSuite, hello.EncryptThenMac);

    public void OnChangeCipherSpec(bool fromClient) => _decryptor.OnChangeCipherSpec(fromClient);

    public void OnProtectedRecord(bool fromClient, byte contentType, ReadOnlySpan<byte> fragment, long timestampMicros)
    {
        _plaintext.ResetWrittenCount();
        var outcome = _decryptor.Decrypt(fromClient, contentType, fragment, _plaintext, out var innerType);
        Deliver(fromClient, outcome, innerType, timestampMicros);
        TakeReleased(timestampMicros);
    }

    /// <summary>Records released because their keys arrived (live capture with a growing key log).</summary>
    public void TakeReleased(long timestampMicros)
    {
        while (true)
        {
            _plaintext.ResetWrittenCount();
            if (!_decryptor.TryTakePending(_plaintext, out var fromClient, out var innerType, out var outcome)) return;
            Deliver(fromClient, outcome, innerType, timestampMicros);
        }
    }

    private void Deliver(bool fromClient, TlsDecryptOutcome outcome, byte innerType, long timestampMicros)
    {
        if (outcome == TlsDecryptOutcome.Failed) FailedRecords++;
        if (outcome != TlsDecryptOutcome.Decrypted || _plaintext.WrittenCount == 0) return;
        DecryptedRecords++;
        switch (innerType)
        {
            case TlsWire.Handshake:
                _parser.OnDecryptedHandshake(fromClient, _plaintext.WrittenSpan, timestampMicros);
                break;
            case TlsWire.ApplicationData:
                _sink.OnApplicationData(fromClient, _plaintext.WrittenSpan, timestampMicros);
                break;
        }
    }
}
