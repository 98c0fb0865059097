using System.Text;
using FhirMbb.Api.Hosting;
using FhirMbb.Api.Http;
using FhirMbb.Core;
using FhirMbb.Api.Security;
using FhirMbb.Core.Search;
using FhirMbb.Core.Security;
using FhirMbb.Core.Serialization;
using Microsoft.Extensions.Options;

namespace FhirMbb.Api.Endpoints;

/// <summary>Search: GET [type], POST [type]/_search (form body) and GET Patient/[id]/[type] (compartment).</summary>
public static class SearchEndpoints
{
    public static RouteGroupBuilder MapSearchEndpoints(this RouteGroupBuilder fhir)
    {
        fhir.MapGet(FhirRoutes.Type, (HttpContext c, string type, SearchService s, BundleWriter w, IOptions<FhirServerOptions> o) =>
            Search(c, type, null, QueryPairs(c.Request), s, w, o.Value));
        fhir.MapPost(FhirRoutes.TypeSearch, async (HttpContext c, string type, SearchService s, BundleWriter w, IOptions<FhirServerOptions> o) =>
            await Search(c, type, null, QueryPairs(c.Request).Concat(await FormPairs(c.Request)).ToList(), s, w, o.Value));
        fhir.MapGet(FhirRoutes.Compartment, (HttpContext c, string compartment, string id, string type, SearchService s, BundleWriter w, IOptions<FhirServerOptions> o) =>
            compartment == "Patient"
                ? Search(c, type, id, QueryPairs(c.Request), s, w, o.Value)
                : throw FhirOperationException.NotFound($"Compartment '{compartment}' is not supported; only Patient/[id]/[type]"));
        return fhir;
    }

    private static async Task Search(
        HttpContext context, string type, string? patient, IReadOnlyList<KeyValuePair<string, string>> parameters,
        SearchService service, BundleWriter writer, FhirServerOptions options)
    {
        var baseUrl = FhirResponses.BaseUrl(context.Request);
        FhirMbb.Core.Rest.ResourceService.RequireType(type);
        // A compartment token searches only its own patient: the filter goes into the query itself.
        var access = context.RequireAccess(type, Interaction.Search);
        var requested = patient;
        if (access.CompartmentPatientId is { } own)
        {
            if (patient is not null && patient != own)
                throw FhirOperationException.NotFound($"Patient/{patient} is not known");
            patient = own;
        }
        var outcome = await service.SearchAsync(type, parameters, PreferHeader.IsStrictHandling(context.Request),
            new SearchLimits(options.DefaultPageSize, options.MaxPageSize), patient, baseUrl, context.RequestAborted);
        var page = outcome.Page;

        // Links repeat only what was understood; the cursor is the one thing that differs between them.
        var path = baseUrl + (requested is null ? "" : $"/Patient/{requested}") + "/" + type;
        string Link(PageCursor? cursor)
        {
            var query = new StringBuilder();
            foreach (var (key, value) in outcome.Parsed.Kept)
                query.Append(query.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
            if (cursor is not null) query.Append(query.Length == 0 ? '?' : '&').Append("_cursor=").Append(cursor.Encode());
            return path + query;
        }
        var links = new List<BundleLink> { new("self", Link(outcome.Parsed.Query.Cursor)), new("first", Link(null)) };
        if (page.Next is not null) links.Add(new BundleLink("next", Link(page.Next)));
        if (page.Previous is not null) links.Add(new BundleLink("previous", Link(page.Previous)));

        // Matches and included resources alike pass the token's read decision for their type (granular scopes, compartment).
        var serialization = context.RequestServices.GetRequiredService<FhirSerialization>();
        var policy = context.Access();
        var decisions = new Dictionary<string, AccessDecision>(StringComparer.Ordinal);
        bool Visible(FhirMbb.Core.Storage.StoredResource m)
        {
            if (!decisions.TryGetValue(m.Type, out var decision))
                decisions[m.Type] = decision = policy.Decide(m.Type, m.Type == type ? Interaction.Search : Interaction.Read);
            return decision.IsAllowed && decision.Permits(m, serialization);
        }
        var entries = SearchsetEntries.Of(baseUrl, page.Matches.Where(Visible), page.Included.Where(Visible), outcome.Parsed.Issues, serialization);
        await writer.WriteAsync(context, new BundlePage("searchset", page.Total, links, entries));
    }

    private static List<KeyValuePair<string, string>> QueryPairs(HttpRequest request) =>
        request.Query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))).ToList();

    private static async Task<List<KeyValuePair<string, string>>> FormPairs(HttpRequest request)
    {
        if (!request.HasFormContentType)
            throw FhirOperationException.BadRequest("POST _search takes an application/x-www-form-urlencoded body");
        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        return form.SelectMany(f => f.Value.Select(v => new KeyValuePair<string, string>(f.Key, v ?? ""))).ToList();
    }
}
