namespace TrafficSensor.Tls.Decryption;

/// <summary>The NSS key log labels the decryptor uses (EXPORTER_SECRET and the early-data secrets are read and ignored).</summary>
public enum TlsSecretLabel
{
    /// <summary><c>CLIENT_RANDOM</c>: the TLS 1.0–1.2 master secret (48 bytes).</summary>
    ClientRandom,
    /// <summary><c>CLIENT_HANDSHAKE_TRAFFIC_SECRET</c> (TLS 1.3).</summary>
    ClientHandshakeTrafficSecret,
    /// <summary><c>SERVER_HANDSHAKE_TRAFFIC_SECRET</c> (TLS 1.3).</summary>
    ServerHandshakeTrafficSecret,
    /// <summary><c>CLIENT_TRAFFIC_SECRET_0</c> (TLS 1.3).</summary>
    ClientTrafficSecret0,
    /// <summary><c>SERVER_TRAFFIC_SECRET_0</c> (TLS 1.3).</summary>
    ServerTrafficSecret0,
}
