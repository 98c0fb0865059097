using System.Globalization;
using System.Text.Json;
using FhirMbb.Api.Tests.Infrastructure;

namespace FhirMbb.Api.Tests.Search;

/// <summary>
/// Search counts over the Synthea data against the same numbers computed independently, by walking the
/// bundle JSON with System.Text.Json (not the indexer).
/// </summary>
[Collection(SyntheaCollection.Name)]
public sealed class SyntheaSearchTests(SyntheaFixture synthea)
{
    private static readonly Lazy<List<JsonElement>> Resources = new(() => Directory
        .GetFiles(SyntheaFixture.DataDirectory, "patient-*.json")
        .SelectMany(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource")))
        .ToList());

    private static IEnumerable<JsonElement> OfType(string type) => Resources.Value.Where(r => r.GetProperty("resourceType").GetString() == type);

    private static bool HasCoding(JsonElement resource, string property, string system, string code) =>
        resource.TryGetProperty(property, out var concept) && concept.TryGetProperty("coding", out var codings)
        && codings.EnumerateArray().Any(c => c.TryGetProperty("system", out var s) && s.GetString() == system && c.TryGetProperty("code", out var k) && k.GetString() == code);

    private static DateTimeOffset? Effective(JsonElement resource, string prefix)
    {
        if (resource.TryGetProperty(prefix + "DateTime", out var at)) return DateTimeOffset.Parse(at.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        if (resource.TryGetProperty(prefix + "Period", out var period) && period.TryGetProperty("start", out var start))
            return DateTimeOffset.Parse(start.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        return null;
    }

    private static string SubjectId(JsonElement resource) => resource.GetProperty("subject").GetProperty("reference").GetString()!["urn:uuid:".Length..];

    private async Task<int> Total(string query)
    {
        var response = await synthea.Client.GetAsync("/fhir/" + query + "&_summary=count");
        response.EnsureSuccessStatusCode();
        return (await response.ReadJson()).GetProperty("total").GetInt32();
    }

    [Fact]
    public void Every_resource_of_the_bundles_was_loaded()
    {
        Assert.Equal(Resources.Value.Count, synthea.Loaded);
        Assert.Equal(10_359, synthea.Loaded);
    }

    [Fact]
    public async Task Pain_scores_by_loinc_code()
    {
        var expected = OfType("Observation").Count(o => HasCoding(o, "code", "http://loinc.org", "72514-3"));
        Assert.True(expected > 0);
        Assert.Equal(expected, await Total("Observation?code=http://loinc.org|72514-3"));
    }

    [Fact]
    public async Task Conditions_by_their_most_frequent_snomed_code()
    {
        var top = OfType("Condition")
            .SelectMany(c => c.GetProperty("code").GetProperty("coding").EnumerateArray())
            .Where(c => c.GetProperty("system").GetString() == "http://snomed.info/sct")
            .GroupBy(c => c.GetProperty("code").GetString()!).OrderByDescending(g => g.Count()).First();
        var expected = OfType("Condition").Count(c => HasCoding(c, "code", "http://snomed.info/sct", top.Key));
        Assert.Equal(expected, await Total($"Condition?code=http://snomed.info/sct|{top.Key}"));
    }

    [Fact]
    public async Task A_patients_observations_since_2015()
    {
        var patient = OfType("Patient").First().GetProperty("id").GetString()!;
        var since = new DateTimeOffset(2015, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var expected = OfType("Observation").Count(o => SubjectId(o) == patient && Effective(o, "effective") >= since);
        Assert.True(expected > 0);
        Assert.Equal(expected, await Total($"Observation?patient={patient}&date=ge2015"));
    }

    [Fact]
    public async Task Female_patients()
    {
        var expected = OfType("Patient").Count(p => p.TryGetProperty("gender", out var g) && g.GetString() == "female");
        Assert.Equal(expected, await Total("Patient?gender=female"));
    }

    [Fact]
    public async Task Observations_with_a_quantity_above_100()
    {
        var expected = OfType("Observation").Count(o => o.TryGetProperty("valueQuantity", out var q) && q.TryGetProperty("value", out var v) && v.GetDecimal() > 100);
        Assert.True(expected > 0);
        Assert.Equal(expected, await Total("Observation?value-quantity=gt100"));
    }

    [Fact]
    public async Task Procedures_performed_before_2010()
    {
        var before = new DateTimeOffset(2010, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var expected = OfType("Procedure").Count(p => Effective(p, "performed") < before);
        Assert.Equal(expected, await Total("Procedure?date=lt2010"));
    }

    [Fact]
    public async Task A_patients_pain_scores_newest_first_in_one_page()
    {
        var byPatient = OfType("Observation").Where(o => HasCoding(o, "code", "http://loinc.org", "72514-3")).GroupBy(SubjectId).OrderByDescending(g => g.Count()).First();
        var expected = byPatient.Select(o => Effective(o, "effective")!.Value).OrderDescending().Take(50).ToList();

        var response = await synthea.Client.GetAsync($"/fhir/Observation?patient={byPatient.Key}&code=http://loinc.org|72514-3&_sort=-date&_count=50");
        var bundle = await response.ReadJson();
        var actual = bundle.GetProperty("entry").EnumerateArray()
            .Select(e => DateTimeOffset.Parse(e.GetProperty("resource").GetProperty("effectiveDateTime").GetString()!, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(expected, actual);
    }
}
