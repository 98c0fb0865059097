using FhirMbb.Core.Search;
using FhirMbb.Core.Storage;
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
public sealed class DateDriverTests : IDisposable
{
    private readonly SqliteTestFolder _folder = new();
    private readonly SqliteResourceStore _store;
    private readonly SearchParameterRegistry _registry = new();
    private readonly SearchIndexer _indexer;

    public DateDriverTests()
    {
        _store = new SqliteResourceStore(_folder.ConnectionString());
        _indexer = new SearchIndexer(_registry);
    }

    public void Dispose()
    {
        _store.Dispose();
        _folder.Dispose();
    }

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

    private SearchQuery Query(string query, int count)
    {
        var pairs = query.Split('&').Select(p => p.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], Uri.UnescapeDataString(p[1]))).ToList();
        var parsed = new SearchQueryParser(_registry).Parse("Observation", pairs, new SearchLimits());
        Assert.Empty(parsed.Issues);
        return parsed.Query with { Count = count };
    }

    /// <summary>
    /// Every match, walking pages of <paramref name="count"/> through their cursors as a client would; with
    /// <paramref name="total"/>, each page's total must be the number of matches.
    /// </summary>
    private async Task<List<string>> Walk(SqliteSearchStore search, string query, int count, bool total = false)
    {
        var first = Query(query, count) with { Total = total ? TotalMode.Accurate : TotalMode.None };
        var found = new List<string>();
        var totals = new List<long?>();
        for (var page = await search.SearchAsync(first); ; page = await search.SearchAsync(first with { Cursor = PageCursor.TryDecode(page.Next.Encode()) }))
        {
            found.AddRange(page.Matches.Select(m => m.Id));
            totals.Add(page.Total);
            if (page.Next is not null) continue;
            if (total) Assert.All(totals, t => Assert.Equal(found.Count, t));
            return found;
        }
    }

    [Fact]
    public async Task Searches_from_the_date_index_find_what_probing_each_resource_finds()
    {
        var random = new Random(20261207);
        var writes = Enumerable.Range(0, 400).Select(i => new Observation
        {
            Id = $"o{i:D3}",
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", i % 3 == 0 ? "72514-3" : "8867-4"),
            Subject = new ResourceReference("Patient/p"),
            Effective = Effective(random),
        });
        foreach (var observation in writes)
            Assert.True(await _store.TryWriteAsync(new ResourceWrite("Observation", observation.Id, 1, null, DateTimeOffset.UtcNow, "{}"u8.ToArray(), null, _indexer.Index(observation))));

        using var search = new SqliteSearchStore(_store.ConnectionString);
        var checkedCount = 0;
        for (var i = 0; i < 300; i++)
        {
            string Condition() => $"date={string.Join(",", Enumerable.Range(0, random.Next(4) == 0 ? 2 : 1).Select(_ => Prefixes[random.Next(Prefixes.Length)] + Uri.EscapeDataString(Values[random.Next(Values.Length)])))}";
            var dates = random.Next(3) == 0 ? Condition() : $"{Condition()}&{Condition()}";
            if (random.Next(2) == 0) dates += "&code=http://loinc.org|72514-3";

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
