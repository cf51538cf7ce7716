using System.Buffers;

namespace TrafficSensor.Tls.Decryption;

/// <summary>
/// Decrypts the records of one TLS connection, both directions, with the secrets of a key log.
/// Owned by the flow worker's thread that owns the connection.
/// </summary>
public sealed class TlsConnectionDecryptor
{
    public TlsConnectionDecryptor(TlsKeyLog keys, TlsDecryptionCounters counters, int maxPendingBytes)
    {
        throw new NotImplementedException();
    }

    /// <summary>Why the last record failed (null after a success).</summary>
    public TlsDecryptFailure? LastFailure { get; private set; }

    public void OnClientHello(ReadOnlySpan<byte> clientRandom) => throw new NotImplementedException();

    public void OnServerHello(ReadOnlySpan<byte> serverRandom, ushort version, ushort cipherSuite, bool encryptThenMac) =>
        throw new NotImplementedException();

    public void OnChangeCipherSpec(bool fromClient) => throw new NotImplementedException();

    public TlsDecryptOutcome Decrypt(bool fromClient, byte recordType, ReadOnlySpan<byte> fragment,
        IBufferWriter<byte> plaintext, out byte innerContentType) => throw new NotImplementedException();

    public bool TryTakePending(IBufferWriter<byte> plaintext, out bool fromClient, out byte innerContentType, out TlsDecryptOutcome outcome) =>
        throw new NotImplementedException();
}
