using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

public sealed class HistoryTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Instance_history_lists_every_version_newest_first_with_request_and_response()
    {
        var created = await _client.CreateAsync(FhirTest.Patient("One"));
        await _client.PutAsync($"/fhir/Patient/{created.Id}", FhirTest.Json(created));
        await _client.DeleteAsync($"/fhir/Patient/{created.Id}");

        var response = await _client.GetAsync($"/fhir/Patient/{created.Id}/_history");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bundle = await response.ReadAs<Bundle>();
        Assert.Equal(Bundle.BundleType.History, bundle.Type);
        Assert.Equal([Bundle.HTTPVerb.DELETE, Bundle.HTTPVerb.PUT, Bundle.HTTPVerb.POST], bundle.Entry.Select(e => e.Request.Method!.Value));
        Assert.Null(bundle.Entry[0].Resource);
        Assert.Equal(["3", "2", "1"], bundle.Entry.Select(e => e.Response.Etag.Trim('W', '/', '"')));
        Assert.Equal("2", bundle.Entry[1].Resource.Meta.VersionId);
    }

    [Fact]
    public async Task Instance_history_of_an_unknown_resource_is_404()
    {
        await (await _client.GetAsync("/fhir/Patient/never-existed/_history")).AssertOutcome(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Type_history_pages_with_count_and_next_links_and_returns_each_version_once()
    {
        var type = "Condition";
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
            ids.Add((await _client.CreateAsync(new Condition { Subject = new ResourceReference("Patient/h1"), Code = new CodeableConcept("http://snomed.info/sct", "279039007") })).Id);

        var seen = new List<string>();
        string? url = $"/fhir/{type}/_history?_count=3";
        var pages = 0;
        while (url is not null)
        {
            var bundle = await (await _client.GetAsync(url)).ReadAs<Bundle>();
            Assert.True(bundle.Entry.Count <= 3);
            seen.AddRange(bundle.Entry.Select(e => e.Resource.Id));
            url = bundle.NextLink?.PathAndQuery;
            pages++;
        }

        Assert.Equal(3, pages);
        Assert.Equal(ids.AsEnumerable().Reverse(), seen);
    }

    [Fact]
    public async Task Type_history_since_leaves_out_older_versions()
    {
        var before = await _client.CreateAsync(FhirTest.Procedure());
        await Task.Delay(50);
        var since = DateTimeOffset.UtcNow;
        await Task.Delay(50);
        var after = await _client.CreateAsync(FhirTest.Procedure());

        var bundle = await (await _client.GetAsync($"/fhir/Procedure/_history?_since={Uri.EscapeDataString(since.ToString("O"))}")).ReadAs<Bundle>();

        Assert.Contains(bundle.Entry, e => e.Resource.Id == after.Id);
        Assert.DoesNotContain(bundle.Entry, e => e.Resource.Id == before.Id);
    }

    [Fact]
    public async Task Malformed_since_is_400()
    {
        await (await _client.GetAsync("/fhir/Procedure/_history?_since=yesterday")).AssertOutcome(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task System_history_includes_every_type()
    {
        var patient = await _client.CreateAsync(FhirTest.Patient());
        var score = await _client.CreateAsync(FhirTest.PainScore(patient.Id));

        var bundle = await (await _client.GetAsync("/fhir/_history?_count=2")).ReadAs<Bundle>();

        Assert.Equal([score.Id, patient.Id], bundle.Entry.Select(e => e.Resource.Id));
    }
}
