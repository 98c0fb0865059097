using FhirMbb.Core.Search;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;
using Hl7.Fhir.Model;

namespace FhirMbb.Data.Tests;

/// <summary>
/// A SQLite store in its own test folder, written with the index rows the server's indexer gives each resource, and
/// searched as a client searches: a query string parsed by the registry, pages walked through their encoded cursors.
/// </summary>
public abstract class IndexedStoreTest : IDisposable
{
    private readonly SqliteTestFolder _folder = new();

    protected IndexedStoreTest()
    {
        Store = new SqliteResourceStore(_folder.ConnectionString());
        Indexer = new SearchIndexer(Registry);
    }

    protected SqliteResourceStore Store { get; }

    protected SearchParameterRegistry Registry { get; } = new();

    protected SearchIndexer Indexer { get; }

    public void Dispose()
    {
        Store.Dispose();
        _folder.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Writes a version of the resource (its JSON is not read back) with its index rows.</summary>
    protected Task<bool> Write(Resource resource, int version = 1, int? expected = null) =>
        Store.TryWriteAsync(new ResourceWrite(resource.TypeName, resource.Id!, version, expected, DateTimeOffset.UtcNow,
            "{}"u8.ToArray(), null, Indexer.Index(resource)));

    /// <summary>A query string, parsed without issues, with pages of <paramref name="count"/>.</summary>
    protected SearchQuery Query(string type, string query, int count = 1000)
    {
        var pairs = query.Split('&').Select(p => p.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], Uri.UnescapeDataString(p[1]))).ToList();
        var parsed = new SearchQueryParser(Registry).Parse(type, pairs, new SearchLimits());
        Assert.Empty(parsed.Issues);
        return parsed.Query with { Count = count };
    }

    /// <summary>
    /// Every match in order, walking the pages of <paramref name="count"/> forward through their cursors (encoded as a
    /// client gets them). With <paramref name="total"/>, every page must give the number of matches as its total.
    /// </summary>
    protected async Task<List<StoredResource>> Walk(SqliteSearchStore search, string type, string query, int count, bool total = false)
    {
        var first = Query(type, query, count) with { Total = total ? TotalMode.Accurate : TotalMode.None };
        var found = new List<StoredResource>();
        var totals = new List<long?>();
        for (var page = await search.SearchAsync(first); ; page = await search.SearchAsync(first with { Cursor = PageCursor.TryDecode(page.Next.Encode()) }))
        {
            Assert.True(page.Matches.Count <= count);
            found.AddRange(page.Matches);
            totals.Add(page.Total);
            if (page.Next is not null) continue;
            if (total) Assert.All(totals, t => Assert.Equal(found.Count, t));
            return found;
        }
    }
}
