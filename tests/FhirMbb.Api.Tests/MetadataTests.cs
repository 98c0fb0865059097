using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

public sealed class MetadataTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Capability_statement_declares_r4_both_formats_and_the_clinical_types()
    {
        var response = await _client.GetAsync("/fhir/metadata");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var statement = await response.ReadAs<CapabilityStatement>();
        Assert.Equal(FHIRVersion.N4_0_1, statement.FhirVersion);
        Assert.Contains("application/fhir+json", statement.Format);
        Assert.Contains("application/fhir+xml", statement.Format);
        var types = statement.Rest[0].Resource.Select(r => r.Type).ToList();
        foreach (var type in new[] { "Patient", "Procedure", "Observation", "Condition" }) Assert.Contains(type, types);
    }

    [Fact]
    public async Task Every_claimed_interaction_answers_and_nothing_unclaimed_is_claimed()
    {
        var statement = await (await _client.GetAsync("/fhir/metadata")).ReadAs<CapabilityStatement>();
        var patient = statement.Rest[0].Resource.Single(r => r.Type == "Patient");
        var claimed = patient.Interaction.Select(i => i.Code!.Value).ToHashSet();

        // Each claim is exercised: create, read, vread, update, delete, history-instance, history-type.
        var created = await _client.CreateAsync(FhirTest.Patient());
        var probes = new Dictionary<CapabilityStatement.TypeRestfulInteraction, Func<Task<HttpStatusCode>>>
        {
            [CapabilityStatement.TypeRestfulInteraction.Read] = async () => (await _client.GetAsync($"/fhir/Patient/{created.Id}")).StatusCode,
            [CapabilityStatement.TypeRestfulInteraction.Vread] = async () => (await _client.GetAsync($"/fhir/Patient/{created.Id}/_history/1")).StatusCode,
            [CapabilityStatement.TypeRestfulInteraction.Update] = async () => (await _client.PutAsync($"/fhir/Patient/{created.Id}", FhirTest.Json(created))).StatusCode,
            [CapabilityStatement.TypeRestfulInteraction.HistoryInstance] = async () => (await _client.GetAsync($"/fhir/Patient/{created.Id}/_history")).StatusCode,
            [CapabilityStatement.TypeRestfulInteraction.HistoryType] = async () => (await _client.GetAsync("/fhir/Patient/_history")).StatusCode,
            [CapabilityStatement.TypeRestfulInteraction.Create] = async () => (await _client.PostAsync("/fhir/Patient", FhirTest.Json(FhirTest.Patient()))).StatusCode,
            [CapabilityStatement.TypeRestfulInteraction.Patch] = async () => (await _client.PatchAsync($"/fhir/Patient/{created.Id}",
                new StringContent("[{\"op\":\"replace\",\"path\":\"/gender\",\"value\":\"male\"}]", System.Text.Encoding.UTF8, "application/json-patch+json"))).StatusCode,
            [CapabilityStatement.TypeRestfulInteraction.Delete] = async () => (await _client.DeleteAsync($"/fhir/Patient/{created.Id}")).StatusCode,
            [CapabilityStatement.TypeRestfulInteraction.SearchType] = async () => (await _client.GetAsync("/fhir/Patient?_count=1")).StatusCode,
        };
        foreach (var interaction in claimed.OrderBy(i => i == CapabilityStatement.TypeRestfulInteraction.Delete))
        {
            Assert.True(probes.ContainsKey(interaction), $"The statement claims {interaction}, which this test does not know how to probe");
            var status = await probes[interaction]();
            Assert.True((int)status < 300, $"{interaction} is claimed but answered {(int)status}");
        }

        // Search is answered only when claimed.
        var search = await _client.GetAsync("/fhir/Patient");
        Assert.Equal(claimed.Contains(CapabilityStatement.TypeRestfulInteraction.SearchType), search.StatusCode == HttpStatusCode.OK);
    }

    [Fact]
    public async Task Metadata_in_xml()
    {
        var response = await _client.GetAsync("/fhir/metadata?_format=xml");
        Assert.Equal(FhirTest.XmlType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(FHIRVersion.N4_0_1, (await response.ReadAs<CapabilityStatement>()).FhirVersion);
    }

    [Fact]
    public async Task Health_and_readiness_answer()
    {
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/healthz")).StatusCode);
        var first = await _client.GetAsync("/readyz");
        Assert.Equal("ready", (await first.ReadJson()).GetProperty("checks").GetProperty("database").GetString());

        // The validator warms in the background; readiness turns 200 once it is warm.
        var ready = await _client.WaitUntilReadyAsync();
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", (await ready.ReadJson()).GetProperty("checks").GetProperty("validator").GetString());
    }
}
