using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

/// <summary>Conditional create (If-None-Exist), conditional update (PUT Type?criteria) and conditional delete (DELETE Type?criteria).</summary>
public sealed class ConditionalTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    private const string MrnSystem = "https://hospital.example/mrn";

    private readonly HttpClient _client = factory.CreateClient();

    private static string NewMrn() => Guid.NewGuid().ToString("N");

    private static Patient PatientWith(string mrn, string family = "Doe")
    {
        var patient = FhirTest.Patient(family);
        patient.Identifier = [new Identifier(MrnSystem, mrn)];
        return patient;
    }

    private Task<HttpResponseMessage> CreateIfNoneExistAsync(Resource resource, string criteria, params (string Name, string Value)[] headers) =>
        _client.SendAsync(FhirTest.Request(HttpMethod.Post, $"/fhir/{resource.TypeName}", FhirTest.Json(resource),
            [("If-None-Exist", criteria), .. headers]));

    private async Task<List<Patient>> PatientsWithAsync(string mrn)
    {
        var bundle = await (await _client.GetAsync($"/fhir/Patient?identifier={Uri.EscapeDataString($"{MrnSystem}|{mrn}")}")).ReadAs<Bundle>();
        return bundle.Entry.Select(e => (Patient)e.Resource).ToList();
    }

    private async Task<int> VersionsOfAsync(string type, string id) =>
        (await (await _client.GetAsync($"/fhir/{type}/{id}/_history")).ReadAs<Bundle>()).Entry.Count;

    [Fact]
    public async Task A_conditional_create_with_no_match_creates_the_resource()
    {
        var mrn = NewMrn();

        var response = await CreateIfNoneExistAsync(PatientWith(mrn), $"identifier={MrnSystem}|{mrn}");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.ReadAs<Patient>();
        Assert.Equal(created.Id, Assert.Single(await PatientsWithAsync(mrn)).Id);
    }

    [Fact]
    public async Task A_conditional_create_with_one_match_answers_200_with_it_and_writes_nothing()
    {
        var mrn = NewMrn();
        var first = await (await CreateIfNoneExistAsync(PatientWith(mrn, "First"), $"identifier={MrnSystem}|{mrn}")).ReadAs<Patient>();

        var again = await CreateIfNoneExistAsync(PatientWith(mrn, "Second"), $"identifier={MrnSystem}|{mrn}");

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var answered = await again.ReadAs<Patient>();
        Assert.Equal(first.Id, answered.Id);
        Assert.Equal("First", answered.Name[0].Family); // the stored resource, not the body sent
        Assert.Equal($"/fhir/Patient/{first.Id}/_history/1", again.Headers.Location!.AbsolutePath);
        Assert.Equal("W/\"1\"", again.Headers.ETag!.ToString());
        Assert.Equal(1, await VersionsOfAsync("Patient", first.Id));
        Assert.Single(await PatientsWithAsync(mrn));
    }

    [Fact]
    public async Task A_conditional_create_that_matches_honours_prefer_return()
    {
        var mrn = NewMrn();
        await CreateIfNoneExistAsync(PatientWith(mrn), $"identifier={MrnSystem}|{mrn}");

        var minimal = await CreateIfNoneExistAsync(PatientWith(mrn), $"identifier={MrnSystem}|{mrn}", ("Prefer", "return=minimal"));
        var outcome = await CreateIfNoneExistAsync(PatientWith(mrn), $"identifier={MrnSystem}|{mrn}", ("Prefer", "return=OperationOutcome"));

        Assert.Equal(HttpStatusCode.OK, minimal.StatusCode);
        Assert.Empty(await minimal.Content.ReadAsByteArrayAsync());
        Assert.NotNull(minimal.Headers.Location);
        Assert.Contains("nothing was created", await outcome.AssertOutcome(HttpStatusCode.OK));
    }

    [Fact]
    public async Task A_conditional_create_matching_several_is_412_and_creates_nothing()
    {
        var mrn = NewMrn();
        await _client.CreateAsync(PatientWith(mrn));
        await _client.CreateAsync(PatientWith(mrn));

        var response = await CreateIfNoneExistAsync(PatientWith(mrn), $"identifier={MrnSystem}|{mrn}");

        Assert.Contains("more than one", await response.AssertOutcome(HttpStatusCode.PreconditionFailed));
        Assert.Equal(2, (await PatientsWithAsync(mrn)).Count);
    }

    [Fact]
    public async Task Criteria_the_server_cannot_apply_are_refused_not_dropped()
    {
        // Dropping an unknown parameter would widen the match: a conditional delete could remove far more than asked.
        var mrn = NewMrn();
        var kept = await _client.CreateAsync(PatientWith(mrn));

        var create = await CreateIfNoneExistAsync(PatientWith(mrn), "no-such-parameter=1");
        var delete = await _client.DeleteAsync($"/fhir/Patient?no-such-parameter=1&_count=10");
        var shaped = await CreateIfNoneExistAsync(PatientWith(mrn), $"identifier={MrnSystem}|{mrn}&_count=1");

        await create.AssertOutcome(HttpStatusCode.BadRequest);
        await delete.AssertOutcome(HttpStatusCode.BadRequest);
        await shaped.AssertOutcome(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/fhir/Patient/{kept.Id}")).StatusCode);
    }

    [Fact]
    public async Task Fifty_concurrent_identical_conditional_creates_leave_exactly_one_resource()
    {
        var mrn = NewMrn();
        // The same criteria in two spellings: parameter order and percent-encoding must not make them different.
        string[] spellings = [$"identifier={MrnSystem}|{mrn}&gender=female", $"gender=female&identifier={Uri.EscapeDataString($"{MrnSystem}|{mrn}")}"];
        using var start = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
        {
            var request = FhirTest.Request(HttpMethod.Post, "/fhir/Patient", FhirTest.Json(PatientWith(mrn, $"Racer{i}")), ("If-None-Exist", spellings[i % 2]));
            start.Wait();
            var response = await _client.SendAsync(request);
            return (response.StatusCode, Location: response.Headers.Location?.AbsolutePath);
        })).ToList();
        start.Set();
        var answers = await Task.WhenAll(tasks);

        var stored = Assert.Single(await PatientsWithAsync(mrn));
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.OK }));
        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.All(answers, a => Assert.Equal($"/fhir/Patient/{stored.Id}/_history/1", a.Location));
        var history = await (await _client.GetAsync("/fhir/Patient/_history?_count=1000")).ReadAs<Bundle>();
        Assert.Single(history.Entry, e => ((Patient)e.Resource)?.Identifier.Any(i => i.Value == mrn) == true);
    }

    [Fact]
    public async Task A_deleted_match_no_longer_counts_and_a_new_conditional_create_creates_again()
    {
        var mrn = NewMrn();
        var first = await (await CreateIfNoneExistAsync(PatientWith(mrn), $"identifier={MrnSystem}|{mrn}")).ReadAs<Patient>();
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/fhir/Patient/{first.Id}")).StatusCode);

        var again = await CreateIfNoneExistAsync(PatientWith(mrn), $"identifier={MrnSystem}|{mrn}");

        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.NotEqual(first.Id, (await again.ReadAs<Patient>()).Id);
    }

    [Fact]
    public async Task A_match_changed_so_it_no_longer_matches_does_not_block_later_creates()
    {
        var mrn = NewMrn();
        var first = await (await CreateIfNoneExistAsync(PatientWith(mrn), $"identifier={MrnSystem}|{mrn}")).ReadAs<Patient>();
        first.Identifier = [new Identifier(MrnSystem, NewMrn())];
        Assert.Equal(HttpStatusCode.OK, (await _client.PutAsync($"/fhir/Patient/{first.Id}", FhirTest.Json(first))).StatusCode);

        var second = await CreateIfNoneExistAsync(PatientWith(mrn), $"identifier={MrnSystem}|{mrn}");
        var third = await CreateIfNoneExistAsync(PatientWith(mrn), $"identifier={MrnSystem}|{mrn}");

        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var secondId = (await second.ReadAs<Patient>()).Id;
        Assert.NotEqual(first.Id, secondId);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal(secondId, (await third.ReadAs<Patient>()).Id);
    }

    [Fact]
    public async Task A_conditional_update_with_no_match_creates_with_a_new_id_or_the_bodys()
    {
        var mrn = NewMrn();
        var withoutId = await _client.PutAsync($"/fhir/Patient?identifier={MrnSystem}|{mrn}", FhirTest.Json(PatientWith(mrn)));
        var otherMrn = NewMrn();
        var body = PatientWith(otherMrn);
        body.Id = "cond-" + otherMrn[..20];
        var withId = await _client.PutAsync($"/fhir/Patient?identifier={MrnSystem}|{otherMrn}", FhirTest.Json(body));

        Assert.Equal(HttpStatusCode.Created, withoutId.StatusCode);
        Assert.Equal(Assert.Single(await PatientsWithAsync(mrn)).Id, (await withoutId.ReadAs<Patient>()).Id);
        Assert.Equal(HttpStatusCode.Created, withId.StatusCode);
        Assert.Equal(body.Id, (await withId.ReadAs<Patient>()).Id);
    }

    [Fact]
    public async Task Concurrent_conditional_updates_with_no_match_create_one_resource_and_update_it_in_turn()
    {
        var mrn = NewMrn();
        using var start = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, 10).Select(i => Task.Run(async () =>
        {
            var request = FhirTest.Request(HttpMethod.Put, $"/fhir/Patient?identifier={MrnSystem}|{mrn}", FhirTest.Json(PatientWith(mrn, $"Writer{i}")));
            start.Wait();
            return (await _client.SendAsync(request)).StatusCode;
        })).ToList();
        start.Set();
        var statuses = await Task.WhenAll(tasks);

        var stored = Assert.Single(await PatientsWithAsync(mrn));
        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(9, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal("10", stored.Meta.VersionId);
    }

    [Fact]
    public async Task A_conditional_update_with_one_match_updates_it()
    {
        var mrn = NewMrn();
        var created = await _client.CreateAsync(PatientWith(mrn, "Before"));

        var response = await _client.PutAsync($"/fhir/Patient?identifier={MrnSystem}|{mrn}", FhirTest.Json(PatientWith(mrn, "After")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var updated = await response.ReadAs<Patient>();
        Assert.Equal(created.Id, updated.Id);
        Assert.Equal("2", updated.Meta.VersionId);
        Assert.Equal("After", (await (await _client.GetAsync($"/fhir/Patient/{created.Id}")).ReadAs<Patient>()).Name[0].Family);
    }

    [Fact]
    public async Task A_conditional_update_whose_body_names_another_id_is_400()
    {
        var mrn = NewMrn();
        var created = await _client.CreateAsync(PatientWith(mrn));
        var body = PatientWith(mrn, "Other");
        body.Id = "somebody-else";

        var response = await _client.PutAsync($"/fhir/Patient?identifier={MrnSystem}|{mrn}", FhirTest.Json(body));

        await response.AssertOutcome(HttpStatusCode.BadRequest);
        Assert.Equal(1, await VersionsOfAsync("Patient", created.Id));
    }

    [Fact]
    public async Task A_conditional_update_matching_several_is_412()
    {
        var mrn = NewMrn();
        var a = await _client.CreateAsync(PatientWith(mrn));
        var b = await _client.CreateAsync(PatientWith(mrn));

        var response = await _client.PutAsync($"/fhir/Patient?identifier={MrnSystem}|{mrn}", FhirTest.Json(PatientWith(mrn, "Changed")));

        await response.AssertOutcome(HttpStatusCode.PreconditionFailed);
        Assert.Equal(1, await VersionsOfAsync("Patient", a.Id));
        Assert.Equal(1, await VersionsOfAsync("Patient", b.Id));
    }

    [Fact]
    public async Task A_conditional_update_honours_if_match()
    {
        var mrn = NewMrn();
        var created = await _client.CreateAsync(PatientWith(mrn));
        var url = $"/fhir/Patient?identifier={MrnSystem}|{mrn}";

        var stale = await _client.SendAsync(FhirTest.Request(HttpMethod.Put, url, FhirTest.Json(PatientWith(mrn, "Stale")), ("If-Match", "W/\"7\"")));
        var current = await _client.SendAsync(FhirTest.Request(HttpMethod.Put, url, FhirTest.Json(PatientWith(mrn, "Current")), ("If-Match", "W/\"1\"")));
        var none = await _client.SendAsync(FhirTest.Request(HttpMethod.Put, $"/fhir/Patient?identifier={MrnSystem}|{NewMrn()}",
            FhirTest.Json(PatientWith(mrn)), ("If-Match", "W/\"1\"")));

        await stale.AssertOutcome(HttpStatusCode.PreconditionFailed);
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        Assert.Equal("Current", (await (await _client.GetAsync($"/fhir/Patient/{created.Id}")).ReadAs<Patient>()).Name[0].Family);
        await none.AssertOutcome(HttpStatusCode.PreconditionFailed);
    }

    [Fact]
    public async Task A_conditional_delete_removes_the_single_match_and_no_match_is_204()
    {
        var mrn = NewMrn();
        var created = await _client.CreateAsync(PatientWith(mrn));

        var deleted = await _client.DeleteAsync($"/fhir/Patient?identifier={MrnSystem}|{mrn}");
        var nothing = await _client.DeleteAsync($"/fhir/Patient?identifier={MrnSystem}|{NewMrn()}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await _client.GetAsync($"/fhir/Patient/{created.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, nothing.StatusCode);
    }

    [Fact]
    public async Task A_conditional_delete_matching_several_is_412_unless_count_allows_them()
    {
        var mrn = NewMrn();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add((await _client.CreateAsync(PatientWith(mrn))).Id);
        var url = $"/fhir/Patient?identifier={MrnSystem}|{mrn}";

        var single = await _client.DeleteAsync(url);
        var tooFew = await _client.DeleteAsync(url + "&_count=2");
        var overLimit = await _client.DeleteAsync(url + "&_count=11"); // Fhir:MaxConditionalDeletes is 10 by default
        Assert.Equal(3, (await PatientsWithAsync(mrn)).Count);
        var multiple = await _client.DeleteAsync(url + "&_count=3");

        await single.AssertOutcome(HttpStatusCode.PreconditionFailed);
        await tooFew.AssertOutcome(HttpStatusCode.PreconditionFailed);
        await overLimit.AssertOutcome(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.NoContent, multiple.StatusCode);
        Assert.Empty(await PatientsWithAsync(mrn));
        foreach (var id in ids) Assert.Equal(HttpStatusCode.Gone, (await _client.GetAsync($"/fhir/Patient/{id}")).StatusCode);
    }

    [Fact]
    public async Task Conditional_routes_on_other_paths_keep_their_answers()
    {
        await (await _client.DeleteAsync("/fhir/StructureDefinition?url=x")).AssertOutcome(HttpStatusCode.MethodNotAllowed);
        await (await _client.PutAsync("/fhir/Encounter?identifier=x", FhirTest.Json("{\"resourceType\":\"Encounter\",\"status\":\"planned\"}")))
            .AssertOutcome(HttpStatusCode.NotFound);
        await (await _client.PutAsync("/fhir/Patient", FhirTest.Json(FhirTest.Patient()))).AssertOutcome(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_capability_statement_claims_conditional_interactions_truthfully()
    {
        var statement = await (await _client.GetAsync("/fhir/metadata")).ReadAs<CapabilityStatement>();

        foreach (var resource in statement.Rest[0].Resource.Where(r => r.Type is "Patient" or "Procedure" or "Observation" or "Condition"))
        {
            Assert.True(resource.ConditionalCreate);
            Assert.True(resource.ConditionalUpdate);
            Assert.Equal(CapabilityStatement.ConditionalDeleteStatus.Multiple, resource.ConditionalDelete);
        }
        // Each claim answers: create, update and a multiple delete of Observations.
        var code = Guid.NewGuid().ToString("N");
        Observation Score() { var o = FhirTest.PainScore(); o.Identifier = [new Identifier(MrnSystem, code)]; return o; }
        var created = await CreateIfNoneExistAsync(Score(), $"identifier={MrnSystem}|{code}");
        var updated = await _client.PutAsync($"/fhir/Observation?identifier={MrnSystem}|{code}", FhirTest.Json(Score()));
        await _client.CreateAsync(Score());
        var deleted = await _client.DeleteAsync($"/fhir/Observation?identifier={MrnSystem}|{code}&_count=2");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }
}
