using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

public sealed class CrudTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Theory]
    [InlineData("Patient")]
    [InlineData("Observation")]
    [InlineData("Procedure")]
    [InlineData("Condition")]
    public async Task Create_assigns_id_and_version_and_sets_location_etag_and_last_modified(string type)
    {
        Resource resource = type switch
        {
            "Patient" => FhirTest.Patient(),
            "Observation" => FhirTest.PainScore(),
            "Procedure" => new Procedure { Status = EventStatus.Completed, Subject = new ResourceReference("Patient/p1"), Code = new CodeableConcept("http://snomed.info/sct", "80146002", "Appendectomy") },
            _ => new Condition { Subject = new ResourceReference("Patient/p1"), Code = new CodeableConcept("http://snomed.info/sct", "279039007") },
        };
        resource.Id = "client-chosen";

        var response = await _client.PostAsync($"/fhir/{type}", FhirTest.Json(resource));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var created = await response.ReadAs<Resource>();
        Assert.NotEqual("client-chosen", created.Id);
        Assert.Equal("1", created.Meta.VersionId);
        Assert.NotNull(created.Meta.LastUpdated);
        Assert.Equal($"W/\"1\"", response.Headers.ETag?.ToString());
        Assert.NotNull(response.Content.Headers.LastModified);
        Assert.EndsWith($"/fhir/{type}/{created.Id}/_history/1", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Read_returns_exactly_what_create_returned()
    {
        var post = await _client.PostAsync("/fhir/Observation", FhirTest.Json(FhirTest.PainScore(score: 4)));
        var created = await post.Content.ReadAsStringAsync();
        var id = (await post.ReadJson()).GetProperty("id").GetString();

        var read = await _client.GetAsync($"/fhir/Observation/{id}");

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(created, await read.Content.ReadAsStringAsync());
        Assert.Equal("W/\"1\"", read.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task Read_of_unknown_id_is_404_outcome()
    {
        var message = await (await _client.GetAsync("/fhir/Patient/does-not-exist")).AssertOutcome(HttpStatusCode.NotFound);
        Assert.Contains("does-not-exist", message);
    }

    [Fact]
    public async Task Update_creates_version_2_and_vread_still_returns_version_1()
    {
        var created = (Observation)await _client.CreateAsync(FhirTest.PainScore(score: 7));
        created.Value = new Integer(3);

        var put = await _client.PutAsync($"/fhir/Observation/{created.Id}", FhirTest.Json(created));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("W/\"2\"", put.Headers.ETag?.ToString());
        var v1 = await (await _client.GetAsync($"/fhir/Observation/{created.Id}/_history/1")).ReadAs<Observation>();
        var v2 = await (await _client.GetAsync($"/fhir/Observation/{created.Id}/_history/2")).ReadAs<Observation>();
        Assert.Equal(7, ((Integer)v1.Value).Value);
        Assert.Equal(3, ((Integer)v2.Value).Value);
        Assert.Equal("2", v2.Meta.VersionId);
    }

    [Fact]
    public async Task Vread_of_missing_version_is_404()
    {
        var created = await _client.CreateAsync(FhirTest.Patient());
        await (await _client.GetAsync($"/fhir/Patient/{created.Id}/_history/9")).AssertOutcome(HttpStatusCode.NotFound);
        await (await _client.GetAsync($"/fhir/Patient/{created.Id}/_history/x")).AssertOutcome(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Put_with_a_new_client_id_creates_the_resource()
    {
        var patient = FhirTest.Patient();
        patient.Id = "mbb-patient-" + Guid.NewGuid().ToString("N")[..8];

        var put = await _client.PutAsync($"/fhir/Patient/{patient.Id}", FhirTest.Json(patient));

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal("W/\"1\"", put.Headers.ETag?.ToString());
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/fhir/Patient/{patient.Id}")).StatusCode);
    }

    [Fact]
    public async Task Delete_then_read_is_410_and_a_later_update_brings_it_back()
    {
        var created = await _client.CreateAsync(FhirTest.Patient());

        var delete = await _client.DeleteAsync($"/fhir/Patient/{created.Id}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        await (await _client.GetAsync($"/fhir/Patient/{created.Id}")).AssertOutcome(HttpStatusCode.Gone);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/fhir/Patient/{created.Id}")).StatusCode);
        await (await _client.GetAsync($"/fhir/Patient/{created.Id}/_history/2")).AssertOutcome(HttpStatusCode.Gone);

        var again = await _client.PutAsync($"/fhir/Patient/{created.Id}", FhirTest.Json(created));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal("W/\"3\"", again.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task If_match_on_the_current_version_updates_and_a_stale_one_is_412()
    {
        var created = await _client.CreateAsync(FhirTest.Patient());

        var ok = await _client.SendAsync(FhirTest.Request(HttpMethod.Put, $"/fhir/Patient/{created.Id}", FhirTest.Json(created), ("If-Match", "W/\"1\"")));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        var stale = await _client.SendAsync(FhirTest.Request(HttpMethod.Put, $"/fhir/Patient/{created.Id}", FhirTest.Json(created), ("If-Match", "W/\"1\"")));
        var message = await stale.AssertOutcome(HttpStatusCode.PreconditionFailed);
        Assert.Contains("current version is 2", message);

        var staleDelete = await _client.SendAsync(FhirTest.Request(HttpMethod.Delete, $"/fhir/Patient/{created.Id}", null, ("If-Match", "W/\"1\"")));
        await staleDelete.AssertOutcome(HttpStatusCode.PreconditionFailed);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/fhir/Patient/{created.Id}")).StatusCode);
    }

    [Fact]
    public async Task If_none_match_on_the_current_version_is_304()
    {
        var created = await _client.CreateAsync(FhirTest.Patient());
        var response = await _client.SendAsync(FhirTest.Request(HttpMethod.Get, $"/fhir/Patient/{created.Id}", null, ("If-None-Match", "W/\"1\"")));
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }
}
