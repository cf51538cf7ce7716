using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace TrafficSensor.Lab.Apps.ShopApi;

/// <summary>HS256 JWTs for the shop's users (lab key; never a production secret).</summary>
public sealed class Tokens
{
    public const string Issuer = "https://auth.shop.lab.example";
    public const string Audience = "shop-api";
    private static readonly SymmetricSecurityKey Key = new(Encoding.UTF8.GetBytes("lab-shop-api-signing-key-0123456789abcdef"));

    public static TokenValidationParameters Validation => new()
    {
        ValidIssuer = Issuer,
        ValidAudience = Audience,
        IssuerSigningKey = Key,
        ClockSkew = TimeSpan.FromSeconds(5),
    };

    public static string Issue(string user, string role, TimeSpan life) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = Audience,
        Subject = new ClaimsIdentity([new Claim("sub", user), new Claim("role", role), new Claim("jti", Guid.NewGuid().ToString("N"))]),
        Expires = DateTime.UtcNow.Add(life),
        SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.HmacSha256),
    });
}
