using System.Text.Json;
using FhirMbb.Api.Tests.Infrastructure;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests.Search;

/// <summary>
/// A server holding a small, fixed clinic: three patients, two blocks, five observations, two conditions,
/// stored under known ids so each search can list exactly the ids it must return. Also carries one custom
/// SearchParameter (target-joint on the MBB extension), loaded at start-up from a directory of JSON files.
/// </summary>
public sealed class SearchDataFixture : FhirApiFactory, IAsyncLifetime
{
    public const string TargetJointUrl = "https://fhirmbb.org/fhir/StructureDefinition/mbb-target-joint";
    public const string FacetJointSystem = "https://fhirmbb.org/fhir/CodeSystem/spinal-facet-joint";
    private readonly string _parameters = Path.Combine(Path.GetTempPath(), "fhirmbb-search-params", Guid.NewGuid().ToString("N"));

    public SearchDataFixture()
    {
        Directory.CreateDirectory(_parameters);
        var targetJoint = new SearchParameter
        {
            Url = "https://fhirmbb.org/fhir/SearchParameter/mbb-target-joint",
            Name = "TargetJoint",
            Status = PublicationStatus.Active,
            Description = "The facet joint a block targets",
            Code = "target-joint",
            Base = [ResourceType.Procedure],
            Type = SearchParamType.Token,
            Expression = $"Procedure.extension('{TargetJointUrl}').value",
        };
        File.WriteAllText(Path.Combine(_parameters, "SearchParameter-mbb-target-joint.json"), FhirSerialization.Shared.ToJsonString(targetJoint));
    }

    // The data here exercises search, not the profiles: its sparse MBB-coded blocks would not pass validation.
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
        [new("Search:ParameterDirectory", _parameters), new("Validation:Mode", "off")];

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Client = CreateClient();
        foreach (var resource in Resources()) await Put(resource);
    }

    Task IAsyncLifetime.DisposeAsync()
    {
        try { Directory.Delete(_parameters, true); } catch (IOException) { /* temp folder */ }
        return Task.CompletedTask;
    }

    public async Task Put(Resource resource)
    {
        var response = await Client.PutAsync($"/fhir/{resource.TypeName}/{resource.Id}", FhirTest.Json(resource));
        Assert.True(response.IsSuccessStatusCode, $"PUT {resource.TypeName}/{resource.Id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The ids of the matches (search mode "match") of a search, sorted, comma-separated.</summary>
    public async Task<string> MatchIds(string url, params (string, string)[] headers)
    {
        var bundle = await Bundle(url, headers);
        return string.Join(",", Entries(bundle, "match").Select(e => e.GetProperty("resource").GetProperty("id").GetString()).Order(StringComparer.Ordinal));
    }

    public async Task<JsonElement> Bundle(string url, params (string, string)[] headers)
    {
        var response = await Client.SendAsync(FhirTest.Request(HttpMethod.Get, url, null, headers));
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var bundle = await response.ReadJson();
        Assert.Equal("searchset", bundle.GetProperty("type").GetString());
        return bundle;
    }

    public static IEnumerable<JsonElement> Entries(JsonElement bundle, string? mode = null) =>
        bundle.TryGetProperty("entry", out var entries)
            ? entries.EnumerateArray().Where(e => mode is null || e.GetProperty("search").GetProperty("mode").GetString() == mode)
            : [];

    private static IEnumerable<Resource> Resources() => FhirMbb.Testing.SearchClinicData.Resources();
}
