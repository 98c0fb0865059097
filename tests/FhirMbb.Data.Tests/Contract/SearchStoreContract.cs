using FhirMbb.Core.Search;
using FhirMbb.Core.Storage;
using FhirMbb.Testing;
using Hl7.Fhir.Model;

namespace FhirMbb.Data.Tests.Contract;

/// <summary>
/// A provider's databases for the search contract: one holding <see cref="SearchClinic"/>, shared by the
/// read-only cases and seeded once, and fresh empty ones for the cases that write.
/// </summary>
public abstract class SearchDatabase : IAsyncLifetime
{
    private readonly List<object> _open = [];
    private (IResourceStore Store, ISearchStore Search)? _clinic;

    /// <summary>Null when the provider can run on this machine; otherwise why not, shown as the skip reason.</summary>
    public abstract string? SkipReason { get; }

    /// <summary>A new, empty database with the schema applied, and the two stores on it.</summary>
    protected abstract Task<(IResourceStore Store, ISearchStore Search)> CreateAsync();

    /// <summary>Drops every database <see cref="CreateAsync"/> made, after the stores were closed.</summary>
    protected abstract Task DropAllAsync();

    public (IResourceStore Store, ISearchStore Search) Clinic => _clinic ?? throw new InvalidOperationException("The clinic was not seeded");

    public async Task<(IResourceStore Store, ISearchStore Search)> FreshAsync()
    {
        var stores = await CreateAsync();
        lock (_open) _open.AddRange([stores.Search, stores.Store]);
        return stores;
    }

    public async Task InitializeAsync()
    {
        if (SkipReason is not null) return;
        var clinic = await FreshAsync();
        foreach (var resource in SearchClinic.Resources())
            Assert.True(await clinic.Store.TryWriteAsync(SearchClinic.Write(resource, 1, null)), $"seeding {resource.TypeName}/{resource.Id}");
        _clinic = clinic;
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _open) (store as IDisposable)?.Dispose();
        _open.Clear();
        if (SkipReason is null) await DropAllAsync();
    }
}

/// <summary>
/// What every search store must do, written once and run per provider: always on SQLite, on SQL Server when
/// FHIRMBB_SQLSERVER is set. The matching cases are those of the API's search tests, on the same clinic.
/// </summary>
public abstract class SearchStoreContract<TDatabase>(TDatabase database) : IClassFixture<TDatabase>
    where TDatabase : SearchDatabase
{
    private ISearchStore Clinic
    {
        get
        {
            Skip.If(database.SkipReason is not null, database.SkipReason);
            return database.Clinic.Search;
        }
    }

    private async Task<(IResourceStore Store, ISearchStore Search)> FreshAsync()
    {
        Skip.If(database.SkipReason is not null, database.SkipReason);
        return await database.FreshAsync();
    }

    private static string Ids(SearchPage page) => string.Join(",", page.Matches.Select(m => m.Id).Order(StringComparer.Ordinal));

    private static IEnumerable<string> Refs(IEnumerable<StoredResource> resources) => resources.Select(r => $"{r.Type}/{r.Id}");

    [SkippableTheory]
    [MemberData(nameof(SearchClinicData.MatchingCases), MemberType = typeof(SearchClinicData))]
    // MatchingCases are shared with the API search tests; the cases below run only here.
    // string: starts-with, case- and accent-insensitive, :exact, :contains
    [InlineData("Patient?family:exact=Müll", "")]
    [InlineData("Patient?family:contains=LER-S", "pat-b")]
    [InlineData("Patient?family:missing=true", "")]
    // number (the custom pain-score parameter: only obs-1 has an integer value)
    [InlineData("Observation?score=7", "obs-1")]
    [InlineData("Observation?score=gt6.5", "obs-1")]
    [InlineData("Observation?score=lt7", "")]
    [InlineData("Observation?score=ne7", "")]
    [InlineData("Observation?score:missing=true", "obs-2,obs-3,obs-4,obs-5")]
    // uri, _id, _lastUpdated, _tag, _profile
    [InlineData("Condition?_profile:below=https://fhirmbb.org/fhir/ValueSet/", "")]
    [InlineData("Patient?_id=PAT-A", "")]
    // values that look like SQL or LIKE patterns are only values
    [InlineData("Patient?family=%27%3B%20DROP%20TABLE%20resource%3B%20--", "")]
    [InlineData("Patient?identifier=x%27%20OR%20%271%27%3D%271", "")]
    [InlineData("Patient?family:contains=%25", "")]
    [InlineData("Patient?family:contains=_", "")]
    [InlineData("Patient?family:contains=%5Ba-z%5D", "")]
    [InlineData("Patient", "pat-a,pat-b,pat-c")]
    public async Task Search_returns_exactly_the_matching_resources(string query, string expected)
    {
        Assert.Equal(expected, Ids(await Clinic.SearchAsync(SearchClinic.Query(query))));
    }

    [SkippableFact]
    public async Task Sort_by_date_descending_then_by_several_keys()
    {
        var search = Clinic;
        Assert.Equal(["obs-3", "obs-2", "obs-1"], (await search.SearchAsync(SearchClinic.Query("Observation?code=72514-3&_sort=-date"))).Matches.Select(m => m.Id));
        Assert.Equal(["obs-4", "obs-1", "obs-2", "obs-3", "obs-5"], (await search.SearchAsync(SearchClinic.Query("Observation?_sort=status,date"))).Matches.Select(m => m.Id));
        // smith > muller > mueller-smith, on the folded text
        Assert.Equal(["pat-c", "pat-a", "pat-b"], (await search.SearchAsync(SearchClinic.Query("Patient?_sort=-family"))).Matches.Select(m => m.Id));
        // highest first; obs-1 has an integer, not a quantity, so it has no value and comes last
        Assert.Equal(["obs-4", "obs-5", "obs-2", "obs-3", "obs-1"], (await search.SearchAsync(SearchClinic.Query("Observation?_sort=-value-quantity"))).Matches.Select(m => m.Id));
        Assert.Equal(["obs-3", "obs-2", "obs-5", "obs-4", "obs-1"], (await search.SearchAsync(SearchClinic.Query("Observation?_sort=value-quantity"))).Matches.Select(m => m.Id));
    }

    [SkippableFact]
    public async Task A_sorted_page_of_a_driven_search_holds_each_match_as_read_after_updates_and_deletes()
    {
        var (store, search) = await FreshAsync();
        Observation Score(string id, int day, int value) => new()
        {
            Id = id, Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "72514-3"),
            Subject = new ResourceReference("Patient/p1"),
            Effective = new FhirDateTime(new DateTimeOffset(2026, 3, day, 9, 0, 0, TimeSpan.Zero)),
            Value = new Integer(value),
        };
        foreach (var (id, day) in new[] { ("s1", 1), ("s2", 2), ("s3", 3), ("s4", 4), ("s5", 5) })
            Assert.True(await store.TryWriteAsync(SearchClinic.Write(Score(id, day, day), 1, null)));
        Assert.True(await store.TryWriteAsync(SearchClinic.Write(Score("s2", 2, 9), 2, 1)));
        Assert.True(await store.TryWriteAsync(new ResourceWrite("Observation", "s4", 2, 1, DateTimeOffset.UtcNow, null, null)));
        // A Condition with the same code and date is not an Observation: the type is checked on the page's rows too.
        Assert.True(await store.TryWriteAsync(SearchClinic.Write(new Condition
        {
            Id = "c1", Code = new CodeableConcept("http://loinc.org", "72514-3"), Subject = new ResourceReference("Patient/p1"),
            RecordedDateElement = new FhirDateTime("2026-03-06"),
        }, 1, null)));

        var query = SearchClinic.Query("Observation?subject=Patient/p1&code=http://loinc.org|72514-3&_sort=-date", count: 2);
        var pages = new List<SearchPage> { await search.SearchAsync(query) };
        while (pages[^1].Next is { } next) pages.Add(await search.SearchAsync(query with { Cursor = next }));
        var back = await search.SearchAsync(query with { Cursor = pages[^1].Previous });

        var matches = pages.SelectMany(p => p.Matches).ToList();
        Assert.Equal(["s5", "s3", "s2", "s1"], matches.Select(m => m.Id));
        Assert.Equal(pages[^2].Matches.Select(m => m.Id), back.Matches.Select(m => m.Id));
        foreach (var match in matches.Concat(back.Matches))
        {
            var read = await store.ReadAsync("Observation", match.Id);
            Assert.NotNull(read);
            Assert.Equal((read.Type, read.Version, read.LastUpdated, read.Sequence, read.Deleted), (match.Type, match.Version, match.LastUpdated, match.Sequence, match.Deleted));
            Assert.Equal(read.Json.ToArray(), match.Json.ToArray());
        }
        Assert.Equal(2, matches.Single(m => m.Id == "s2").Version);
    }

    [SkippableFact]
    public async Task Sorted_pages_cover_every_match_once_and_lead_back()
    {
        var search = Clinic;
        var query = SearchClinic.Query("Observation?_sort=-date", count: 2);
        var pages = new List<SearchPage> { await search.SearchAsync(query) };
        while (pages[^1].Next is { } next) pages.Add(await search.SearchAsync(query with { Cursor = next }));

        Assert.Equal(3, pages.Count);
        Assert.Equal(["obs-3", "obs-2", "obs-1", "obs-4", "obs-5"], pages.SelectMany(p => p.Matches).Select(m => m.Id));
        Assert.Null(pages[0].Previous);

        var back = await search.SearchAsync(query with { Cursor = pages[2].Previous });
        Assert.Equal(pages[1].Matches.Select(m => m.Id), back.Matches.Select(m => m.Id));
        var first = await search.SearchAsync(query with { Cursor = back.Previous });
        Assert.Equal(pages[0].Matches.Select(m => m.Id), first.Matches.Select(m => m.Id));
    }

    [SkippableFact]
    public async Task Pages_sorted_by_text_and_by_number_cursor_through_their_keys()
    {
        var search = Clinic;
        foreach (var text in new[] { "Patient?_sort=family", "Observation?_sort=value-quantity", "Observation?_sort=-subject,-code" })
        {
            var all = (await search.SearchAsync(SearchClinic.Query(text))).Matches.Select(m => m.Id).ToList();
            var query = SearchClinic.Query(text, count: 1);
            var walked = new List<string>();
            var page = await search.SearchAsync(query);
            walked.AddRange(page.Matches.Select(m => m.Id));
            while (page.Next is { } next)
            {
                // Cursors travel as text in links: encode and decode them as the API does.
                page = await search.SearchAsync(query with { Cursor = PageCursor.TryDecode(next.Encode()) });
                walked.AddRange(page.Matches.Select(m => m.Id));
            }
            Assert.Equal(all, walked);
        }
    }

    [SkippableFact]
    public async Task Total_is_counted_when_asked_and_summary_count_gives_only_the_total()
    {
        var search = Clinic;
        var accurate = await search.SearchAsync(SearchClinic.Query("Observation?code=72514-3&_total=accurate", count: 1));
        Assert.Equal(3, accurate.Total);
        Assert.Single(accurate.Matches);

        Assert.Null((await search.SearchAsync(SearchClinic.Query("Observation?code=72514-3&_total=none"))).Total);

        var count = await search.SearchAsync(SearchClinic.Query("Observation?code=72514-3&_summary=count"));
        Assert.Equal(3, count.Total);
        Assert.Empty(count.Matches);
    }

    [SkippableFact]
    public async Task Include_and_revinclude_add_the_related_resources_once()
    {
        var search = Clinic;
        var include = await search.SearchAsync(SearchClinic.Query("Observation?code=72514-3&_include=Observation:subject"));
        Assert.Equal(3, include.Matches.Count);
        Assert.Equal(["Patient/pat-a"], Refs(include.Included));

        var typed = await search.SearchAsync(SearchClinic.Query("Observation?code=72514-3&_include=Observation:part-of:Patient"));
        Assert.Empty(typed.Included);

        var revinclude = await search.SearchAsync(SearchClinic.Query("Procedure?_id=proc-1&_revinclude=Observation:part-of"));
        Assert.Equal(["Procedure/proc-1"], Refs(revinclude.Matches));
        Assert.Equal(["Observation/obs-1", "Observation/obs-2", "Observation/obs-3"], Refs(revinclude.Included).Order());
    }

    [SkippableFact]
    public async Task Iterate_follows_references_from_included_resources()
    {
        var search = Clinic;
        var plain = await search.SearchAsync(SearchClinic.Query("Observation?_id=obs-1&_include=Observation:part-of"));
        Assert.Equal(["Procedure/proc-1"], Refs(plain.Included));

        var iterated = await search.SearchAsync(SearchClinic.Query("Observation?_id=obs-1&_include=Observation:part-of&_include:iterate=Procedure:subject"));
        Assert.Equal(["Patient/pat-a", "Procedure/proc-1"], Refs(iterated.Included).Order());

        var reverse = await search.SearchAsync(SearchClinic.Query("Patient?_id=pat-a&_revinclude=Procedure:subject&_revinclude:iterate=Observation:part-of"));
        Assert.Equal(["Observation/obs-1", "Observation/obs-2", "Observation/obs-3", "Procedure/proc-1"], Refs(reverse.Included).Order());
    }

    [SkippableFact]
    public async Task Index_rows_follow_the_current_version_and_a_delete_removes_them()
    {
        var (store, search) = await FreshAsync();
        var patient = FhirMbb.Testing.SearchClinicData.Patient("p1", "Alpha", "A", AdministrativeGender.Female, "1990", "MRN-9", true, null, null);
        Assert.True(await store.TryWriteAsync(SearchClinic.Write(patient, 1, null)));
        Assert.Equal("p1", Ids(await search.SearchAsync(SearchClinic.Query("Patient?family=alp"))));

        patient.Name[0].Family = "Beta";
        Assert.True(await store.TryWriteAsync(SearchClinic.Write(patient, 2, 1)));
        Assert.Equal("", Ids(await search.SearchAsync(SearchClinic.Query("Patient?family=alp"))));
        Assert.Equal("p1", Ids(await search.SearchAsync(SearchClinic.Query("Patient?family=bet"))));
        Assert.Equal("p1", Ids(await search.SearchAsync(SearchClinic.Query("Patient?identifier=MRN-9"))));

        Assert.True(await store.TryWriteAsync(new ResourceWrite("Patient", "p1", 3, 2, DateTimeOffset.UtcNow, null, null)));
        Assert.Equal("", Ids(await search.SearchAsync(SearchClinic.Query("Patient?family=bet"))));
        Assert.Equal("", Ids(await search.SearchAsync(SearchClinic.Query("Patient?identifier=MRN-9"))));
        Assert.Equal("", Ids(await search.SearchAsync(SearchClinic.Query("Patient"))));
    }

    [SkippableFact]
    public async Task A_refused_write_and_a_rolled_back_transaction_leave_the_index_untouched()
    {
        var (store, search) = await FreshAsync();
        var patient = FhirMbb.Testing.SearchClinicData.Patient("p1", "Alpha", "A", AdministrativeGender.Female, "1990", null, true, null, null);
        Assert.True(await store.TryWriteAsync(SearchClinic.Write(patient, 1, null)));

        patient.Name[0].Family = "Gamma";
        Assert.False(await store.TryWriteAsync(SearchClinic.Write(patient, 2, 7)));
        var other = FhirMbb.Testing.SearchClinicData.Patient("p2", "Gamma", "G", AdministrativeGender.Male, "1991", null, true, null, null);
        Assert.Equal(1, await store.TryWriteAllAsync([SearchClinic.Write(other, 1, null), SearchClinic.Write(patient, 2, 7)]));

        Assert.Equal("", Ids(await search.SearchAsync(SearchClinic.Query("Patient?family=gam"))));
        Assert.Equal("p1", Ids(await search.SearchAsync(SearchClinic.Query("Patient?family=alp"))));
    }

    [SkippableFact]
    public async Task Pages_keep_their_snapshot_so_later_creates_do_not_appear()
    {
        var (store, search) = await FreshAsync();
        for (var i = 0; i < 5; i++)
            Assert.True(await store.TryWriteAsync(SearchClinic.Write(FhirMbb.Testing.SearchClinicData.Patient($"p{i}", "Same", "S", AdministrativeGender.Other, "2000", null, null, null, null), 1, null)));
        var query = SearchClinic.Query("Patient?family=same", count: 2);
        var first = await search.SearchAsync(query);
        Assert.NotNull(first.Next);

        for (var i = 5; i < 9; i++)
            Assert.True(await store.TryWriteAsync(SearchClinic.Write(FhirMbb.Testing.SearchClinicData.Patient($"p{i}", "Same", "S", AdministrativeGender.Other, "2000", null, null, null, null), 1, null)));
        var ids = first.Matches.Select(m => m.Id).ToList();
        var cursor = first.Next;
        while (cursor is not null)
        {
            var page = await search.SearchAsync(query with { Cursor = cursor });
            ids.AddRange(page.Matches.Select(m => m.Id));
            cursor = page.Next;
        }
        Assert.Equal(["p0", "p1", "p2", "p3", "p4"], ids);
    }

    [SkippableFact]
    public async Task Index_values_of_every_type_round_trip_through_the_store()
    {
        // Long texts, accents, quotes and LIKE metacharacters are stored as given and found by their own value.
        var (store, search) = await FreshAsync();
        var family = "O'Brien_100%[x]";
        var patient = FhirMbb.Testing.SearchClinicData.Patient("p1", family, "Zoë", AdministrativeGender.Female, "1990-01-02", "id'; --", true, "Genève", "a_b@example.org");
        Assert.True(await store.TryWriteAsync(SearchClinic.Write(patient, 1, null)));

        Assert.Equal("p1", Ids(await search.SearchAsync(SearchClinic.Query("Patient?family:exact=" + Uri.EscapeDataString(family)))));
        Assert.Equal("p1", Ids(await search.SearchAsync(SearchClinic.Query("Patient?family=" + Uri.EscapeDataString("o'brien_100%[")))));
        Assert.Equal("p1", Ids(await search.SearchAsync(SearchClinic.Query("Patient?family:contains=" + Uri.EscapeDataString("_100%[x]")))));
        Assert.Equal("p1", Ids(await search.SearchAsync(SearchClinic.Query("Patient?given=zoe"))));
        Assert.Equal("p1", Ids(await search.SearchAsync(SearchClinic.Query("Patient?address-city=GENEVE"))));
        Assert.Equal("p1", Ids(await search.SearchAsync(SearchClinic.Query("Patient?identifier=" + Uri.EscapeDataString("id'; --")))));
        Assert.Equal("p1", Ids(await search.SearchAsync(SearchClinic.Query("Patient?email=a_b@example.org"))));
        Assert.Equal("", Ids(await search.SearchAsync(SearchClinic.Query("Patient?email=aXb@example.org"))));
        Assert.Equal("p1", Ids(await search.SearchAsync(SearchClinic.Query("Patient?birthdate=1990-01-02"))));
    }
}
