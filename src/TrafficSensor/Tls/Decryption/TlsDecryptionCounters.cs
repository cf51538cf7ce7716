namespace TrafficSensor.Tls.Decryption;

/// <summary>Decryption counters of one flow worker (single-threaded like it); totals by <see cref="Add"/>.</summary>
public sealed class TlsDecryptionCounters
{
    /// <summary>Records decrypted (compatibility ChangeCipherSpec records passed over included).</summary>
    public long DecryptedRecords { get; internal set; }
    /// <summary>Plaintext bytes produced.</summary>
    public long DecryptedBytes { get; internal set; }
    /// <summary>Records held at least once while their keys were missing.</summary>
    public long HeldRecords { get; internal set; }
    /// <summary>Records that failed, by reason.</summary>
    public ReasonCounters<TlsDecryptFailure> Failures { get; } = new();

    public void Add(TlsDecryptionCounters other)
    {
        DecryptedRecords += other.DecryptedRecords;
        DecryptedBytes += other.DecryptedBytes;
        HeldRecords += other.HeldRecords;
        Failures.Add(other.Failures);
    }
}
