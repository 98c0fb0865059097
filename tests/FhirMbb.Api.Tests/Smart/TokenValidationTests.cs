using System.Net;
using FhirMbb.Api.Tests.Infrastructure;

namespace FhirMbb.Api.Tests.Smart;

public sealed class TokenValidationTests(SmartApiFactory factory) : IClassFixture<SmartApiFactory>
{
    private const string Scope = "user/*.cruds";
    private AuthorizationServerStub Authority => factory.AuthorizationServer;

    [Fact]
    public async Task A_valid_token_reaches_the_data()
    {
        var client = factory.ClientWithScopes(Scope);
        var created = await client.CreateAsync(FhirTest.Patient());

        var read = await client.GetAsync($"/fhir/Patient/{created.Id}");

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task No_token_is_401_with_a_bearer_challenge_and_an_operation_outcome()
    {
        var response = await factory.CreateClient().GetAsync("/fhir/Patient/anything");

        var message = await response.AssertOutcome(HttpStatusCode.Unauthorized);
        Assert.Contains("bearer", message, StringComparison.OrdinalIgnoreCase);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("realm=", challenge.Parameter);
    }

    public static TheoryData<string> BadTokens => ["expired", "wrong-issuer", "wrong-audience", "bad-signature", "alg-none", "unknown-key-id", "not-a-jwt"];

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Every_kind_of_bad_token_is_401_invalid_token(string kind)
    {
        using var stranger = new TestSigningKey("key-1"); // same kid as the published key, different key
        using var unpublished = new TestSigningKey("never-published");
        var token = kind switch
        {
            "expired" => Authority.Mint(Scope, expiresIn: TimeSpan.FromMinutes(-5)),
            "wrong-issuer" => Authority.Mint(Scope, issuer: "https://impostor.example.org/realms/clinic"),
            "wrong-audience" => Authority.Mint(Scope, audience: "https://some-other-server.example.org/fhir"),
            "bad-signature" => Authority.Mint(Scope, key: stranger),
            "alg-none" => Authority.MintUnsigned(Scope),
            "unknown-key-id" => Authority.Mint(Scope, key: unpublished),
            _ => "this-is-not-a-jwt",
        };

        var response = await factory.ClientWithToken(token).GetAsync("/fhir/Patient/_history");

        await response.AssertOutcome(HttpStatusCode.Unauthorized);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("error=\"invalid_token\"", challenge.Parameter);
    }

    [Fact]
    public async Task An_expired_token_is_told_so()
    {
        var response = await factory.ClientWithToken(Authority.Mint(Scope, expiresIn: TimeSpan.FromMinutes(-5))).GetAsync("/fhir/Patient/_history");

        Assert.Contains("expired", await response.AssertOutcome(HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task A_tampered_payload_is_401()
    {
        var token = Authority.Mint("patient/Observation.rs", patient: "p1");
        var parts = token.Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(parts[1]))
            .Replace("patient/Observation.rs", "user/*.cruds");
        var forged = parts[0] + "." + Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload) + "." + parts[2];

        var response = await factory.ClientWithToken(forged).GetAsync("/fhir/Patient/_history");

        await response.AssertOutcome(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Readiness_needs_no_token()
    {
        // /readyz is 503 until the validator is warm; without a token it must get there all the same.
        var response = await factory.CreateClient().WaitUntilReadyAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/fhir/metadata")]
    [InlineData("/fhir/.well-known/smart-configuration")]
    public async Task Public_endpoints_need_no_token(string path)
    {
        var response = await factory.CreateClient().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/fhir/_history")]
    [InlineData("/fhir/Observation/_history")]
    [InlineData("/fhir/Nothing/Here/At/All")]
    [InlineData("/FHIR/METADATA/../Patient/x")]
    public async Task Everything_else_needs_a_token(string path)
    {
        var response = await factory.CreateClient().GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_token_without_any_resource_scope_is_403_with_insufficient_scope()
    {
        var client = factory.ClientWithScopes("openid fhirUser offline_access");

        var response = await client.GetAsync("/fhir/Observation/_history");

        var message = await response.AssertOutcome(HttpStatusCode.Forbidden);
        Assert.Contains("Observation", message);
        Assert.Contains("insufficient_scope", response.Headers.WwwAuthenticate.ToString());
    }
}
