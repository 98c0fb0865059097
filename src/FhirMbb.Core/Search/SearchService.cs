using FhirMbb.Core.Rest;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirMbb.Core.Search;

/// <summary>The result of a search, with the resources already cut down when _summary or _elements asked for it.</summary>
public sealed record SearchOutcome(ParsedSearch Parsed, SearchPage Page);

/// <summary>Type-level and compartment search: parse, refuse or drop what is not understood, query, shape the entries.</summary>
public sealed class SearchService(SearchQueryParser parser, ISearchStore store, FhirSerialization serialization, ValueSetCodes? valueSets = null)
{
    public async Task<SearchOutcome> SearchAsync(
        string type, IEnumerable<KeyValuePair<string, string>> parameters, bool strict, SearchLimits limits,
        string? compartmentPatient, string? baseUrl, CancellationToken ct = default)
    {
        ResourceService.RequireType(type);
        if (compartmentPatient is not null) ResourceService.RequireId(compartmentPatient);
        var pairs = parameters as IReadOnlyCollection<KeyValuePair<string, string>> ?? parameters.ToList();
        // :in and :not-in name ValueSets; their codes are looked up first, since parsing is synchronous.
        Dictionary<string, ValueSetExpansion>? expansions = null;
        if (valueSets is not null)
            foreach (var url in SearchQueryParser.ValueSetUrls(pairs))
                (expansions ??= new(StringComparer.Ordinal))[url] = await valueSets.CodesAsync(url);
        var parsed = parser.Parse(type, pairs, limits, compartmentPatient, baseUrl, expansions);
        if (strict && parsed.Issues.Count > 0) throw FhirOperationException.BadRequest(string.Join("; ", parsed.Issues));

        var page = await store.SearchAsync(parsed.Query, ct);
        var filter = FilterFor(parsed.Query);
        if (filter is not null)
            page = page with { Matches = page.Matches.Select(m => Subset(m, filter)).ToList(), Included = page.Included.Select(m => Subset(m, filter)).ToList() };
        return new SearchOutcome(parsed, page);
    }

    /// <summary>
    /// The first <paramref name="limit"/> current resources that conditional criteria select (a conditional create,
    /// update, delete or reference). Criteria the server cannot apply exactly are refused (400), never dropped:
    /// dropping one would widen the match.
    /// </summary>
    public async Task<IReadOnlyList<StoredResource>> MatchAsync(
        string type, IEnumerable<KeyValuePair<string, string>> criteria, int limit, string? compartmentPatient, CancellationToken ct = default)
    {
        ResourceService.RequireType(type);
        if (compartmentPatient is not null) ResourceService.RequireId(compartmentPatient);
        var parsed = parser.Parse(type, criteria, new SearchLimits(limit, limit), compartmentPatient);
        if (parsed.Issues.Count > 0)
            throw FhirOperationException.BadRequest($"The conditional criteria {type}?... cannot be applied: {string.Join("; ", parsed.Issues)}");
        var page = await store.SearchAsync(parsed.Query, ct);
        return page.Matches;
    }

    private static Func<SerializationFilter>? FilterFor(SearchQuery query)
    {
        if (query.Elements is { Count: > 0 } elements)
        {
            // id and meta always come along, so the subsetted resource is still addressable and marked. Clients
            // often name a choice element with its type (valueQuantity); the filter knows it as "value".
            var names = elements.Concat(elements.Select(ChoiceName)).Concat(["id", "meta"]).Distinct(StringComparer.Ordinal).ToArray();
            return () => SerializationFilter.ForElements(names, true);
        }
        return query.Summary switch
        {
            SummaryMode.True => SerializationFilter.ForSummary,
            SummaryMode.Data => SerializationFilter.ForData,
            SummaryMode.Text => SerializationFilter.ForText,
            _ => null,
        };
    }

    /// <summary>Re-serializes a stored resource through the filter, which also tags it SUBSETTED as the spec asks.</summary>
    private StoredResource Subset(StoredResource stored, Func<SerializationFilter> filter)
    {
        var resource = serialization.ParseJson(stored.Json.Span);
        return stored with { Json = serialization.ToFilteredJsonBytes(resource, filter) };
    }

    private static string ChoiceName(string element)
    {
        for (var i = 1; i < element.Length; i++)
            if (char.IsUpper(element[i])) return element[..i];
        return element;
    }
}
