using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace FhirMbb.Api.Tests.Infrastructure;

/// <summary>A signing key of the stub authorization server: an RSA key and its kid.</summary>
public sealed class TestSigningKey : IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);

    public TestSigningKey(string keyId)
    {
        KeyId = keyId;
        SecurityKey = new RsaSecurityKey(_rsa) { KeyId = keyId };
    }

    public string KeyId { get; }
    public RsaSecurityKey SecurityKey { get; }

    public object Jwk()
    {
        var parameters = _rsa.ExportParameters(includePrivateParameters: false);
        return new { kty = "RSA", use = "sig", alg = "RS256", kid = KeyId, n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) };
    }

    public void Dispose() => _rsa.Dispose();
}

/// <summary>
/// WireMock standing in for the authorization server: OpenID discovery and a JWKS that tests can change
/// (key rotation), and a minter of RS256 access tokens signed with its keys, or with anything else.
/// </summary>
public sealed class AuthorizationServerStub : IDisposable
{
    public const string DiscoveryPath = "/.well-known/openid-configuration";
    public const string JwksPath = "/protocol/openid-connect/certs";

    private readonly WireMockServer _server = WireMockServer.Start();

    public AuthorizationServerStub()
    {
        CurrentKey = new TestSigningKey("key-1");
        Publish(CurrentKey);
    }

    public string Issuer => _server.Url!;
    public string AuthorizeEndpoint => Issuer + "/protocol/openid-connect/auth";
    public string TokenEndpoint => Issuer + "/protocol/openid-connect/token";

    /// <summary>The key that <see cref="Mint"/> signs with by default.</summary>
    public TestSigningKey CurrentKey { get; private set; }

    public int JwksRequests => _server.LogEntries.Count(e => e.RequestMessage.Path == JwksPath);

    /// <summary>Replaces the published JWKS with these keys; the first becomes the default signing key.</summary>
    public void Publish(params TestSigningKey[] keys)
    {
        CurrentKey = keys[0];
        _server.ResetMappings();
        var discovery = new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = AuthorizeEndpoint,
            ["token_endpoint"] = TokenEndpoint,
            ["jwks_uri"] = Issuer + JwksPath,
            ["introspection_endpoint"] = Issuer + "/protocol/openid-connect/token/introspect",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["grant_types_supported"] = new[] { "authorization_code", "client_credentials", "refresh_token" },
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post", "private_key_jwt" },
        };
        _server.Given(Request.Create().WithPath(DiscoveryPath).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(JsonSerializer.Serialize(discovery)));
        _server.Given(Request.Create().WithPath(JwksPath).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody(JsonSerializer.Serialize(new { keys = keys.Select(k => k.Jwk()).ToArray() })));
    }

    /// <summary>An access token; every part can be spoiled for the negative tests.</summary>
    public string Mint(
        string scope,
        string? patient = null,
        string audience = SmartApiFactory.Audience,
        string? issuer = null,
        TestSigningKey? key = null,
        TimeSpan? expiresIn = null,
        IDictionary<string, object>? extraClaims = null)
    {
        var now = DateTime.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(10));
        var claims = new Dictionary<string, object> { ["scope"] = scope, ["sub"] = "test-user", ["client_id"] = "test-app" };
        if (patient is not null) claims["patient"] = patient;
        if (extraClaims is not null) foreach (var (name, value) in extraClaims) claims[name] = value;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience,
            IssuedAt = expires < now ? expires - TimeSpan.FromMinutes(10) : now,
            NotBefore = expires < now ? expires - TimeSpan.FromMinutes(10) : now,
            Expires = expires,
            Claims = claims,
            SigningCredentials = new SigningCredentials((key ?? CurrentKey).SecurityKey, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>An unsigned token ("alg": "none") with otherwise valid claims.</summary>
    public string MintUnsigned(string scope, string? patient = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes("""{"alg":"none","typ":"JWT","kid":"key-1"}"""));
        var payload = new Dictionary<string, object>
        {
            ["iss"] = Issuer, ["aud"] = SmartApiFactory.Audience, ["sub"] = "test-user", ["scope"] = scope,
            ["iat"] = now, ["nbf"] = now, ["exp"] = now + 600,
        };
        if (patient is not null) payload["patient"] = patient;
        return header + "." + Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(payload)) + ".";
    }

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
    }
}
