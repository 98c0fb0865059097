using System.Data.Common;
using System.Globalization;
using FhirMbb.Core.Search;
using FhirMbb.Core.Storage;

namespace FhirMbb.Data;

/// <summary>A matched or included resource with the row id that orders and identifies it in the store.</summary>
internal sealed record SearchRow(long Rid, StoredResource Stored);

/// <summary>
/// The provider-independent half of a search page: reading the page's sort keys, turning them into the rids to
/// load and the cursors either side, and following _include/_revinclude. Only the SQL differs per provider.
/// </summary>
internal static class SearchPaging
{
    public const int MaxIncludeIterations = 4;
    public const int MaxIncluded = 5000;

    /// <summary>
    /// The sort keys of each row of a page query that asked for one row more than the page holds; <paramref name="alsoRead"/>
    /// reads whatever else the row carries after its keys.
    /// </summary>
    public static async Task<List<object?[]>> ReadKeysAsync(DbDataReader reader, int keyCount, CancellationToken ct, Action? alsoRead = null)
    {
        var page = new List<object?[]>();
        while (await reader.ReadAsync(ct))
        {
            var values = new object?[keyCount];
            for (var i = 0; i < keyCount; i++) values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            page.Add(values);
            alsoRead?.Invoke();
        }
        return page;
    }

    /// <summary>
    /// The rids of the page in display order (the extra row dropped, a backward page turned round; the rid is the
    /// last key) and the cursors to the next and previous pages, pinned to the snapshot.
    /// </summary>
    public static (List<long> Rids, PageCursor? Next, PageCursor? Previous) Cut(List<object?[]> page, SearchQuery query, long snapshot)
    {
        var more = page.Count > query.Count;
        if (more) page.RemoveAt(page.Count - 1);
        var backward = query.Cursor?.Backward == true;
        if (backward) page.Reverse();

        var rids = page.Select(k => Convert.ToInt64(k[^1], CultureInfo.InvariantCulture)).ToList();
        PageCursor? next = null, previous = null;
        if (page.Count > 0)
        {
            if (backward ? query.Cursor is not null : more) next = new PageCursor(snapshot, false, page[^1]);
            if (backward ? more : query.Cursor is not null) previous = new PageCursor(snapshot, true, page[0]);
        }
        return (rids, next, previous);
    }

    /// <summary>
    /// _include and _revinclude from the matches, each resource once: the first round follows every spec, later
    /// rounds (up to <see cref="MaxIncludeIterations"/>) only the :iterate ones from what the round before found.
    /// </summary>
    public static async Task<List<SearchRow>> IncludeAsync(
        SearchQuery query, List<SearchRow> matches, Func<IncludeSpec, List<SearchRow>, Task<List<SearchRow>>> follow)
    {
        var seen = matches.Select(m => m.Rid).ToHashSet();
        var included = new List<SearchRow>();
        var frontier = matches;
        for (var round = 0; round < MaxIncludeIterations && frontier.Count > 0 && included.Count < MaxIncluded; round++)
        {
            var found = new List<SearchRow>();
            foreach (var spec in query.Includes.Where(s => round == 0 || s.Iterate))
                foreach (var row in await follow(spec, frontier))
                    if (seen.Add(row.Rid)) found.Add(row);
            included.AddRange(found);
            frontier = found;
        }
        return included;
    }
}
