using FhirMbb.Core.Search;

namespace FhirMbb.Data;

/// <summary>Keyset paging predicates, the same on every provider: only how a value is bound differs.</summary>
internal static class SearchKeyset
{
    /// <summary>Rows strictly after the cursor in the traversal order: (k0 after v0) or (k0 = v0 and k1 after v1) or ...</summary>
    public static string After(PageCursor cursor, IReadOnlyList<bool> descending, Func<object?, string> bind)
    {
        if (cursor.Keys.Count != descending.Count)
            throw Core.FhirOperationException.BadRequest("The paging cursor does not belong to this search (its sort changed)");
        var alternatives = new List<string>();
        for (var i = 0; i < descending.Count; i++)
        {
            var terms = new List<string>();
            for (var j = 0; j < i; j++) terms.Add($"q.k{j} = {bind(cursor.Keys[j])}");
            terms.Add($"q.k{i} {(descending[i] ? "<" : ">")} {bind(cursor.Keys[i])}");
            alternatives.Add("(" + string.Join(" AND ", terms) + ")");
        }
        return "(" + string.Join(" OR ", alternatives) + ")";
    }
}
