using System.Net;
using System.Text;
using FhirMbb.Api.Tests.Infrastructure;
using FhirMbb.Testing;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

public sealed class PatchTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static HttpContent JsonPatch(string json) => new StringContent(json, Encoding.UTF8, "application/json-patch+json");

    [Fact]
    public async Task Json_patch_changes_the_score_and_makes_a_new_version()
    {
        var created = await _client.CreateAsync(FhirTest.PainScore(score: 7));

        var response = await _client.PatchAsync($"/fhir/Observation/{created.Id}", JsonPatch("""[{"op":"test","path":"/valueInteger","value":7},{"op":"replace","path":"/valueInteger","value":3}]"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("W/\"2\"", response.Headers.ETag?.ToString());
        Assert.Equal(3, ((Integer)(await response.ReadAs<Observation>()).Value).Value);
    }

    [Fact]
    public async Task Fhirpath_patch_changes_the_status()
    {
        var created = await _client.CreateAsync(FhirTest.PainScore());

        var response = await _client.PatchAsync($"/fhir/Observation/{created.Id}", FhirTest.Json(FhirTest.FhirPathPatch("replace", "Observation.status", new Code("amended"))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ObservationStatus.Amended, (await response.ReadAs<Observation>()).Status);
    }

    [Fact]
    public async Task A_patch_that_breaks_a_profile_is_422_and_nothing_is_stored()
    {
        var patient = await _client.CreateAsync(FhirTest.Patient());
        var score = await _client.CreateAsync(MbbBuilders.PainScore(o => { o.Subject = new ResourceReference($"Patient/{patient.Id}"); o.PartOf = []; }));

        var response = await _client.PatchAsync($"/fhir/Observation/{score.Id}", JsonPatch("""[{"op":"replace","path":"/valueInteger","value":11}]"""));

        await response.AssertOutcome(HttpStatusCode.UnprocessableEntity);
        var current = await (await _client.GetAsync($"/fhir/Observation/{score.Id}")).ReadAs<Observation>();
        Assert.Equal("1", current.Meta.VersionId);
        Assert.Equal(7, ((Integer)current.Value).Value);
    }

    [Fact]
    public async Task Patch_honours_if_match()
    {
        var created = await _client.CreateAsync(FhirTest.PainScore());
        var stale = FhirTest.Request(HttpMethod.Patch, $"/fhir/Observation/{created.Id}", JsonPatch("""[{"op":"replace","path":"/status","value":"amended"}]"""), ("If-Match", "W/\"9\""));
        await (await _client.SendAsync(stale)).AssertOutcome(HttpStatusCode.PreconditionFailed);
    }

    [Fact]
    public async Task Malformed_or_failing_patches_are_outcomes()
    {
        var created = await _client.CreateAsync(FhirTest.PainScore(score: 7));
        await (await _client.PatchAsync($"/fhir/Observation/{created.Id}", JsonPatch("""{"op":"replace"}"""))).AssertOutcome(HttpStatusCode.BadRequest);
        await (await _client.PatchAsync($"/fhir/Observation/{created.Id}", JsonPatch("""[{"op":"test","path":"/valueInteger","value":2}]"""))).AssertOutcome(HttpStatusCode.UnprocessableEntity);
        await (await _client.PatchAsync($"/fhir/Observation/{created.Id}", JsonPatch("""[{"op":"replace","path":"/id","value":"elsewhere"}]"""))).AssertOutcome(HttpStatusCode.UnprocessableEntity);
        await (await _client.PatchAsync("/fhir/Observation/nobody", JsonPatch("[]"))).AssertOutcome(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_conditional_patch_patches_the_one_match_and_refuses_none_or_several()
    {
        var (one, mrn, twin) = await _client.CreatePatientsByMrnAsync();
        var activate = JsonPatch("""[{"op":"add","path":"/active","value":true}]""");

        var response = await _client.PatchAsync($"/fhir/Patient?identifier={FhirTest.MrnSystem}|{mrn}", activate);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("W/\"2\"", response.Headers.ETag?.ToString());
        Assert.Equal(one, (await response.ReadAs<Patient>()).Id);
        Assert.True((await (await _client.GetAsync($"/fhir/Patient/{one}")).ReadAs<Patient>()).Active);
        await (await _client.PatchAsync($"/fhir/Patient?identifier={FhirTest.MrnSystem}|{Guid.NewGuid():N}", JsonPatch("[]"))).AssertOutcome(HttpStatusCode.NotFound);
        await (await _client.PatchAsync($"/fhir/Patient?identifier={FhirTest.MrnSystem}|{twin}", JsonPatch("[]"))).AssertOutcome(HttpStatusCode.PreconditionFailed);
        await (await _client.PatchAsync("/fhir/Patient?bogus-parameter=1", JsonPatch("[]"))).AssertOutcome(HttpStatusCode.BadRequest);
    }
}
