using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

/// <summary>Conditional entries, conditional references and search entries in transactions and batches.</summary>
public sealed class ConditionalBundleTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    private const string MrnSystem = "https://hospital.example/mrn";

    private readonly HttpClient _client = factory.CreateClient();

    private static string NewMrn() => Guid.NewGuid().ToString("N");

    private static string Urn() => "urn:uuid:" + Guid.NewGuid();

    private static Patient PatientWith(string mrn, string family = "Doe")
    {
        var patient = FhirTest.Patient(family);
        patient.Identifier = [new Identifier(MrnSystem, mrn)];
        return patient;
    }

    private static Observation ScoreFor(string subject, string marker)
    {
        var score = FhirTest.PainScore();
        score.Subject = new ResourceReference(subject);
        score.Identifier = [new Identifier(MrnSystem, marker)];
        return score;
    }

    private static Bundle.EntryComponent Post(Resource resource, string? fullUrl = null, string? ifNoneExist = null) => new()
    {
        FullUrl = fullUrl ?? Urn(),
        Resource = resource,
        Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = resource.TypeName, IfNoneExist = ifNoneExist },
    };

    private static Bundle.EntryComponent Entry(Bundle.HTTPVerb method, string url, Resource? resource = null) => new()
    {
        FullUrl = resource is null ? null : Urn(),
        Resource = resource,
        Request = new Bundle.RequestComponent { Method = method, Url = url },
    };

    private static Bundle Transaction(params Bundle.EntryComponent[] entries) => new() { Type = Bundle.BundleType.Transaction, Entry = [.. entries] };

    private static Bundle Batch(params Bundle.EntryComponent[] entries) => new() { Type = Bundle.BundleType.Batch, Entry = [.. entries] };

    private async Task<List<T>> FindAsync<T>(string type, string mrn) where T : Resource
    {
        var bundle = await (await _client.GetAsync($"/fhir/{type}?identifier={Uri.EscapeDataString($"{MrnSystem}|{mrn}")}")).ReadAs<Bundle>();
        return bundle.Entry.Select(e => (T)e.Resource).ToList();
    }

    [Fact]
    public async Task A_transaction_points_a_conditional_reference_at_the_single_match()
    {
        var mrn = NewMrn();
        var patient = await _client.CreateAsync(PatientWith(mrn));
        var marker = NewMrn();

        var response = await _client.PostAsync("/fhir", FhirTest.Json(Transaction(Post(ScoreFor($"Patient?identifier={MrnSystem}|{mrn}", marker)))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"Patient/{patient.Id}", Assert.Single(await FindAsync<Observation>("Observation", marker)).Subject.Reference);
    }

    [Fact]
    public async Task A_conditional_reference_with_no_match_fails_the_transaction_naming_the_entry()
    {
        var marker = NewMrn();
        var good = Post(PatientWith(marker));
        var bad = Post(ScoreFor($"Patient?identifier={MrnSystem}|{NewMrn()}", marker));

        var response = await _client.PostAsync("/fhir", FhirTest.Json(Transaction(good, bad)));

        var message = await response.AssertOutcome(HttpStatusCode.BadRequest);
        Assert.Contains($"entry 1 ({bad.FullUrl})", message);
        Assert.Contains("selects no resource", message);
        Assert.Empty(await FindAsync<Patient>("Patient", marker));
    }

    [Fact]
    public async Task A_conditional_reference_matching_several_is_412_and_stores_nothing()
    {
        var mrn = NewMrn();
        await _client.CreateAsync(PatientWith(mrn));
        await _client.CreateAsync(PatientWith(mrn));
        var marker = NewMrn();

        var response = await _client.PostAsync("/fhir", FhirTest.Json(Transaction(Post(ScoreFor($"Patient?identifier={MrnSystem}|{mrn}", marker)))));

        Assert.Contains("entry 0", await response.AssertOutcome(HttpStatusCode.PreconditionFailed));
        Assert.Empty(await FindAsync<Observation>("Observation", marker));
    }

    [Fact]
    public async Task A_transaction_whose_conditional_create_matches_several_is_412_and_stores_nothing()
    {
        var mrn = NewMrn();
        await _client.CreateAsync(PatientWith(mrn));
        await _client.CreateAsync(PatientWith(mrn));
        var other = NewMrn();
        var conditional = Post(PatientWith(mrn), ifNoneExist: $"identifier={MrnSystem}|{mrn}");

        var response = await _client.PostAsync("/fhir", FhirTest.Json(Transaction(Post(PatientWith(other)), conditional)));

        var message = await response.AssertOutcome(HttpStatusCode.PreconditionFailed);
        Assert.Contains($"entry 1 ({conditional.FullUrl})", message);
        Assert.Empty(await FindAsync<Patient>("Patient", other));
        Assert.Equal(2, (await FindAsync<Patient>("Patient", mrn)).Count);
    }

    [Fact]
    public async Task A_conditional_create_that_matches_answers_200_and_references_to_it_point_at_the_match()
    {
        var mrn = NewMrn();
        var existing = await _client.CreateAsync(PatientWith(mrn, "Existing"));
        var patientUrl = Urn();
        var marker = NewMrn();

        var response = await _client.PostAsync("/fhir", FhirTest.Json(Transaction(
            Post(PatientWith(mrn, "Sent"), patientUrl, $"identifier={MrnSystem}|{mrn}"), Post(ScoreFor(patientUrl, marker)))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<Bundle>();
        Assert.StartsWith("200", answer.Entry[0].Response.Status);
        Assert.Equal($"Patient/{existing.Id}/_history/1", answer.Entry[0].Response.Location);
        Assert.StartsWith("201", answer.Entry[1].Response.Status);
        Assert.Equal($"Patient/{existing.Id}", Assert.Single(await FindAsync<Observation>("Observation", marker)).Subject.Reference);
        Assert.Equal("Existing", Assert.Single(await FindAsync<Patient>("Patient", mrn)).Name[0].Family);
    }

    [Fact]
    public async Task Equal_conditional_creates_in_one_transaction_are_one_resource_and_a_conditional_reference_finds_it()
    {
        // The chosen rule: criteria resolve against the database before the transaction, except that a conditional
        // create (or conditional reference) equal to an earlier conditional create of the same bundle means that resource.
        var mrn = NewMrn();
        var firstUrl = Urn();
        var secondUrl = Urn();
        var marker = NewMrn();

        var response = await _client.PostAsync("/fhir", FhirTest.Json(Transaction(
            Post(PatientWith(mrn), firstUrl, $"identifier={MrnSystem}|{mrn}"),
            Post(PatientWith(mrn), secondUrl, $"identifier={Uri.EscapeDataString($"{MrnSystem}|{mrn}")}"),
            Post(ScoreFor(secondUrl, marker)),
            Post(ScoreFor($"Patient?identifier={MrnSystem}|{mrn}", marker)))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<Bundle>();
        var patient = Assert.Single(await FindAsync<Patient>("Patient", mrn));
        Assert.StartsWith("201", answer.Entry[0].Response.Status);
        Assert.StartsWith("200", answer.Entry[1].Response.Status);
        Assert.Equal(answer.Entry[0].Response.Location, answer.Entry[1].Response.Location);
        Assert.All(await FindAsync<Observation>("Observation", marker), o => Assert.Equal($"Patient/{patient.Id}", o.Subject.Reference));
    }

    [Fact]
    public async Task A_transaction_updates_creates_and_deletes_by_criteria()
    {
        var updateMrn = NewMrn();
        var deleteMrn = NewMrn();
        var createMrn = NewMrn();
        var toUpdate = await _client.CreateAsync(PatientWith(updateMrn, "Before"));
        var toDelete = await _client.CreateAsync(PatientWith(deleteMrn));

        var response = await _client.PostAsync("/fhir", FhirTest.Json(Transaction(
            Entry(Bundle.HTTPVerb.PUT, $"Patient?identifier={MrnSystem}|{updateMrn}", PatientWith(updateMrn, "After")),
            Entry(Bundle.HTTPVerb.PUT, $"Patient?identifier={MrnSystem}|{createMrn}", PatientWith(createMrn)),
            Entry(Bundle.HTTPVerb.DELETE, $"Patient?identifier={MrnSystem}|{deleteMrn}"))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<Bundle>();
        Assert.Equal(["200 OK", "201 Created", "204 No Content"], answer.Entry.Select(e => e.Response.Status));
        var updated = await (await _client.GetAsync($"/fhir/Patient/{toUpdate.Id}")).ReadAs<Patient>();
        Assert.Equal(("After", "2"), (updated.Name[0].Family, updated.Meta.VersionId));
        Assert.Single(await FindAsync<Patient>("Patient", createMrn));
        Assert.Equal(HttpStatusCode.Gone, (await _client.GetAsync($"/fhir/Patient/{toDelete.Id}")).StatusCode);
    }

    [Fact]
    public async Task A_conditional_entry_resolving_to_a_resource_another_entry_changes_is_400()
    {
        var mrn = NewMrn();
        var patient = (Patient)await _client.CreateAsync(PatientWith(mrn));

        var response = await _client.PostAsync("/fhir", FhirTest.Json(Transaction(
            Entry(Bundle.HTTPVerb.PUT, $"Patient/{patient.Id}", patient),
            Entry(Bundle.HTTPVerb.DELETE, $"Patient?identifier={MrnSystem}|{mrn}"))));

        Assert.Contains("more than one entry", await response.AssertOutcome(HttpStatusCode.BadRequest));
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/fhir/Patient/{patient.Id}")).StatusCode);
    }

    [Fact]
    public async Task Concurrent_transactions_with_the_same_conditional_create_share_one_resource()
    {
        var mrn = NewMrn();
        var marker = NewMrn();
        using var start = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            var patientUrl = Urn();
            var bundle = Transaction(Post(PatientWith(mrn), patientUrl, $"identifier={MrnSystem}|{mrn}"), Post(ScoreFor(patientUrl, marker)));
            start.Wait();
            return await _client.PostAsync("/fhir", FhirTest.Json(bundle));
        })).ToList();
        start.Set();
        var responses = await Task.WhenAll(tasks);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var patient = Assert.Single(await FindAsync<Patient>("Patient", mrn));
        var scores = await FindAsync<Observation>("Observation", marker);
        Assert.Equal(12, scores.Count);
        Assert.All(scores, o => Assert.Equal($"Patient/{patient.Id}", o.Subject.Reference));
    }

    [Fact]
    public async Task A_batch_answers_a_search_entry_with_a_searchset()
    {
        var mrn = NewMrn();
        var patient = await _client.CreateAsync(PatientWith(mrn));

        var response = await _client.PostAsync("/fhir", FhirTest.Json(Batch(Entry(Bundle.HTTPVerb.GET, $"Patient?identifier={MrnSystem}|{mrn}&_total=accurate"))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<Bundle>();
        Assert.StartsWith("200", answer.Entry[0].Response.Status);
        var searchset = Assert.IsType<Bundle>(answer.Entry[0].Resource);
        Assert.Equal(Bundle.BundleType.Searchset, searchset.Type);
        Assert.Equal(1, searchset.Total);
        Assert.Equal(patient.Id, Assert.Single(searchset.Entry).Resource.Id);
    }

    [Fact]
    public async Task A_batch_search_entry_says_in_its_searchset_what_it_left_out()
    {
        var mrn = NewMrn();
        var patient = await _client.CreateAsync(PatientWith(mrn));

        var response = await _client.PostAsync("/fhir", FhirTest.Json(Batch(Entry(Bundle.HTTPVerb.GET, $"Patient?identifier={MrnSystem}|{mrn}&birthdate=notadate"))));

        var searchset = Assert.IsType<Bundle>((await response.ReadAs<Bundle>()).Entry[0].Resource);
        Assert.Equal(patient.Id, Assert.Single(searchset.Entry, e => e.Search.Mode == Bundle.SearchEntryMode.Match).Resource.Id);
        var outcome = Assert.Single(searchset.Entry, e => e.Search.Mode == Bundle.SearchEntryMode.Outcome);
        var issue = Assert.Single(Assert.IsType<OperationOutcome>(outcome.Resource).Issue);
        Assert.Equal(OperationOutcome.IssueSeverity.Warning, issue.Severity);
        Assert.Contains("notadate", issue.Diagnostics);
    }

    [Fact]
    public async Task A_batch_runs_conditional_entries_each_on_its_own()
    {
        var mrn = NewMrn();
        var existing = await _client.CreateAsync(PatientWith(mrn));
        var marker = NewMrn();

        var response = await _client.PostAsync("/fhir", FhirTest.Json(Batch(
            Post(PatientWith(mrn), ifNoneExist: $"identifier={MrnSystem}|{mrn}"),
            Post(ScoreFor($"Patient?identifier={MrnSystem}|{NewMrn()}", marker)),
            Post(ScoreFor($"Patient?identifier={MrnSystem}|{mrn}", marker)))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<Bundle>();
        Assert.Equal($"Patient/{existing.Id}/_history/1", answer.Entry[0].Response.Location);
        Assert.StartsWith("200", answer.Entry[0].Response.Status);
        Assert.StartsWith("400", answer.Entry[1].Response.Status);
        Assert.StartsWith("201", answer.Entry[2].Response.Status);
        Assert.Equal($"Patient/{existing.Id}", Assert.Single(await FindAsync<Observation>("Observation", marker)).Subject.Reference);
    }
}
