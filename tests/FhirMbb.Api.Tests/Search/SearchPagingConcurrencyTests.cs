using System.Text.Json;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests.Search;

/// <summary>Walking all pages returns each match exactly once while other clients create and update matching resources.</summary>
public sealed class SearchPagingConcurrencyTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static Observation Reading(int i) => new()
    {
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("https://fhirmbb.org/fhir/CodeSystem/test", "paging"),
        Subject = new ResourceReference("Patient/paging"),
        Effective = new FhirDateTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(i % 13)),
        Value = new Integer(i),
    };

    [Theory]
    [InlineData("")]
    [InlineData("&_sort=-date")]
    public async Task Every_match_appears_exactly_once_while_resources_are_written(string sort)
    {
        var originals = new List<Resource>();
        for (var i = 0; i < 60; i++) originals.Add(await _client.CreateAsync(Reading(i)));

        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 3).Select(w => System.Threading.Tasks.Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                // New matches (must not appear on later pages) and updates of existing ones (must not move between pages).
                await _client.PostAsync("/fhir/Observation", FhirTest.Json(Reading(1000 + n)));
                var existing = originals[(w * 7 + n) % originals.Count];
                await _client.PutAsync($"/fhir/Observation/{existing.Id}", FhirTest.Json(existing));
                n++;
            }
        })).ToList();

        var seen = new List<string>();
        string? url = "/fhir/Observation?code=https://fhirmbb.org/fhir/CodeSystem/test|paging&_count=7" + sort;
        while (url is not null)
        {
            var response = await _client.GetAsync(url);
            response.EnsureSuccessStatusCode();
            var bundle = await response.ReadJson();
            if (bundle.TryGetProperty("entry", out var entries))
                seen.AddRange(entries.EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").GetString()!));
            url = bundle.GetProperty("link").EnumerateArray()
                .Where(l => l.GetProperty("relation").GetString() == "next")
                .Select(l => l.GetProperty("url").GetString()).FirstOrDefault();
            await System.Threading.Tasks.Task.Delay(5); // let the writers in between pages
        }
        stop.Cancel();
        await System.Threading.Tasks.Task.WhenAll(writers);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        foreach (var original in originals) Assert.Contains(original.Id, seen);
        Assert.True(seen.Count >= originals.Count);
    }
}
