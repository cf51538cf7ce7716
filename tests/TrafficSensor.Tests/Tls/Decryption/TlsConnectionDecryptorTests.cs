using System.Buffers;
using System.Text;
using CsCheck;
using TrafficSensor.Tls.Decryption;

namespace TrafficSensor.Tests.Tls.Decryption;

/// <summary>Hostile and unlucky cases: wrong keys, damaged records, keys that come late or never. Counted, never thrown.</summary>
public sealed class TlsConnectionDecryptorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tdec-decryptor-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Capture(string name) => Path.Combine(CaptureDecryptionTests.Directory, name + ".pcap");
    private static string Keys(string name) => Path.Combine(CaptureDecryptionTests.Directory, name + ".keys");

    /// <summary>The key log with one hex digit of every secret changed.</summary>
    private static TlsKeyLog WrongKeys(string name) => TlsKeyLog.Parse(string.Join('\n', File.ReadAllLines(Keys(name)).Select(line =>
    {
        var fields = line.Split(' ');
        if (fields.Length != 3) return line;
        var secret = fields[2].ToCharArray();
        secret[10] = secret[10] == '0' ? '1' : '0';
        return $"{fields[0]} {fields[1]} {new string(secret)}";
    })));

    [Theory]
    [InlineData("tls12-ecdhe-rsa-aes128-gcm-sha256", TlsDecryptFailure.BadTag)]
    [InlineData("tls12-ecdhe-rsa-chacha20-poly1305", TlsDecryptFailure.BadTag)]
    [InlineData("tls12-aes256-sha256-etm", TlsDecryptFailure.BadMac)]
    [InlineData("tls13-aes256-gcm-sha384", TlsDecryptFailure.BadTag)]
    public void With_wrong_keys_every_record_fails_and_is_counted(string name, TlsDecryptFailure expected)
    {
        var connection = TlsTestConnection.FromPcap(Capture(name));
        var counters = new TlsDecryptionCounters();
        using var decryptor = new TlsConnectionDecryptor(WrongKeys(name), counters, 64 * 1024);
        var result = connection.Decrypt(decryptor);
        var encrypted = result.Records.Where(r => r.Outcome != TlsDecryptOutcome.Decrypted || r.InnerType != 20).ToList();
        Assert.NotEmpty(encrypted);
        Assert.All(encrypted, r => Assert.Equal(TlsDecryptOutcome.Failed, r.Outcome));
        Assert.Empty(result.ClientApplicationData);
        Assert.Empty(result.ServerApplicationData);
        var failures = counters.Failures.NonZero();
        Assert.Equal(encrypted.Count, failures.Values.Sum());
        // TLS 1.3: the client's first failing records could be 0-RTT data, so they count as such.
        Assert.True(counters.Failures[expected] > 0, string.Join(", ", failures));
    }

    [Fact]
    public void Wrong_keys_on_mac_then_encrypt_cbc_fail_on_padding_or_mac()
    {
        const string name = "tls12-ecdhe-rsa-aes128-sha-noetm";
        var counters = new TlsDecryptionCounters();
        using var decryptor = new TlsConnectionDecryptor(WrongKeys(name), counters, 64 * 1024);
        var result = TlsTestConnection.FromPcap(Capture(name)).Decrypt(decryptor);
        Assert.All(result.Records, r => Assert.Contains(r.Failure, new TlsDecryptFailure?[] { TlsDecryptFailure.BadPadding, TlsDecryptFailure.BadMac }));
        Assert.Equal(result.Records.Count, counters.Failures[TlsDecryptFailure.BadPadding] + counters.Failures[TlsDecryptFailure.BadMac]);
    }

    [Theory]
    [InlineData("tls12-ecdhe-rsa-aes128-gcm-sha256")]
    [InlineData("tls12-ecdhe-rsa-aes256-sha384-etm")]
    [InlineData("tls12-aes256-sha256-noetm")]
    [InlineData("tls13-chacha20-poly1305-sha256")]
    public void A_flipped_bit_fails_that_record_only(string name)
    {
        var connection = TlsTestConnection.FromPcap(Capture(name));
        var target = connection.Records.First(r => r.FromClient && r.Type == 23 && r.Fragment.Length > 64);
        var counters = new TlsDecryptionCounters();
        using var decryptor = new TlsConnectionDecryptor(TlsKeyLog.Load(Keys(name), false), counters, 64 * 1024);
        var result = connection.Decrypt(decryptor, r =>
        {
            if (!ReferenceEquals(r, target)) return r;
            var damaged = r.Fragment.ToArray();
            damaged[^1] ^= 0x01; // the tag, or the MAC / padding of CBC
            return r with { Fragment = damaged };
        });
        var failed = Assert.Single(result.Records, r => r.Outcome == TlsDecryptOutcome.Failed);
        Assert.True(failed.FromClient);
        Assert.Equal(1, counters.Failures.NonZero().Values.Sum());
        Assert.Empty(result.ClientApplicationData); // the request was that record
        Assert.EndsWith("exactly this line.\n", Encoding.Latin1.GetString(result.ServerApplicationData.ToArray()));
        // The client's later records (its close_notify alert) still decrypt: the damaged one used its sequence number.
        Assert.Contains(result.Records, r => r.FromClient && r.InnerType == 21 && r.Outcome == TlsDecryptOutcome.Decrypted);
    }

    [Theory]
    [InlineData(0, TlsDecryptFailure.BadRecord)]
    [InlineData(20, TlsDecryptFailure.BadRecord)]
    [InlineData(40, TlsDecryptFailure.BadTag)]
    public void A_truncated_record_fails_as_such(int keep, TlsDecryptFailure expected)
    {
        const string name = "tls12-ecdhe-rsa-aes128-gcm-sha256";
        var connection = TlsTestConnection.FromPcap(Capture(name));
        var target = connection.Records.First(r => r.FromClient && r.Type == 23);
        var counters = new TlsDecryptionCounters();
        using var decryptor = new TlsConnectionDecryptor(TlsKeyLog.Load(Keys(name), false), counters, 64 * 1024);
        var result = connection.Decrypt(decryptor, r => ReferenceEquals(r, target) ? r with { Fragment = r.Fragment[..keep] } : r);
        Assert.Equal(expected, Assert.Single(result.Records, r => r.Outcome == TlsDecryptOutcome.Failed).Failure);
        Assert.Equal(1, counters.Failures[expected]);
    }

    [Fact]
    public void Records_without_keys_fail_as_NoKeys_when_the_key_log_is_not_followed()
    {
        const string name = "tls13-aes128-gcm-sha256";
        var counters = new TlsDecryptionCounters();
        using var decryptor = new TlsConnectionDecryptor(TlsKeyLog.Parse("# nothing\n"), counters, 64 * 1024);
        var result = TlsTestConnection.FromPcap(Capture(name)).Decrypt(decryptor);
        var encrypted = result.Records.Where(r => r.InnerType == 23).ToList();
        Assert.All(encrypted, r => Assert.Equal(TlsDecryptFailure.NoKeys, r.Failure));
        Assert.Equal(encrypted.Count, counters.Failures[TlsDecryptFailure.NoKeys]);
        Assert.Equal(0, decryptor.PendingRecords);
    }

    [Theory]
    [InlineData("tls12-ecdhe-rsa-aes128-gcm-sha256")]
    [InlineData("tls13-keyupdate")]
    public void Records_wait_for_keys_that_come_later_and_are_released_in_order(string name)
    {
        var path = Path.Combine(_dir, name + ".keys");
        File.WriteAllText(path, "# keys come later\n");
        var keyLog = TlsKeyLog.Load(path, follow: true);
        var counters = new TlsDecryptionCounters();
        using var decryptor = new TlsConnectionDecryptor(keyLog, counters, 64 * 1024);
        var connection = TlsTestConnection.FromPcap(Capture(name));

        var early = connection.Decrypt(decryptor);
        var held = early.Records.Count(r => r.Outcome == TlsDecryptOutcome.AwaitingKeys);
        Assert.True(held > 0);
        Assert.All(early.Records, r => Assert.NotEqual(TlsDecryptOutcome.Failed, r.Outcome));
        Assert.Equal(held, decryptor.PendingRecords);
        Assert.Equal(held, counters.HeldRecords);
        Assert.False(decryptor.TryTakePending(new ArrayBufferWriter<byte>(), out _, out _, out _));

        File.AppendAllText(path, File.ReadAllText(Keys(name)));
        Assert.True(keyLog.Refresh() > 0);
        var client = new List<byte>();
        var server = new List<byte>();
        var writer = new ArrayBufferWriter<byte>();
        var released = 0;
        while (decryptor.TryTakePending(writer, out var fromClient, out var inner, out var outcome))
        {
            Assert.Equal(TlsDecryptOutcome.Decrypted, outcome);
            if (inner == 23) (fromClient ? client : server).AddRange(writer.WrittenSpan.ToArray());
            writer.Clear();
            released++;
        }
        Assert.Equal(held, released);
        Assert.Equal(0, decryptor.PendingBytes);
        Assert.Empty(counters.Failures.NonZero());
        Assert.StartsWith("GET /hello.txt HTTP/1.", Encoding.Latin1.GetString(client.ToArray()));
        Assert.EndsWith("exactly this line.\n", Encoding.Latin1.GetString(server.ToArray()));
    }

    [Fact]
    public void A_full_buffer_drops_and_counts_and_the_direction_is_then_given_up()
    {
        const string name = "tls12-ecdhe-rsa-aes128-gcm-sha256";
        var path = Path.Combine(_dir, "late.keys");
        File.WriteAllText(path, "");
        var keyLog = TlsKeyLog.Load(path, follow: true);
        var counters = new TlsDecryptionCounters();
        var connection = TlsTestConnection.FromPcap(Capture(name));
        // Room for the client's Finished (40 bytes) but not for the records after it.
        using var decryptor = new TlsConnectionDecryptor(keyLog, counters, 60);
        var result = connection.Decrypt(decryptor);
        Assert.Equal(1, result.Records.Count(r => r.Outcome == TlsDecryptOutcome.AwaitingKeys));
        var dropped = result.Records.Count(r => r.Failure == TlsDecryptFailure.BufferFull);
        Assert.True(dropped > 0);
        Assert.Equal(dropped, counters.Failures[TlsDecryptFailure.BufferFull]);
        Assert.True(decryptor.PendingBytes <= 60);

        File.WriteAllText(path, File.ReadAllText(Keys(name)));
        Assert.Equal(1, decryptor.PendingRecords);
        Assert.Equal(1, keyLog.Refresh());
        var writer = new ArrayBufferWriter<byte>();
        Assert.True(decryptor.TryTakePending(writer, out var fromClient, out var inner, out var outcome));
        Assert.Equal((true, (byte)22, TlsDecryptOutcome.Decrypted), (fromClient, inner, outcome));
        Assert.False(decryptor.TryTakePending(writer, out _, out _, out _));
        // The dropped records took their sequence numbers with them: the rest of the direction is given up.
        var request = connection.Records.First(r => r.FromClient && r.Type == 23);
        Assert.Equal(TlsDecryptOutcome.Failed, decryptor.Decrypt(true, 23, request.Fragment, writer, out _));
        Assert.Equal(TlsDecryptFailure.Desynchronized, decryptor.LastFailure);
    }

    [Fact]
    public void Records_still_held_when_the_connection_ends_count_as_NoKeys()
    {
        var keyLog = TlsKeyLog.Load(WriteEmpty("never.keys"), follow: true);
        var counters = new TlsDecryptionCounters();
        var decryptor = new TlsConnectionDecryptor(keyLog, counters, 64 * 1024);
        var result = TlsTestConnection.FromPcap(Capture("tls13-aes128-gcm-sha256")).Decrypt(decryptor);
        var held = result.Records.Count(r => r.Outcome == TlsDecryptOutcome.AwaitingKeys);
        Assert.True(held > 0);
        decryptor.Dispose();
        Assert.Equal(held, counters.Failures[TlsDecryptFailure.NoKeys]);
        Assert.Equal(0, decryptor.PendingBytes);
    }

    [Fact]
    public void Without_hellos_or_with_a_suite_it_cannot_decrypt_the_reason_is_named()
    {
        var keys = TlsKeyLog.Parse("");
        var counters = new TlsDecryptionCounters();
        var writer = new ArrayBufferWriter<byte>();
        var random = new byte[32];

        using var pickedUpLate = new TlsConnectionDecryptor(keys, counters, 1024);
        pickedUpLate.OnChangeCipherSpec(true);
        Assert.Equal(TlsDecryptOutcome.Failed, pickedUpLate.Decrypt(true, 23, new byte[40], writer, out _));
        Assert.Equal(TlsDecryptFailure.NoHandshake, pickedUpLate.LastFailure);

        using var tripleDes = new TlsConnectionDecryptor(keys, counters, 1024);
        tripleDes.OnClientHello(random);
        tripleDes.OnServerHello(random, TlsVersions.Tls12, 0x000A, false);
        tripleDes.OnChangeCipherSpec(false);
        Assert.Equal(TlsDecryptOutcome.Failed, tripleDes.Decrypt(false, 22, new byte[40], writer, out _));
        Assert.Equal(TlsDecryptFailure.UnsupportedSuite, tripleDes.LastFailure);

        using var ssl3 = new TlsConnectionDecryptor(keys, counters, 1024);
        ssl3.OnClientHello(random);
        ssl3.OnServerHello(random, 0x0300, 0x002F, false);
        ssl3.OnChangeCipherSpec(false);
        ssl3.Decrypt(false, 22, new byte[40], writer, out _);
        Assert.Equal(TlsDecryptFailure.UnsupportedVersion, ssl3.LastFailure);

        // A HelloRetryRequest is not the ServerHello: the connection has none yet.
        using var retry = new TlsConnectionDecryptor(keys, counters, 1024);
        retry.OnClientHello(random);
        retry.OnServerHello(Convert.FromHexString("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C"), TlsVersions.Tls13, 0x1301, false);
        retry.Decrypt(false, 23, new byte[40], writer, out _);
        Assert.Equal(TlsDecryptFailure.NoHandshake, retry.LastFailure);

        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void Arbitrary_records_and_hellos_never_throw_and_never_write_more_than_the_record()
    {
        var keys = TlsKeyLog.Load(Keys("tls12-ecdhe-rsa-aes128-gcm-sha256"), false);
        ushort[] versions = [0x0300, TlsVersions.Tls10, TlsVersions.Tls11, TlsVersions.Tls12, TlsVersions.Tls13, 0xFEFD];
        ushort[] suites = [0x002F, 0x0035, 0x003C, 0xC013, 0xC028, 0xC02F, 0xC030, 0xCCA8, 0x1301, 0x1302, 0x1303, 0x1304, 0x1305, 0x000A, 0xFFFF];
        var record = Gen.Select(Gen.Bool, Gen.Byte[20, 24], Gen.Byte.Array[0, 300]);
        Gen.Select(Gen.Int[0, versions.Length - 1], Gen.Int[0, suites.Length - 1], Gen.Bool, Gen.Byte.Array[32], record.Array[0, 12], Gen.Int[0, 600])
            .Sample((version, suite, etm, random, records, maxPending) =>
            {
                var counters = new TlsDecryptionCounters();
                using var decryptor = new TlsConnectionDecryptor(keys, counters, maxPending);
                decryptor.OnClientHello(random);
                decryptor.OnServerHello(random, versions[version], suites[suite], etm);
                var writer = new ArrayBufferWriter<byte>();
                foreach (var (fromClient, type, fragment) in records)
                {
                    if (type == 20) decryptor.OnChangeCipherSpec(fromClient);
                    writer.Clear();
                    decryptor.Decrypt(fromClient, type, fragment, writer, out _);
                    Assert.True(writer.WrittenCount <= fragment.Length);
                    while (decryptor.TryTakePending(writer, out _, out _, out _)) writer.Clear();
                }
            }, iter: 2000);
    }

    private string WriteEmpty(string name)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, "");
        return path;
    }
}
