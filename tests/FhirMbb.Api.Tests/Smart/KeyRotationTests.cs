using System.Net;
using FhirMbb.Api.Tests.Infrastructure;

namespace FhirMbb.Api.Tests.Smart;

/// <summary>A fixture of its own: these tests change the authority's published keys.</summary>
public sealed class KeyRotationTests : IDisposable
{
    private readonly SmartApiFactory _factory = new();

    [Fact]
    public async Task A_rotated_key_is_accepted_on_its_first_request_and_the_retired_key_is_refused()
    {
        var authority = _factory.AuthorizationServer;
        var oldToken = authority.Mint("user/*.rs");
        Assert.Equal(HttpStatusCode.OK, (await _factory.ClientWithToken(oldToken).GetAsync("/fhir/_history")).StatusCode);

        using var next = new TestSigningKey("key-2");
        authority.Publish(next);
        var newToken = authority.Mint("user/*.rs");

        Assert.Equal(HttpStatusCode.OK, (await _factory.ClientWithToken(newToken).GetAsync("/fhir/_history")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _factory.ClientWithToken(oldToken).GetAsync("/fhir/_history")).StatusCode);
    }

    [Fact]
    public async Task During_a_rollover_both_published_keys_are_accepted()
    {
        var authority = _factory.AuthorizationServer;
        var first = authority.CurrentKey;
        using var second = new TestSigningKey("key-2");
        authority.Publish(second, first);

        foreach (var key in new[] { first, second })
        {
            var response = await _factory.ClientWithToken(authority.Mint("user/*.rs", key: key)).GetAsync("/fhir/_history");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Known_keys_are_not_fetched_again_for_every_request()
    {
        var client = _factory.ClientWithScopes("user/*.rs");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/fhir/_history")).StatusCode);
        var fetches = _factory.AuthorizationServer.JwksRequests;

        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/fhir/_history")).StatusCode);

        Assert.Equal(fetches, _factory.AuthorizationServer.JwksRequests);
    }

    public void Dispose() => _factory.Dispose();
}
