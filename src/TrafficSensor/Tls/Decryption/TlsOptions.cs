namespace TrafficSensor.Tls.Decryption;

/// <summary>Decryption of TLS with an NSS key log (SSLKEYLOGFILE); without a key log TLS is read for metadata only.</summary>
public sealed record TlsOptions
{
    /// <summary>NSS key log file (the format SSLKEYLOGFILE writes); null: no decryption. Live capture re-reads it as it grows.</summary>
    public string? KeyLogFile { get; init; }

    /// <summary>
    /// Encrypted records of one connection held while their keys are not yet in the key log (live: the
    /// client writes its key log line a moment after the handshake). Beyond it records are dropped and counted.
    /// </summary>
    public int MaxPendingBytes { get; init; } = 256 * 1024;

    /// <summary>Bytes of key log read at most (a key log line is about 180 bytes); beyond it lines are ignored and counted.</summary>
    public long MaxKeyLogBytes { get; init; } = 64L << 20;

    /// <summary>
    /// The key log loaded from <see cref="KeyLogFile"/> by the command line at start-up (not a configuration
    /// value: always null in a configuration file). TLS sessions decrypt when it is present.
    /// </summary>
    public TlsKeyLog? KeyLog { get; init; }
}
