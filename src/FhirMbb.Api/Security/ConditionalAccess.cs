using FhirMbb.Core.Rest;
using FhirMbb.Core.Search;
using FhirMbb.Core.Security;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;

namespace FhirMbb.Api.Security;

/// <summary>
/// The search inside a conditional create, update or delete, held to what the token may search like any
/// search: 403 without search permission on the type, its compartment as a filter, and every match passed
/// through the read decision. A match the token may not see is treated as absent, so nothing leaks.
/// </summary>
public static class ConditionalAccess
{
    // Granular restrictions filter after the search; this many hidden matches may precede the visible ones.
    private const int HiddenWindow = 100;

    public static (ConditionalCriteria Criteria, CriteriaSearch Search) Searching(HttpContext context, ConditionalCriteria criteria)
    {
        var decision = context.RequireAccess(criteria.Type, Interaction.Search);
        var search = context.RequestServices.GetRequiredService<SearchService>();
        var serialization = context.RequestServices.GetRequiredService<FhirSerialization>();
        var scoped = criteria with { CompartmentPatient = decision.CompartmentPatientId };
        return (scoped, async (c, limit, ct) =>
        {
            if (decision.IsUnrestricted) return await search.MatchAsync(c.Type, c.Parameters, limit, c.CompartmentPatient, ct);
            var found = await search.MatchAsync(c.Type, c.Parameters, limit + HiddenWindow, c.CompartmentPatient, ct);
            return found.Where(m => decision.Permits(m, serialization)).Take(limit).ToList();
        });
    }

    /// <summary>delete of each match: 403 for one the token could not write, as for a plain delete.</summary>
    public static Action<StoredResource> Deleting(HttpContext context, string type, FhirSerialization serialization)
    {
        var decision = context.RequireAccess(type, Interaction.Delete);
        return current =>
        {
            if (!decision.IsUnrestricted) decision.RequireWritable(current, serialization);
        };
    }
}
