using Dapper;
using FhirMbb.Core.Search;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Tests;

/// <summary>The index tables against a real SQLite file: written with the resource, replaced, removed, and searched safely.</summary>
public sealed class SqliteSearchStoreTests : IDisposable
{
    private readonly SqliteTestFolder _folder = new();
    private readonly SqliteResourceStore _store;
    private readonly SqliteSearchStore _search;
    private readonly SearchParameterRegistry _registry = new();
    private readonly SearchIndexer _indexer;

    public SqliteSearchStoreTests()
    {
        _store = new SqliteResourceStore(_folder.ConnectionString());
        _search = new SqliteSearchStore(_store.ConnectionString);
        _indexer = new SearchIndexer(_registry);
    }

    public void Dispose()
    {
        _search.Dispose();
        _store.Dispose();
        _folder.Dispose();
    }

    private static Patient Patient(string id, string family) => new() { Id = id, Name = [new HumanName { Family = family }] };

    private Task<bool> Write(Resource resource, int version, int? expected) =>
        _store.TryWriteAsync(new ResourceWrite(resource.TypeName, resource.Id!, version, expected, DateTimeOffset.UtcNow,
            "{}"u8.ToArray(), null, _indexer.Index(resource)));

    private long Rows(string table) => _store.ConnectionString is var cs && new SqliteConnection(cs) is var c
        ? Using(c, () => c.ExecuteScalar<long>($"SELECT COUNT(*) FROM {table}"))
        : 0;

    private static T Using<T>(SqliteConnection connection, Func<T> action)
    {
        using (connection)
        {
            connection.Open();
            return action();
        }
    }

    private SearchQuery Query(string type, params SearchCondition[] conditions) =>
        new(type, conditions, null, [], 10, TotalMode.Accurate, SummaryMode.None, null, [], null, null);

    private ParameterCondition Family(string value)
    {
        Assert.True(_registry.TryGet("Patient", "family", out var family));
        return new ParameterCondition(family, [new StringValue(TextNormalizer.Normalize(value), StringMatch.StartsWith)]);
    }

    [Fact]
    public async Task Index_rows_follow_the_current_version_and_a_delete_removes_them()
    {
        Assert.True(await Write(Patient("p1", "Alpha"), 1, null));
        Assert.Equal(1, (await _search.SearchAsync(Query("Patient", Family("alp")))).Total);

        Assert.True(await Write(Patient("p1", "Beta"), 2, 1));
        Assert.Equal(0, (await _search.SearchAsync(Query("Patient", Family("alp")))).Total);
        Assert.Equal(1, (await _search.SearchAsync(Query("Patient", Family("bet")))).Total);
        Assert.Equal(0, Rows("idx_string WHERE exact = 'Alpha'")); // the old version's rows are gone
        Assert.Equal(2, Rows("idx_string WHERE exact = 'Beta'")); // family and name (phonetic reads name's rows)

        Assert.True(await _store.TryWriteAsync(new ResourceWrite("Patient", "p1", 3, 2, DateTimeOffset.UtcNow, null, null)));
        Assert.Equal(0, Rows("idx_string"));
        Assert.Equal(0, Rows("idx_token"));
    }

    [Fact]
    public async Task A_refused_write_leaves_the_index_untouched()
    {
        Assert.True(await Write(Patient("p1", "Alpha"), 1, null));
        Assert.False(await Write(Patient("p1", "Gamma"), 2, 7)); // stale expected version
        Assert.Equal(0, (await _search.SearchAsync(Query("Patient", Family("gam")))).Total);
        Assert.Equal(1, (await _search.SearchAsync(Query("Patient", Family("alp")))).Total);
    }

    [Fact]
    public async Task A_value_that_is_sql_stays_a_value()
    {
        Assert.True(await Write(Patient("p1", "O'Brien"), 1, null));
        var page = await _search.SearchAsync(Query("Patient", Family("'; DROP TABLE resource; --")));
        Assert.Equal(0, page.Total);
        Assert.Equal(1, (await _search.SearchAsync(Query("Patient", Family("o'b")))).Total);
        Assert.Equal(1, Rows("resource"));
    }

    [Fact]
    public async Task Pages_keep_their_snapshot_so_later_creates_do_not_appear()
    {
        for (var i = 0; i < 5; i++) Assert.True(await Write(Patient($"p{i}", "Same"), 1, null));
        var first = await _search.SearchAsync(Query("Patient", Family("same")) with { Count = 2 });
        Assert.NotNull(first.Next);

        for (var i = 5; i < 9; i++) Assert.True(await Write(Patient($"p{i}", "Same"), 1, null));
        var ids = first.Matches.Select(m => m.Id).ToList();
        var cursor = first.Next;
        while (cursor is not null)
        {
            var page = await _search.SearchAsync(Query("Patient", Family("same")) with { Count = 2, Cursor = cursor });
            ids.AddRange(page.Matches.Select(m => m.Id));
            cursor = page.Next;
        }
        Assert.Equal(["p0", "p1", "p2", "p3", "p4"], ids);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_resource_matched_by_two_of_its_index_rows_is_listed_and_counted_once(bool sorted)
    {
        // Two names that both start with "alp": the driving condition finds p1 twice in idx_string. A sorted search
        // takes its candidates from those rows (not through "rid IN"), so it must drop the second one itself.
        var twice = new Patient { Id = "p1", Name = [new HumanName { Family = "Alpha" }, new HumanName { Family = "Alpine" }] };
        Assert.True(await Write(twice, 1, null));
        Assert.True(await Write(Patient("p2", "Alpaca"), 1, null));
        Assert.True(_registry.TryGet("Patient", "family", out var family));
        var query = Query("Patient", Family("alp")) with { Sort = sorted ? [new SearchSort(family, Descending: false)] : [] };

        var page = await _search.SearchAsync(query);

        Assert.Equal(2, page.Total);
        Assert.Equal(sorted ? ["p2", "p1"] : ["p1", "p2"], page.Matches.Select(m => m.Id).ToArray());
        Assert.Equal(2, (await _search.SearchAsync(query with { Summary = SummaryMode.Count })).Total);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_system_and_code_probed_beside_a_patient_match_on_both(bool sorted)
    {
        // The patient drives; code=system|code is probed per candidate in the token value index.
        static Observation Score(string id, string patient, string system, string code, int day) => new()
        {
            Id = id,
            Status = ObservationStatus.Final,
            Code = new CodeableConcept(system, code),
            Subject = new ResourceReference("Patient/" + patient),
            Effective = new FhirDateTime(2026, 3, day),
        };
        Assert.True(await Write(Score("o1", "p1", "http://loinc.org", "72514-3", 1), 1, null));
        Assert.True(await Write(Score("o2", "p1", "http://example.org/local", "72514-3", 2), 1, null));
        Assert.True(await Write(Score("o3", "p1", "http://loinc.org", "8867-4", 3), 1, null));
        Assert.True(await Write(Score("o4", "p2", "http://loinc.org", "72514-3", 4), 1, null));
        Assert.True(await Write(Score("o5", "p1", "http://loinc.org", "72514-3", 5), 1, null));
        Assert.True(_registry.TryGet("Observation", "patient", out var patient));
        Assert.True(_registry.TryGet("Observation", "code", out var code));
        Assert.True(_registry.TryGet("Observation", "date", out var date));
        var query = Query("Observation",
            new ParameterCondition(patient, [new ReferenceValue("Patient", "p1", null)]),
            new ParameterCondition(code, [new TokenValue("http://loinc.org", true, "72514-3")]))
            with { Sort = sorted ? [new SearchSort(date, Descending: true)] : [] };

        var page = await _search.SearchAsync(query);

        Assert.Equal(2, page.Total);
        Assert.Equal(sorted ? ["o5", "o1"] : ["o1", "o5"], page.Matches.Select(m => m.Id).ToArray());

        // One match a page, forward to the end and back: each page starts after its cursor, in the sort's order.
        var ids = new List<string>();
        var pages = new List<SearchPage> { await _search.SearchAsync(query with { Count = 1 }) };
        while (pages[^1].Next is { } next && pages.Count < 5) pages.Add(await _search.SearchAsync(query with { Count = 1, Cursor = next }));
        Assert.Equal(sorted ? ["o5", "o1"] : ["o1", "o5"], pages.SelectMany(p => p.Matches).Select(m => m.Id).ToArray());
        var back = await _search.SearchAsync(query with { Count = 1, Cursor = pages[^1].Previous });
        Assert.Equal(sorted ? ["o5"] : ["o1"], back.Matches.Select(m => m.Id).ToArray());
    }
}
