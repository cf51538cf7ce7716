using TrafficSensor.Tls;
using static TrafficSensor.Tests.Tls.TlsMessages;

namespace TrafficSensor.Tests.Tls;

/// <summary>JA4 against the FoxIO specification's published examples (technical_details/JA4.md).</summary>
public class Ja4SpecTests
{
    private static TlsClientHello Parse(byte[] handshake)
    {
        var hello = TlsClientHello.Parse(handshake.AsSpan(4), new TlsCounters());
        Assert.NotNull(hello);
        return hello;
    }

    [Fact]
    public void Specification_example_hello_gives_the_published_fingerprint()
    {
        var hello = Parse(Ja4SpecClientHello());
        Assert.Equal("t13d1516h2_8daaf6152771_e5627efa2ab1", TlsFingerprints.Ja4(hello));
        Assert.Equal("t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601",
            TlsFingerprints.Ja4Raw(hello));
    }

    [Fact]
    public void Published_raw_fingerprints_hash_to_the_published_fingerprints()
    {
        // JA4.md "Raw Output" (JA4_r -> JA4).
        Assert.Equal("t13d1516h2_8daaf6152771_e5627efa2ab1", TlsFingerprints.Ja4FromRaw(
            "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"));
        // JA4.md "Raw Output" with original order (JA4_ro -> JA4_o).
        Assert.Equal("t13d1516h2_acb858a92679_18f69afefd3d", TlsFingerprints.Ja4FromRaw(
            "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601"));
        // JA4.md "Extension hash": a list without signature algorithms has no underscore.
        Assert.EndsWith("_6d807ffa2a79", TlsFingerprints.Ja4FromRaw("t13d1516h2_x_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01"));
    }

    [Fact]
    public void Without_signature_algorithms_the_extension_list_is_hashed_alone()
    {
        var extensions = new[] { Sni("a.example"), Extension(0x000b, Vector(1, [0])), Extension(0x0017, []) };
        var hello = Parse(ClientHello([0x1301], extensions));
        Assert.Equal("t12d0103" + "00_" + Sha12("1301") + "_" + Sha12("000b,0017"), TlsFingerprints.Ja4(hello));
    }

    [Fact]
    public void Empty_lists_give_zeros_and_no_sni_gives_i()
    {
        var hello = Parse(ClientHello([0x0a0a], [Extension(0x2a2a, [])], version: 0x0301));
        Assert.Equal("t10i000000_000000000000_000000000000", TlsFingerprints.Ja4(hello));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'h', (byte)'2' }, "h2")]
    [InlineData(new byte[] { (byte)'h', (byte)'t', (byte)'t', (byte)'p', (byte)'/', (byte)'1', (byte)'.', (byte)'1' }, "h1")]
    [InlineData(new byte[] { (byte)'h' }, "hh")]
    [InlineData(new byte[] { 0xAB }, "ab")]
    [InlineData(new byte[] { 0xAB, 0xCD }, "ad")]
    [InlineData(new byte[] { 0x30, 0xAB }, "3b")]
    [InlineData(new byte[] { 0x30, 0x31, 0xAB, 0xCD }, "3d")]
    [InlineData(new byte[] { 0x30, 0xAB, 0xCD, 0x31 }, "01")]
    [InlineData(new byte[0], "00")]
    public void Alpn_characters_follow_the_specification(byte[] first, string expected)
    {
        Assert.Equal(expected, TlsFingerprints.AlpnCode(first));
        if (first.Length > 0) Assert.Equal(expected, TlsFingerprints.Ja4(Parse(ClientHello([0x1301], [AlpnRaw(first)])))[8..10]);
    }

    [Theory]
    [InlineData(0x0304, "13")]
    [InlineData(0x0303, "12")]
    [InlineData(0x0302, "11")]
    [InlineData(0x0301, "10")]
    [InlineData(0x0300, "s3")]
    [InlineData(0x0002, "s2")]
    [InlineData(0xfeff, "d1")]
    [InlineData(0xfefd, "d2")]
    [InlineData(0xfefc, "d3")]
    [InlineData(0x0305, "00")]
    public void Version_codes_follow_the_specification(int version, string code) =>
        Assert.Equal(code, TlsFingerprints.VersionCode((ushort)version));

    [Fact]
    public void Supported_versions_wins_over_the_hello_version_and_grease_is_ignored()
    {
        var hello = Parse(ClientHello([0x1301], [Extension(0x002b, U16List(1, [0xfafa, 0x0303, 0x0304]))], version: 0x0303));
        Assert.StartsWith("t13i0101", TlsFingerprints.Ja4(hello));
    }

    [Fact]
    public void More_than_99_ciphers_count_as_99()
    {
        var ciphers = Enumerable.Range(1, 150).Select(i => (ushort)i);
        Assert.StartsWith("t12i9900", TlsFingerprints.Ja4(Parse(ClientHello(ciphers, []))));
    }

    private static string Sha12(string s) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(s)))[..12];
}
