using System.Globalization;
using FhirMbb.Api.Hosting;
using FhirMbb.Api.Http;
using FhirMbb.Api.Security;
using FhirMbb.Core;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Serialization;
using Microsoft.Extensions.Options;

namespace FhirMbb.Api.Endpoints;

/// <summary>history of an instance, a type and the whole server, newest first, paged by a stable cursor.</summary>
public static class HistoryEndpoints
{
    private const string CursorParameter = "_cursor";

    public static RouteGroupBuilder MapHistoryEndpoints(this RouteGroupBuilder fhir)
    {
        fhir.MapGet(FhirRoutes.InstanceHistory, (HttpContext c, string type, string id, ResourceService s, BundleWriter w, IOptions<FhirServerOptions> o, FhirSerialization f) =>
            History(c, type, id, s, w, o.Value, f));
        fhir.MapGet(FhirRoutes.TypeHistory, (HttpContext c, string type, ResourceService s, BundleWriter w, IOptions<FhirServerOptions> o, FhirSerialization f) =>
            History(c, type, null, s, w, o.Value, f));
        fhir.MapGet(FhirRoutes.SystemHistory, (HttpContext c, ResourceService s, BundleWriter w, IOptions<FhirServerOptions> o, FhirSerialization f) =>
            History(c, null, null, s, w, o.Value, f));
        return fhir;
    }

    private static async Task History(
        HttpContext context, string? type, string? id, ResourceService service, BundleWriter writer, FhirServerOptions options, FhirSerialization serialization)
    {
        var query = context.Request.Query;
        var count = ParseCount(query["_count"], options);
        var since = ParseSince(query["_since"]);
        long? cursor = null;
        if (query[CursorParameter].ToString() is { Length: > 0 } rawCursor)
            cursor = long.TryParse(rawCursor, NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c
                : throw FhirOperationException.BadRequest($"{CursorParameter} '{rawCursor}' is not a paging cursor of this server");

        var access = await ResourceGuard.RequireHistoryAsync(context, type, id, service, serialization);

        // An instance that never existed has no history: 404 rather than an empty Bundle.
        if (type is not null && id is not null) await service.RequireKnownAsync(type, id, context.RequestAborted);

        var page = await service.HistoryAsync(type, id, since, count, cursor, access.PatientId, context.RequestAborted);
        var baseUrl = FhirResponses.BaseUrl(context.Request);
        var path = baseUrl + (type is null ? "" : "/" + type) + (id is null ? "" : "/" + id) + "/_history";
        var kept = new List<string> { $"_count={count}" };
        if (since is not null) kept.Add("_since=" + Uri.EscapeDataString(query["_since"].ToString()));

        var links = new List<BundleLink> { new("self", path + "?" + string.Join("&", kept) + (cursor is null ? "" : $"&{CursorParameter}={cursor}")) };
        if (cursor is not null) links.Add(new BundleLink("first", path + "?" + string.Join("&", kept)));
        if (page.NextBeforeSequence is { } next) links.Add(new BundleLink("next", path + "?" + string.Join("&", kept) + $"&{CursorParameter}={next}"));

        var entries = page.Entries.Where(access.Keeps).Select(v => new BundleEntry(
            FullUrl: $"{baseUrl}/{v.Type}/{v.Id}",
            ResourceJson: v.Json,
            RequestMethod: ResourceEndpoints.HistoryMethod(v),
            RequestUrl: v.Version == 1 && !v.Deleted ? v.Type : $"{v.Type}/{v.Id}",
            ResponseStatus: v.Deleted ? "204" : v.Version == 1 ? "201" : "200",
            ResponseEtag: FhirResponses.ETag(v.Version),
            ResponseLastModified: v.LastUpdated)).ToList();

        await writer.WriteAsync(context, new BundlePage("history", null, links, entries));
    }

    internal static int ParseCount(Microsoft.Extensions.Primitives.StringValues raw, FhirServerOptions options)
    {
        if (raw.Count == 0 || string.IsNullOrEmpty(raw[0])) return options.DefaultPageSize;
        if (!int.TryParse(raw[0], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            throw FhirOperationException.BadRequest($"_count '{raw}' is not a non-negative integer");
        return Math.Clamp(count, 1, options.MaxPageSize);
    }

    internal static DateTimeOffset? ParseSince(Microsoft.Extensions.Primitives.StringValues raw)
    {
        if (raw.Count == 0 || string.IsNullOrEmpty(raw[0])) return null;
        // FHIR instants carry a time zone; accept partial dates too, read as UTC midnight.
        if (DateTimeOffset.TryParse(raw[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var since))
            return since;
        throw FhirOperationException.BadRequest($"_since '{raw}' is not a FHIR instant (e.g. 2026-01-31T08:00:00Z)");
    }
}
