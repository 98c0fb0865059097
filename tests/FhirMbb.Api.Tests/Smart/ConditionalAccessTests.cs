using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests.Smart;

/// <summary>The search inside a conditional interaction sees only what the token may search: another patient's resources neither match nor leak.</summary>
public sealed class ConditionalAccessTests(SmartApiFactory factory) : IClassFixture<SmartApiFactory>
{
    private const string Me = "cond-me";
    private const string Other = "cond-other";
    private const string ScoreSystem = "https://hospital.example/score-id";

    private static Observation Score(string patient, string marker, int value = 6)
    {
        var score = FhirTest.PainScore(patient, value);
        score.Identifier = [new Identifier(ScoreSystem, marker)];
        return score;
    }

    private async Task<(HttpClient Admin, Resource Theirs, string Marker)> TheirScoreAsync()
    {
        var admin = factory.ClientWithScopes("user/*.cruds");
        var marker = Guid.NewGuid().ToString("N");
        return (admin, await admin.CreateAsync(Score(Other, marker)), marker);
    }

    [Fact]
    public async Task A_patient_tokens_conditional_create_does_not_match_another_patients_resource()
    {
        var (admin, theirs, marker) = await TheirScoreAsync();
        var app = factory.ClientWithScopes("patient/*.cruds", Me);

        var response = await app.SendAsync(FhirTest.Request(HttpMethod.Post, "/fhir/Observation", FhirTest.Json(Score(Me, marker)),
            ("If-None-Exist", $"identifier={ScoreSystem}|{marker}")));
        var again = await app.SendAsync(FhirTest.Request(HttpMethod.Post, "/fhir/Observation", FhirTest.Json(Score(Me, marker)),
            ("If-None-Exist", $"identifier={ScoreSystem}|{marker}")));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var mine = await response.ReadAs<Observation>();
        Assert.NotEqual(theirs.Id, mine.Id);
        Assert.Equal($"Patient/{Me}", mine.Subject.Reference);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(mine.Id, (await again.ReadAs<Observation>()).Id);
        // An unrestricted token now sees both, so its own conditional create with the same criteria is 412.
        var both = await admin.SendAsync(FhirTest.Request(HttpMethod.Post, "/fhir/Observation", FhirTest.Json(Score(Other, marker)),
            ("If-None-Exist", $"identifier={ScoreSystem}|{marker}")));
        Assert.Equal(HttpStatusCode.PreconditionFailed, both.StatusCode);
    }

    [Fact]
    public async Task A_patient_tokens_conditional_update_and_delete_leave_another_patients_resource_alone()
    {
        var (admin, theirs, marker) = await TheirScoreAsync();
        var app = factory.ClientWithScopes("patient/*.cruds", Me);
        var url = $"/fhir/Observation?identifier={ScoreSystem}|{marker}";

        var deleted = await app.DeleteAsync(url);
        var updated = await app.PutAsync(url, FhirTest.Json(Score(Me, marker, 2)));

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.Created, updated.StatusCode); // no visible match: a new resource of its own
        var stillTheirs = await (await admin.GetAsync($"/fhir/Observation/{theirs.Id}")).ReadAs<Observation>();
        Assert.Equal("1", stillTheirs.Meta.VersionId);
        Assert.Equal($"Patient/{Other}", stillTheirs.Subject.Reference);
    }

    [Fact]
    public async Task A_patient_tokens_conditional_patch_does_not_find_another_patients_resource()
    {
        var (admin, theirs, marker) = await TheirScoreAsync();
        var app = factory.ClientWithScopes("patient/*.cruds", Me);
        var patch = new StringContent("""[{"op":"replace","path":"/valueInteger","value":0}]""", System.Text.Encoding.UTF8, "application/json-patch+json");

        var response = await app.PatchAsync($"/fhir/Observation?identifier={ScoreSystem}|{marker}", patch);

        await response.AssertOutcome(HttpStatusCode.NotFound);
        var stillTheirs = await (await admin.GetAsync($"/fhir/Observation/{theirs.Id}")).ReadAs<Observation>();
        Assert.Equal("1", stillTheirs.Meta.VersionId);
    }

    [Fact]
    public async Task A_conditional_interaction_needs_search_permission()
    {
        var (_, _, marker) = await TheirScoreAsync();
        var createOnly = factory.ClientWithScopes("user/Observation.c");

        var response = await createOnly.SendAsync(FhirTest.Request(HttpMethod.Post, "/fhir/Observation", FhirTest.Json(Score(Me, marker)),
            ("If-None-Exist", $"identifier={ScoreSystem}|{marker}")));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
