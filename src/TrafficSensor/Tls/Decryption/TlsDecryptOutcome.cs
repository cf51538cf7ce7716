namespace TrafficSensor.Tls.Decryption;

/// <summary>What became of one record handed to <see cref="TlsConnectionDecryptor.Decrypt"/>.</summary>
public enum TlsDecryptOutcome
{
    /// <summary>Plaintext written (possibly none, e.g. a TLS 1.3 compatibility ChangeCipherSpec passed over).</summary>
    Decrypted,
    /// <summary>Held until the key log has the connection's keys; released by <see cref="TlsConnectionDecryptor.TryTakePending"/>.</summary>
    AwaitingKeys,
    /// <summary>Not decrypted; <see cref="TlsConnectionDecryptor.LastFailure"/> says why (and it is counted).</summary>
    Failed,
}

/// <summary>Why a record was not decrypted (counted by <see cref="TlsDecryptionCounters"/>).</summary>
public enum TlsDecryptFailure
{
    /// <summary>The key log has no secret for the connection's client random.</summary>
    NoKeys,
    /// <summary>The connection was picked up after its hellos: no client random or suite to decrypt with.</summary>
    NoHandshake,
    /// <summary>A protocol version the decryptor does not handle (SSL 3.0, DTLS, ...).</summary>
    UnsupportedVersion,
    /// <summary>A cipher suite the decryptor does not handle (CCM, CBC with 3DES, export, NULL, ...).</summary>
    UnsupportedSuite,
    /// <summary>The AEAD tag did not verify: wrong key, altered or injected record.</summary>
    BadTag,
    /// <summary>The CBC record's HMAC did not verify.</summary>
    BadMac,
    /// <summary>The CBC padding is malformed (or the record is not a whole number of blocks).</summary>
    BadPadding,
    /// <summary>A record too short for its suite's nonce, IV or tag, or longer than TLS allows.</summary>
    BadRecord,
    /// <summary>TLS 1.3: an inner plaintext of zero padding only, without a content type.</summary>
    NoInnerType,
    /// <summary>The held-records buffer of the connection was full: the record was dropped.</summary>
    BufferFull,
    /// <summary>A direction lost records earlier (dropped or undecryptable): its sequence numbers are unknown.</summary>
    Desynchronized,
    /// <summary>A second ChangeCipherSpec (TLS 1.2 renegotiation): its keys come from an encrypted handshake.</summary>
    Renegotiation,
    /// <summary>TLS 1.3 0-RTT early data (not decrypted; the early secrets are not used).</summary>
    EarlyData,
}
