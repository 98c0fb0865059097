using FhirMbb.Data.Sqlite;
using Hl7.Fhir.Model;

namespace FhirMbb.Data.Tests;

/// <summary>
/// A date search that starts from the date index (schema 0010: rows within one day by day, the others whole) must find
/// exactly what the same conditions find when each resource's rows are probed one by one: here the same search with
/// subject=Patient/p added, which every resource meets and which then drives. Dates of every shape sit on the edges a
/// day's bounds could lose: instants around midnight UTC and in other zones, days, months, periods across midnight, long
/// and open periods, Timings of several events, the years 0001 and 1969.
/// </summary>
public sealed class DateDriverTests : IndexedStoreTest
{
    private static readonly string[] Instants =
    [
        "2026-03-09T23:59:59Z", "2026-03-10T00:00:00Z", "2026-03-10T00:00:00.001Z", "2026-03-10T12:00:00Z", "2026-03-10T23:59:59.999Z",
        "2026-03-11T00:00:00Z", "2026-03-10T23:30:00-05:00", "2026-03-10T01:30:00+05:30", "2026-03-10T10:15", "2026-03-10", "2026-03-11",
        "2026-03", "2026", "0001-01-01", "0001-01-01T00:00:00Z", "1969-12-31", "1969-12-31T23:59:59Z", "1970-01-01", "2026-03-12T08:00:00Z",
    ];

    private static DataType Effective(Random random)
    {
        string Pick() => Instants[random.Next(Instants.Length)];
        switch (random.Next(6))
        {
            case 0:
            case 1:
                return new FhirDateTime(Pick());
            case 2:
                return new Period { Start = Pick(), End = random.Next(4) == 0 ? null : Pick() };
            case 3:
                return new Period { Start = random.Next(3) == 0 ? null : Pick(), End = Pick() };
            case 4:
                return new Timing { EventElement = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => new FhirDateTime(Pick())).ToList() };
            default:
                var at = new DateTimeOffset(2026, 3, 9, 0, 0, 0, TimeSpan.Zero).AddMinutes(random.Next(3 * 24 * 60));
                return new Period { Start = at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), End = at.AddMinutes(random.Next(1, 26 * 60)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") };
        }
    }

    private static readonly string[] Prefixes = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"];

    private static readonly string[] Values =
    [
        "2026-03-10", "2026-03-11", "2026-03-09", "2026-03", "2026", "2026-03-10T12:00:00Z", "2026-03-10T00:00:00Z", "2026-03-10T23:59:59Z",
        "2026-03-10T10:15:00+05:30", "1969-12-31", "1970-01-01", "0001-01-01", "0001", "2026-03-10T11:00", "2026-03-11T00:00:00.000Z",
    ];

    private static readonly CodeableConcept[] Codes =
    [
        new("http://loinc.org", "72514-3"),
        new("http://loinc.org", "8867-4"),
        new() { Coding = [new("http://loinc.org", "72514-3"), new("http://snomed.info/sct", "22253000")] },
        new() { Text = "pain, no code" },
        new("http://example.org/local", "8867-4"),
        new() { Coding = [new("http://loinc.org", null)] },
    ];

    private static readonly string[] CodeSearches =
        ["http://loinc.org|72514-3", "72514-3", "8867-4", "22253000,http://loinc.org|8867-4", "http://loinc.org|", "http://example.org/local|8867-4", "nothing"];

    private async Task<List<string>> Walk(SqliteSearchStore search, string query, int count, bool total = false) =>
        (await Walk(search, "Observation", query, count, total)).Select(m => m.Id).ToList();

    [Fact]
    public async Task Searches_from_the_date_index_find_what_probing_each_resource_finds()
    {
        var random = new Random(20261207);
        var writes = Enumerable.Range(0, 400).Select(i => new Observation
        {
            Id = $"o{i:D3}",
            Status = ObservationStatus.Final,
            Code = Codes[i % Codes.Length],
            Subject = new ResourceReference("Patient/p"),
            Effective = Effective(random),
        });
        foreach (var observation in writes)
            Assert.True(await Write(observation));

        using var search = new SqliteSearchStore(Store.ConnectionString);
        var checkedCount = 0;
        for (var i = 0; i < 300; i++)
        {
            string Condition() => $"date={string.Join(",", Enumerable.Range(0, random.Next(4) == 0 ? 2 : 1).Select(_ => Prefixes[random.Next(Prefixes.Length)] + Uri.EscapeDataString(Values[random.Next(Values.Length)])))}";
            var dates = random.Next(3) == 0 ? Condition() : $"{Condition()}&{Condition()}";
            // Codes that set bits the date rows are filtered on (schema 0012), and a system alone, which sets none.
            if (random.Next(2) == 0) dates += "&code=" + Uri.EscapeDataString(CodeSearches[random.Next(CodeSearches.Length)]);

            var probed = (await Walk(search, $"subject=Patient/p&{dates}", 1000)).Order(StringComparer.Ordinal).ToList();
            // Unsorted, in pages of 7: the rows in rid order from each page's cursor on.
            var paged = await Walk(search, dates, 7, total: i % 2 == 0);
            Assert.True(paged.SequenceEqual(paged.OrderBy(id => id, StringComparer.Ordinal)), $"{dates}: not in the order written: {string.Join(",", paged)}");
            Assert.True(probed.SequenceEqual(paged), $"{dates}: {string.Join(",", paged)} against {string.Join(",", probed)}");
            var sorted = (await Walk(search, dates + "&_sort=date", 5)).Order(StringComparer.Ordinal).ToList();
            Assert.True(probed.SequenceEqual(sorted), $"{dates}&_sort=date: {string.Join(",", sorted)} against {string.Join(",", probed)}");
            if (probed.Count is > 0 and < 400) checkedCount++;
        }
        Assert.True(checkedCount > 150, $"only {checkedCount} searches found some but not all");
    }
}
