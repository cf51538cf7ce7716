using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using TrafficSensor.Tls;
using static TrafficSensor.Tests.Tls.TlsMessages;

namespace TrafficSensor.Tests.Tls;

/// <summary>TLS 1.3 handshake messages fed back decrypted (EncryptedExtensions, Certificate) are read like clear ones.</summary>
public class TlsDecryptedHandshakeTests
{
    [Fact]
    public void Tls13_encrypted_extensions_and_certificate_are_read_when_decrypted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // The builder encodes last-added first: this encodes C, O, CN, the order Suricata (and openssl) write.
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName("shop.example");
        subject.AddOrganizationName("Example Org");
        subject.AddCountryOrRegion("DE");
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        var notBefore = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        using var cert = request.Create(new X500DistinguishedName("CN=Issuer CA, O=Example Org"), X509SignatureGenerator.CreateForECDsa(key),
            notBefore, notBefore.AddDays(90), [0x00, 0x9a, 0x01, 0x02]);
        var der = cert.RawData;

        var parser = new TlsConnectionParser(new TlsCounters(), new MemoryBudget(1 << 20), new TlsMetadataOptions(), clientIsLow: true);
        parser.FromLow.OnData(Record(22, Ja4SpecClientHello()), 0);
        parser.FromHigh.OnData(Record(22, ServerHello(0x1301, [Extension(0x002b, U16(0x0304))])), 0);
        Assert.Null(parser.ServerAlpn);

        byte[] encryptedExtensions = Handshake(8, Vector(2, Alpn("h2")));
        byte[] certificate = Handshake(11, [.. Vector(1), .. Vector(3, Vector(3, der), Vector(2))]); // context, entry with no extensions
        byte[] flight = [.. encryptedExtensions, .. certificate];
        parser.OnDecryptedHandshake(fromClient: false, flight.AsSpan(0, 10), 0);
        parser.OnDecryptedHandshake(fromClient: false, flight.AsSpan(10), 0);

        Assert.Equal("h2", parser.ServerAlpn);
        var info = parser.ServerCertificate!;
        Assert.Equal("C=DE, O=Example Org, CN=shop.example", info.Subject);
        Assert.Equal("O=Example Org, CN=Issuer CA", info.IssuerDn); // the string form .NET parsed was encoded last-first
        Assert.Equal("00:9A:01:02", info.Serial);
        Assert.Equal(string.Join(':', SHA1.HashData(der).Select(b => b.ToString("x2"))), info.Fingerprint);
        Assert.Equal("2025-01-02T03:04:05", info.NotBefore);
        Assert.Equal("2025-04-02T03:04:05", info.NotAfter);
    }
}
