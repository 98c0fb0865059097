using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests.Search;

/// <summary>
/// A narrow date search starts from a window of the date index. These resources sit exactly where such a
/// window could lose them: months and open periods (long rows that start well before the window), and
/// Timing events (several rows, where date=ge and date=lt may each be met by a different event).
/// </summary>
public sealed class SearchDateWindowTests(SearchDateWindowTests.Clinic clinic) : IClassFixture<SearchDateWindowTests.Clinic>
{
    private const string Pain = "http://loinc.org|72514-3";
    private const string HeartRate = "http://loinc.org|8867-4";

    public sealed class Clinic : FhirApiFactory, IAsyncLifetime
    {
        protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Validation:Mode", "off")];

        public HttpClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Client = CreateClient();
            await Put(Observation("w-instant", Pain, new FhirDateTime("2026-03-10T10:00:00Z")));
            await Put(Observation("w-day", Pain, new FhirDateTime("2026-03-10")));
            await Put(Observation("w-month", Pain, new FhirDateTime("2026-03")));
            await Put(Observation("w-period", Pain, new Period { Start = "2026-01-01", End = "2026-06-30" }));
            await Put(Observation("w-open", Pain, new Period { Start = "2026-03-09T18:00:00Z" }));
            await Put(Observation("w-timing", Pain, Events("2025-01-01", "2027-01-01")));
            await Put(Observation("w-before", Pain, new FhirDateTime("2026-03-09T23:59:59Z")));
            await Put(Observation("w-after", Pain, new FhirDateTime("2026-04-01")));
        }

        Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

        public async Task Put(Resource resource)
        {
            var response = await Client.PutAsync($"/fhir/{resource.TypeName}/{resource.Id}", FhirTest.Json(resource));
            Assert.True(response.IsSuccessStatusCode, $"PUT {resource.TypeName}/{resource.Id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        public async Task<string> MatchIds(string url)
        {
            var response = await Client.GetAsync(url);
            Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var bundle = await response.ReadJson();
            return string.Join(",", SearchDataFixture.Entries(bundle, "match").Select(e => e.GetProperty("resource").GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        }
    }

    private static Timing Events(params string[] at) => new() { EventElement = at.Select(a => new FhirDateTime(a)).ToList() };

    private static Observation Observation(string id, string code, DataType effective)
    {
        var parts = code.Split('|');
        return new Observation
        {
            Id = id,
            Status = ObservationStatus.Final,
            Code = new CodeableConcept(parts[0], parts[1]),
            Subject = new ResourceReference("Patient/window-patient"),
            Effective = effective,
        };
    }

    [Theory]
    // ge and lt may be met by different rows: the month, the period, the open period and the Timing all span the day.
    [InlineData("date=ge2026-03-10&date=lt2026-03-11", "w-day,w-instant,w-month,w-open,w-period,w-timing")]
    [InlineData("date=2026-03-10", "w-day,w-instant")]
    [InlineData("date=eq2026-03", "w-before,w-day,w-instant,w-month")]
    [InlineData("date=gt2026-03-10T12:00:00Z&date=le2026-03-10", "w-day,w-month,w-open,w-period,w-timing")]
    [InlineData("date=sa2026-03-10&date=lt2026-04-02", "w-after,w-timing")]
    [InlineData("date=eb2026-03-10&date=gt2026-03-09T12:00:00Z", "w-before,w-timing")]
    [InlineData("date=ap2026-03-10&date=lt2026-03-10", "w-before,w-month,w-open,w-period")]
    [InlineData("date=ge2026-03-10,ge2026-03-11&date=lt2026-03-10T11:00:00Z", "w-day,w-instant,w-month,w-open,w-period,w-timing")]
    public async Task A_narrow_date_search_finds_long_periods_and_timings_as_well_as_instants(string dates, string expected)
    {
        Assert.Equal(expected, await clinic.MatchIds($"/fhir/Observation?code={Pain}&{dates}&_count=100"));
    }

    [Fact]
    public async Task Rows_of_hours_or_a_day_that_start_before_the_window_are_found()
    {
        // Rows that start hours or a day before the searched value and still meet it: the window must reach below its
        // bound by the longest row it covers, not by a second. ge and gt are met by a row that ends after the value
        // (or, for ge, lies within it).
        const string Glucose = "http://loinc.org|2339-0";
        await clinic.Put(Observation("g-hours", Glucose, new Period { Start = "2026-03-10T11:00:00Z", End = "2026-03-10T13:00:00Z" }));
        await clinic.Put(Observation("g-second-before", Glucose, new FhirDateTime("2026-03-10T11:59:59Z")));
        await clinic.Put(Observation("g-second-at", Glucose, new FhirDateTime("2026-03-10T12:00:00Z")));
        await clinic.Put(Observation("g-day-before", Glucose, new FhirDateTime("2026-03-09")));
        Assert.Equal("g-hours,g-second-at", await clinic.MatchIds($"/fhir/Observation?code={Glucose}&date=ge2026-03-10T12:00:00Z&date=lt2026-03-11&_count=100"));
        Assert.Equal("g-hours", await clinic.MatchIds($"/fhir/Observation?code={Glucose}&date=gt2026-03-10T12:30:00Z&date=lt2026-03-11&_count=100"));
        Assert.Equal("g-day-before", await clinic.MatchIds($"/fhir/Observation?code={Glucose}&date=ge2026-03-09T12:00:00Z&date=lt2026-03-09T23:30:00Z&_count=100"));
    }

    [Fact]
    public async Task Pages_of_a_date_window_search_cover_every_match_once_in_date_order()
    {
        var seen = new List<string>();
        var url = $"/fhir/Observation?code={Pain}&date=ge2026-03-10&date=lt2026-03-11&_sort=date&_count=2";
        while (url is not null)
        {
            var response = await clinic.Client.GetAsync(url);
            var bundle = await response.ReadJson();
            seen.AddRange(SearchDataFixture.Entries(bundle, "match").Select(e => e.GetProperty("resource").GetProperty("id").GetString()!));
            url = bundle.GetProperty("link").EnumerateArray().FirstOrDefault(l => l.GetProperty("relation").GetString() == "next") is { ValueKind: System.Text.Json.JsonValueKind.Object } next
                ? next.GetProperty("url").GetString() : null;
        }
        // Ascending by the lowest start: the Timing (2025), the period (Jan), the month (Mar 1), the open period, the day, the instant.
        Assert.Equal(["w-timing", "w-period", "w-month", "w-open", "w-day", "w-instant"], seen);
    }

    [Fact]
    public async Task Updating_a_timing_to_one_event_and_deleting_a_match_change_what_the_window_finds()
    {
        const string query = $"/fhir/Observation?code={HeartRate}&date=ge2026-03-10&date=lt2026-03-11&_count=100";
        await clinic.Put(Observation("hr-timing", HeartRate, Events("2025-01-01", "2027-01-01")));
        await clinic.Put(Observation("hr-day", HeartRate, new FhirDateTime("2026-03-10")));
        await clinic.Put(Observation("hr-later", HeartRate, new FhirDateTime("2026-05-01")));
        Assert.Equal("hr-day,hr-timing", await clinic.MatchIds(query));

        // One event left, before the day: it no longer meets date=ge. The later one moves into the day.
        await clinic.Put(Observation("hr-timing", HeartRate, Events("2025-01-01")));
        await clinic.Put(Observation("hr-later", HeartRate, new FhirDateTime("2026-03-10T08:00:00Z")));
        Assert.Equal("hr-day,hr-later", await clinic.MatchIds(query));

        // Two events again, both inside the day; then one match deleted.
        await clinic.Put(Observation("hr-timing", HeartRate, Events("2026-03-10T01:00:00Z", "2026-03-10T02:00:00Z")));
        Assert.Equal("hr-day,hr-later,hr-timing", await clinic.MatchIds(query));
        Assert.True((await clinic.Client.DeleteAsync("/fhir/Observation/hr-day")).IsSuccessStatusCode);
        Assert.Equal("hr-later,hr-timing", await clinic.MatchIds(query));
    }
}
