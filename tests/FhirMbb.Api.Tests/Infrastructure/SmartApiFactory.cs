using System.Net.Http.Headers;

namespace FhirMbb.Api.Tests.Infrastructure;

/// <summary>The real host with Auth:Mode=Smart, trusting a WireMock authorization server over http.</summary>
public class SmartApiFactory : FhirApiFactory
{
    public const string Audience = "https://fhirmbb.test/fhir";

    public AuthorizationServerStub AuthorizationServer { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Auth:Mode", "Smart"),
        new("Auth:Authority", AuthorizationServer.Issuer),
        new("Auth:Audience", Audience),
        new("Auth:RequireHttpsMetadata", "false"),
        // Tests rotate keys back to back; production waits between refreshes caused by unknown key ids.
        new("Auth:KeyRefreshMinimumInterval", "00:00:00"),
    ];

    /// <summary>A client that sends this bearer token on every request.</summary>
    public HttpClient ClientWithToken(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A client with a token for these scopes (and launch patient).</summary>
    public HttpClient ClientWithScopes(string scope, string? patient = null) =>
        ClientWithToken(AuthorizationServer.Mint(scope, patient));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) AuthorizationServer.Dispose();
    }
}
