using System.Buffers;

namespace TrafficSensor.Tls.Decryption;

/// <summary>
/// Decrypts the records of one TLS connection, both directions, with the secrets of a key log.
/// The TLS reader tells it the hellos and ChangeCipherSpecs it sees, then hands it every record after
/// them. TLS 1.0–1.2: the key block comes from the master secret (CLIENT_RANDOM) and the two randoms;
/// each direction is encrypted from its ChangeCipherSpec on, sequence numbers from 0. TLS 1.3: each
/// direction starts with its handshake traffic secret right after the ServerHello, moves to its
/// application secret after its Finished, and to the next secret after each KeyUpdate it sends; the
/// decryptor follows the decrypted handshake messages to see those.
/// A record whose keys are not logged yet (live: the client writes the line a moment later) is held,
/// up to maxPendingBytes per connection, and released in order by <see cref="TryTakePending"/> once
/// the key log has them. Every failure is counted by reason; no input makes it throw.
/// Owned by the flow worker's thread that owns the connection.
/// </summary>
public sealed class TlsConnectionDecryptor : IDisposable
{
    private const byte ChangeCipherSpecType = 20, HandshakeType = 22, ApplicationDataType = 23;
    private const byte FinishedMessage = 20, KeyUpdateMessage = 24;
    /// <summary>A direction whose records fail this many times in a row is given up (wrong keys cost an exception each).</summary>
    private const int MaxConsecutiveFailures = 32;

    /// <summary>The ServerHello.random of a HelloRetryRequest (RFC 8446 4.1.3): SHA-256("HelloRetryRequest").</summary>
    private static ReadOnlySpan<byte> HelloRetryRequestRandom =>
    [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ];

    private readonly TlsKeyLog _keys;
    private readonly TlsDecryptionCounters _counters;
    private readonly int _maxPendingBytes;
    private readonly MemoryBudget? _budget;
    private readonly Direction _client = new(), _server = new();
    private readonly Queue<HeldRecord> _held = new();
    private byte[]? _clientRandom;
    private byte[]? _serverRandom;
    private ushort _version;
    private TlsCipherSuite? _suite;
    private TlsDecryptFailure _noSuiteReason = TlsDecryptFailure.NoHandshake;
    private bool _encryptThenMac;
    private int _heldBytes;
    private bool _disposed;

    public TlsConnectionDecryptor(TlsKeyLog keys, TlsDecryptionCounters counters, int maxPendingBytes)
        : this(keys, counters, maxPendingBytes, null)
    {
    }

    /// <param name="budget">The worker's shared memory budget, so that held records of all connections stay bounded too (optional).</param>
    public TlsConnectionDecryptor(TlsKeyLog keys, TlsDecryptionCounters counters, int maxPendingBytes, MemoryBudget? budget)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(counters);
        _keys = keys;
        _counters = counters;
        _maxPendingBytes = Math.Max(0, maxPendingBytes);
        _budget = budget;
    }

    /// <summary>Why the last record failed (null after a success or a held record).</summary>
    public TlsDecryptFailure? LastFailure { get; private set; }

    /// <summary>Records held while their keys are missing.</summary>
    public int PendingRecords => _held.Count(h => h.Bytes is not null);

    /// <summary>Bytes of the records held.</summary>
    public int PendingBytes => _heldBytes;

    /// <summary>The negotiated version as given by <see cref="OnServerHello"/> (0 before it).</summary>
    public ushort Version => _version;

    /// <summary>The ClientHello's random: the key log's key for this connection.</summary>
    public void OnClientHello(ReadOnlySpan<byte> clientRandom)
    {
        if (clientRandom.Length == 32) _clientRandom = clientRandom.ToArray();
    }

    /// <summary>
    /// The ServerHello: its random, the negotiated version (TLS 1.3 is 0x0304 from supported_versions, not
    /// the legacy 0x0303), the chosen suite and whether encrypt_then_mac was negotiated (CBC suites of TLS 1.0–1.2).
    /// A HelloRetryRequest is recognised by its random and ignored: the real ServerHello follows.
    /// </summary>
    public void OnServerHello(ReadOnlySpan<byte> serverRandom, ushort version, ushort cipherSuite, bool encryptThenMac)
    {
        if (serverRandom.Length != 32 || serverRandom.SequenceEqual(HelloRetryRequestRandom)) return;
        if (_client.Protection is not null || _server.Protection is not null) return; // keys already in use: a late duplicate
        _serverRandom = serverRandom.ToArray();
        _version = version;
        _encryptThenMac = encryptThenMac;
        _suite = TlsCipherSuite.Find(version, cipherSuite);
        _noSuiteReason = version is >= TlsVersions.Tls10 and <= TlsVersions.Tls13 ? TlsDecryptFailure.UnsupportedSuite : TlsDecryptFailure.UnsupportedVersion;
        if (version == TlsVersions.Tls13)
        {
            // Everything after the ServerHello is under the handshake traffic secrets, both ways.
            _client.Encrypted = true;
            _server.Encrypted = true;
        }
    }

    /// <summary>
    /// A ChangeCipherSpec record from one side: in TLS 1.0–1.2 that side encrypts from its next record on.
    /// TLS 1.3's compatibility ChangeCipherSpec changes nothing.
    /// </summary>
    public void OnChangeCipherSpec(bool fromClient)
    {
        if (_version == TlsVersions.Tls13) return;
        var direction = fromClient ? _client : _server;
        direction.Encrypted = true;
        if (++direction.ChangeCipherSpecs > 1)
        {
            direction.Protection?.Dispose();
            direction.Protection = null;
        }
    }

    /// <summary>
    /// Decrypts one record (<paramref name="recordType"/> as in its header, <paramref name="fragment"/> its
    /// body) into <paramref name="plaintext"/>; <paramref name="innerContentType"/> is the real content type
    /// (TLS 1.3 hides it inside the encryption). Records that are not encrypted (a TLS 1.3 compatibility
    /// ChangeCipherSpec, hellos and alerts before encryption) come back unchanged, except that compatibility
    /// ChangeCipherSpecs give no bytes. After any call, call <see cref="TryTakePending"/> until it returns false.
    /// </summary>
    public TlsDecryptOutcome Decrypt(bool fromClient, byte recordType, ReadOnlySpan<byte> fragment,
        IBufferWriter<byte> plaintext, out byte innerContentType)
    {
        LastFailure = null;
        innerContentType = recordType;
        // Records after a held one wait behind it, whatever their direction, so that order is kept.
        if (_held.Count > 0) return Hold(fromClient, recordType, fragment);
        var step = Open(fromClient, recordType, fragment, plaintext, out innerContentType, out var failure);
        return step switch
        {
            Step.Opened => TlsDecryptOutcome.Decrypted,
            Step.KeysMissing when _keys.Follow && !_disposed => Hold(fromClient, recordType, fragment),
            Step.KeysMissing => Fail(TlsDecryptFailure.NoKeys),
            _ => Fail(failure),
        };
    }

    /// <summary>
    /// Releases the oldest held record once its keys are in the key log: returns false while nothing is
    /// held or the keys are still missing; otherwise decrypts it into <paramref name="plaintext"/> (outcome
    /// Decrypted or Failed) and returns true.
    /// </summary>
    public bool TryTakePending(IBufferWriter<byte> plaintext, out bool fromClient, out byte innerContentType, out TlsDecryptOutcome outcome)
    {
        fromClient = false;
        innerContentType = 0;
        outcome = TlsDecryptOutcome.AwaitingKeys;
        while (_held.TryPeek(out var held))
        {
            if (held.Bytes is null)
            {
                // A record of this direction was dropped here: the ones after it cannot be numbered.
                _held.Dequeue();
                var direction = held.FromClient ? _client : _server;
                direction.Desynchronized = true;
                direction.DropPending = false;
                continue;
            }
            var step = Open(held.FromClient, held.Type, held.Bytes.AsSpan(0, held.Length), plaintext, out innerContentType, out var failure);
            if (step == Step.KeysMissing) return false;
            _held.Dequeue();
            Release(held);
            fromClient = held.FromClient;
            LastFailure = null;
            outcome = step == Step.Opened ? TlsDecryptOutcome.Decrypted : Fail(failure);
            return true;
        }
        return false;
    }

    /// <summary>Lets go of held records (counted as NoKeys: their keys never came) and of the ciphers.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        while (_held.TryDequeue(out var held))
        {
            if (held.Bytes is not null) _counters.Failures.Add(TlsDecryptFailure.NoKeys);
            Release(held);
        }
        _client.Protection?.Dispose();
        _server.Protection?.Dispose();
        _client.Protection = _server.Protection = null;
    }

    private enum Step { Opened, Failed, KeysMissing }

    private Step Open(bool fromClient, byte recordType, ReadOnlySpan<byte> fragment, IBufferWriter<byte> plaintext,
        out byte innerContentType, out TlsDecryptFailure failure)
    {
        innerContentType = recordType;
        failure = default;
        var direction = fromClient ? _client : _server;
        var tls13 = _version == TlsVersions.Tls13;
        if (!direction.Encrypted || (tls13 && recordType != ApplicationDataType))
        {
            // Not encrypted: TLS 1.3's compatibility ChangeCipherSpec is passed over; hellos and alerts in the
            // clear come back as they are. Application data is never sent in the clear.
            if (recordType == ApplicationDataType)
            {
                failure = _serverRandom is null ? TlsDecryptFailure.NoHandshake : TlsDecryptFailure.BadRecord;
                return Step.Failed;
            }
            if (!(tls13 && recordType == ChangeCipherSpecType)) plaintext.Write(fragment);
            return Step.Opened;
        }
        if (_suite is null || _clientRandom is null || _serverRandom is null)
        {
            failure = _clientRandom is null || _serverRandom is null ? TlsDecryptFailure.NoHandshake : _noSuiteReason;
            return Step.Failed;
        }
        if (direction.ChangeCipherSpecs > 1)
        {
            failure = TlsDecryptFailure.Renegotiation;
            return Step.Failed;
        }
        if (direction.Desynchronized)
        {
            failure = TlsDecryptFailure.Desynchronized;
            return Step.Failed;
        }
        if (fragment.Length > TlsRecordProtection.MaxFragmentLength)
        {
            failure = TlsDecryptFailure.BadRecord;
            return Step.Failed;
        }
        if (direction.Protection is null && !TryCreateProtection(fromClient, direction)) return Step.KeysMissing;

        var output = plaintext.GetSpan(fragment.Length);
        if (direction.Protection!.Open(recordType, _version, fragment, output, out var written) is { } bad)
        {
            // TLS 1.3 0-RTT: a client's first records may be early data, under keys not used here.
            failure = tls13 && fromClient && !direction.Application && !direction.OpenedInEpoch && bad == TlsDecryptFailure.BadTag
                ? TlsDecryptFailure.EarlyData : bad;
            // A record that fails is most likely a real one damaged (the server would end the connection on a forged one),
            // so it used its sequence number; early data has numbers of its own.
            if (failure != TlsDecryptFailure.EarlyData) direction.Protection.Skip();
            if (++direction.ConsecutiveFailures >= MaxConsecutiveFailures) direction.Desynchronized = true;
            return Step.Failed;
        }
        direction.ConsecutiveFailures = 0;
        direction.OpenedInEpoch = true;
        if (tls13)
        {
            // TLSInnerPlaintext: content, the real content type, then zero padding.
            var end = written;
            while (end > 0 && output[end - 1] == 0) end--;
            if (end == 0)
            {
                failure = TlsDecryptFailure.NoInnerType;
                return Step.Failed;
            }
            innerContentType = output[end - 1];
            written = end - 1;
            if (innerContentType == HandshakeType) direction.Scan(output[..written]);
        }
        plaintext.Advance(written);
        _counters.DecryptedRecords++;
        _counters.DecryptedBytes += written;
        if (tls13) AfterTls13Record(direction);
        return Step.Opened;
    }

    /// <summary>Key changes take effect after the record that announced them (RFC 8446 5.1: they end a record).</summary>
    private void AfterTls13Record(Direction direction)
    {
        if (!direction.Application && direction.FinishedSeen)
        {
            direction.Application = true;
            direction.Secret = null;
            ReplaceProtection(direction, null);
        }
        else if (direction.Application && direction.KeyUpdatesSeen > 0 && direction.Secret is { } secret)
        {
            for (var i = 0; i < direction.KeyUpdatesSeen; i++)
                secret = TlsKeySchedule.ExpandLabel(_suite!.Hash, secret, "traffic upd", [], _suite.HashLength);
            direction.Secret = secret;
            ReplaceProtection(direction, Tls13Protection(secret));
        }
        direction.FinishedSeen = false;
        direction.KeyUpdatesSeen = 0;
    }

    private bool TryCreateProtection(bool fromClient, Direction direction)
    {
        var suite = _suite!;
        if (_version == TlsVersions.Tls13)
        {
            if (direction.Secret is null)
            {
                var label = (fromClient, direction.Application) switch
                {
                    (true, false) => TlsSecretLabel.ClientHandshakeTrafficSecret,
                    (false, false) => TlsSecretLabel.ServerHandshakeTrafficSecret,
                    (true, true) => TlsSecretLabel.ClientTrafficSecret0,
                    (false, true) => TlsSecretLabel.ServerTrafficSecret0,
                };
                if (!_keys.TryGetSecret(label, _clientRandom, out var secret)) return false;
                direction.Secret = secret;
            }
            ReplaceProtection(direction, Tls13Protection(direction.Secret));
            return true;
        }
        if (!_keys.TryGetSecret(TlsSecretLabel.ClientRandom, _clientRandom, out var master)) return false;
        // key_block = client MAC key, server MAC key, client key, server key, client IV, server IV (RFC 5246 6.3).
        int mac = suite.MacLength, key = suite.KeyLength, iv = suite.FixedIvLength;
        var block = TlsKeySchedule.KeyBlock(_version, suite.Hash, master, _clientRandom, _serverRandom, 2 * (mac + key + iv));
        var side = fromClient ? 0 : 1;
        ReadOnlySpan<byte> keyBlock = block;
        ReplaceProtection(direction, TlsRecordProtection.Create(suite, _version, _encryptThenMac,
            keyBlock.Slice(2 * mac + side * key, key),
            keyBlock.Slice(2 * (mac + key) + side * iv, iv),
            keyBlock.Slice(side * mac, mac)));
        return true;
    }

    private TlsRecordProtection Tls13Protection(byte[] secret)
    {
        var suite = _suite!;
        var key = TlsKeySchedule.ExpandLabel(suite.Hash, secret, "key", [], suite.KeyLength);
        var iv = TlsKeySchedule.ExpandLabel(suite.Hash, secret, "iv", [], 12);
        return TlsRecordProtection.Create(suite, _version, false, key, iv, []);
    }

    private static void ReplaceProtection(Direction direction, TlsRecordProtection? protection)
    {
        direction.Protection?.Dispose();
        direction.Protection = protection;
        direction.OpenedInEpoch = false;
    }

    private TlsDecryptOutcome Hold(bool fromClient, byte recordType, ReadOnlySpan<byte> fragment)
    {
        if (_disposed || _heldBytes + fragment.Length > _maxPendingBytes || !(_budget?.TryReserve(fragment.Length) ?? true))
        {
            // Dropped: the direction's later records cannot be numbered. Its records held before this one still can,
            // so a marker in the queue gives the direction up when it is reached (one marker per drop run).
            var direction = fromClient ? _client : _server;
            if (_held.Count == 0) direction.Desynchronized = true;
            else if (!direction.DropPending)
            {
                direction.DropPending = true;
                _held.Enqueue(new HeldRecord(fromClient, 0, null, 0));
            }
            return Fail(TlsDecryptFailure.BufferFull);
        }
        var bytes = ArrayPool<byte>.Shared.Rent(Math.Max(1, fragment.Length));
        fragment.CopyTo(bytes);
        _held.Enqueue(new HeldRecord(fromClient, recordType, bytes, fragment.Length));
        _heldBytes += fragment.Length;
        _counters.HeldRecords++;
        return TlsDecryptOutcome.AwaitingKeys;
    }

    private void Release(HeldRecord held)
    {
        if (held.Bytes is null) return;
        _heldBytes -= held.Length;
        _budget?.Release(held.Length);
        ArrayPool<byte>.Shared.Return(held.Bytes);
    }

    private TlsDecryptOutcome Fail(TlsDecryptFailure reason)
    {
        LastFailure = reason;
        _counters.Failures.Add(reason);
        return TlsDecryptOutcome.Failed;
    }

    /// <summary>A record waiting for its keys (rented bytes), or with null bytes the place where a record of the direction was dropped.</summary>
    private readonly record struct HeldRecord(bool FromClient, byte Type, byte[]? Bytes, int Length);

    /// <summary>The read state of one direction.</summary>
    private sealed class Direction
    {
        /// <summary>TLS 1.0–1.2: after this side's ChangeCipherSpec; TLS 1.3: after the ServerHello.</summary>
        public bool Encrypted;
        public int ChangeCipherSpecs;
        /// <summary>TLS 1.3: past this side's Finished, under its application traffic secrets.</summary>
        public bool Application;
        /// <summary>TLS 1.3: the current traffic secret of this side.</summary>
        public byte[]? Secret;
        public TlsRecordProtection? Protection;
        public bool Desynchronized;
        /// <summary>A drop marker of this direction is in the held queue.</summary>
        public bool DropPending;
        public int ConsecutiveFailures;
        public bool OpenedInEpoch;
        public bool FinishedSeen;
        public int KeyUpdatesSeen;
        // Handshake message framing across records (TLS 1.3): bodies are skipped, not kept.
        private readonly byte[] _header = new byte[4];
        private int _headerFill;
        private int _bodyRemaining;

        /// <summary>Follows handshake messages (type, 24-bit length, body) to see Finished and KeyUpdate complete.</summary>
        public void Scan(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                if (_headerFill < 4)
                {
                    var n = Math.Min(4 - _headerFill, bytes.Length);
                    bytes[..n].CopyTo(_header.AsSpan(_headerFill));
                    _headerFill += n;
                    bytes = bytes[n..];
                    if (_headerFill < 4) return;
                    _bodyRemaining = _header[1] << 16 | _header[2] << 8 | _header[3];
                }
                var take = Math.Min(_bodyRemaining, bytes.Length);
                _bodyRemaining -= take;
                bytes = bytes[take..];
                if (_bodyRemaining > 0) return;
                if (_header[0] == FinishedMessage) FinishedSeen = true;
                else if (_header[0] == KeyUpdateMessage) KeyUpdatesSeen++;
                _headerFill = 0;
            }
        }
    }
}
