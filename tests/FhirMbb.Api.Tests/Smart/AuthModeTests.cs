using System.Net;
using FhirMbb.Api.Security;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Hosting;

namespace FhirMbb.Api.Tests.Smart;

public sealed class AuthModeTests
{
    /// <summary>The test host in another environment, with extra settings.</summary>
    private sealed class HostIn(string environment, params (string Key, string Value)[] settings) : FhirApiFactory
    {
        protected override IEnumerable<KeyValuePair<string, string>> Settings => settings.Select(s => KeyValuePair.Create(s.Key, s.Value));

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseEnvironment(environment);
        }
    }

    [Fact]
    public void Production_refuses_to_start_without_authorization()
    {
        using var host = new HostIn("Production");

        var failure = Assert.ThrowsAny<Exception>(() => host.CreateClient());

        Assert.Contains("Auth:Mode", Flatten(failure));
    }

    [Fact]
    public async Task Production_starts_without_authorization_only_when_explicitly_allowed()
    {
        using var host = new HostIn("Production", ("Auth:AllowAnonymousInProduction", "true"));

        var response = await host.CreateClient().GetAsync("/fhir/Patient/_history");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void Smart_mode_refuses_to_start_without_an_authority_or_with_an_http_one()
    {
        using var noAuthority = new HostIn("Testing", ("Auth:Mode", "Smart"), ("Auth:Audience", "x"));
        Assert.Contains("Auth:Authority", Flatten(Assert.ThrowsAny<Exception>(() => noAuthority.CreateClient())));

        using var http = new HostIn("Testing", ("Auth:Mode", "Smart"), ("Auth:Authority", "http://idp.example.org"), ("Auth:Audience", "x"));
        Assert.Contains("https", Flatten(Assert.ThrowsAny<Exception>(() => http.CreateClient())));
    }

    [Fact]
    public async Task None_mode_advertises_no_security_it_does_not_enforce()
    {
        using var host = new FhirApiFactory();
        var client = host.CreateClient();

        var statement = await (await client.GetAsync("/fhir/metadata")).ReadAs<CapabilityStatement>();
        Assert.Null(statement.Rest[0].Security);
        await (await client.GetAsync("/fhir/.well-known/smart-configuration")).AssertOutcome(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_unreachable_authority_makes_tokens_unjudgeable_503_while_metadata_still_answers()
    {
        using var minter = new AuthorizationServerStub();
        using var host = new HostIn("Testing", ("Auth:Mode", "Smart"), ("Auth:Authority", "http://127.0.0.1:9"),
            ("Auth:Audience", SmartApiFactory.Audience), ("Auth:RequireHttpsMetadata", "false"));
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", minter.Mint("user/*.rs"));

        await (await client.GetAsync("/fhir/_history")).AssertOutcome(HttpStatusCode.ServiceUnavailable);
        var metadata = await client.GetAsync("/fhir/metadata");
        Assert.True(metadata.StatusCode == HttpStatusCode.OK, await metadata.Content.ReadAsStringAsync());
        var statement = await metadata.ReadAs<CapabilityStatement>();
        Assert.NotNull(statement.Rest[0].Security);
        Assert.Null(statement.Rest[0].Security.GetExtension(SmartConfiguration.OAuthUrisExtension));
    }

    private static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Flatten(e.InnerException);
}

public sealed class SmartDiscoveryTests(SmartApiFactory factory) : IClassFixture<SmartApiFactory>
{
    [Fact]
    public async Task Smart_configuration_names_the_authoritys_endpoints_scopes_and_capabilities()
    {
        var response = await factory.CreateClient().GetAsync("/fhir/.well-known/smart-configuration");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var document = await response.ReadJson();
        var authority = factory.AuthorizationServer;
        Assert.Equal(authority.Issuer, document.GetProperty("issuer").GetString());
        Assert.Equal(authority.AuthorizeEndpoint, document.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(authority.TokenEndpoint, document.GetProperty("token_endpoint").GetString());
        Assert.Equal(authority.Issuer + AuthorizationServerStub.JwksPath, document.GetProperty("jwks_uri").GetString());
        var capabilities = document.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()).ToList();
        foreach (var expected in new[] { "launch-standalone", "launch-ehr", "client-public", "client-confidential-symmetric",
                     "context-standalone-patient", "context-ehr-patient", "permission-patient", "permission-user",
                     "permission-v1", "permission-v2", "sso-openid-connect" })
            Assert.Contains(expected, capabilities);
        var scopes = document.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Contains("patient/Observation.rs", scopes);
        Assert.Contains("launch/patient", scopes);
        Assert.Contains("S256", document.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task The_capability_statement_declares_smart_security_with_oauth_uris()
    {
        var statement = await (await factory.CreateClient().GetAsync("/fhir/metadata")).ReadAs<CapabilityStatement>();

        var security = statement.Rest[0].Security;
        Assert.NotNull(security);
        Assert.Contains(security.Service.SelectMany(s => s.Coding), c => c.System == SmartConfiguration.SecurityServiceSystem && c.Code == "SMART-on-FHIR");
        var uris = security.GetExtension(SmartConfiguration.OAuthUrisExtension);
        Assert.NotNull(uris);
        Assert.Equal(factory.AuthorizationServer.AuthorizeEndpoint, ((FhirUri)uris.GetExtension("authorize").Value).Value);
        Assert.Equal(factory.AuthorizationServer.TokenEndpoint, ((FhirUri)uris.GetExtension("token").Value).Value);
    }
}
