using FhirMbb.Api.Http;
using FhirMbb.Api.Security;
using FhirMbb.Core.Security;
using FhirMbb.Core;
using FhirMbb.Core.Bundles;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Endpoints;

/// <summary><c>POST [base]</c> with a batch or transaction Bundle.</summary>
public static class BundleEndpoints
{
    public static RouteGroupBuilder MapBundleEndpoints(this RouteGroupBuilder fhir)
    {
        fhir.MapPost("", Process);
        return fhir;
    }

    public static void Describe(CapabilityStatement statement)
    {
        var rest = statement.Rest[0];
        rest.Interaction.Add(new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Transaction });
        rest.Interaction.Add(new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Batch });
    }

    /// <summary>
    /// Every entry's type and interaction must be granted. Entries are not yet checked one by one against a
    /// patient compartment, so a compartment-limited token may not send bundles at all (403) rather than risk a leak.
    /// </summary>
    /// <remarks>
    /// Conditional entries (ifNoneExist, Type?criteria) and search entries search, so they need search on their type
    /// as well; so do conditional references, checked by the bundle service as it meets them.
    /// </remarks>
    private static void RequireBundleAccess(HttpContext context, Bundle bundle)
    {
        void Require(string type, Interaction interaction) => RequireUnrestricted(context, type, interaction);
        foreach (var entry in bundle.Entry)
        {
            var url = entry.Request?.Url ?? "";
            var path = url.Split('?')[0];
            var type = path.Split('/')[0];
            if (!ResourceTypes.IsWritable(type)) continue; // the bundle service answers unknown types itself
            var method = entry.Request?.Method;
            var interaction = method switch
            {
                Bundle.HTTPVerb.POST => Interaction.Create,
                Bundle.HTTPVerb.PUT => Interaction.Update,
                Bundle.HTTPVerb.DELETE => Interaction.Delete,
                Bundle.HTTPVerb.PATCH => Interaction.Patch,
                _ when path == type => Interaction.Search,
                _ => Interaction.Read,
            };
            Require(type, interaction);
            var searches = (method == Bundle.HTTPVerb.POST && !string.IsNullOrWhiteSpace(entry.Request?.IfNoneExist))
                || (method is Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.PATCH or Bundle.HTTPVerb.DELETE && path == type && url.Contains('?'));
            if (searches) Require(type, Interaction.Search);
        }
    }

    private static void RequireUnrestricted(HttpContext context, string type, Interaction interaction)
    {
        var decision = context.RequireAccess(type, interaction);
        if (!decision.IsUnrestricted)
            throw new FhirOperationException(403, OperationOutcome.IssueType.Forbidden,
                "Batch and transaction bundles need user/ or system/ scopes; a token limited to one patient's compartment cannot send them");
    }

    private static async Task Process(HttpContext context, BundleService bundles, FhirRequestReader reader, BundleWriter writer, FhirSerialization serialization)
    {
        FhirNegotiation.ResponseFormat(context);
        var body = await reader.ReadResourceAsync(context.Request, context.RequestAborted);
        if (body is not Bundle bundle)
            throw FhirOperationException.BadRequest($"POST to the base takes a Bundle, not a {body.TypeName}");

        RequireBundleAccess(context, bundle);
        var result = await bundles.ProcessAsync(bundle, type => RequireUnrestricted(context, type, Interaction.Search), context.RequestAborted);

        var baseUrl = FhirResponses.BaseUrl(context.Request);
        var prefer = PreferHeader.Return(context.Request);
        var entries = result.Entries.Select(e => new BundleEntry(
            FullUrl: e.Stored is { Deleted: false } s ? $"{baseUrl}/{s.Type}/{s.Id}" : null,
            ResourceJson: e.Found is { } found ? Searchset(found, baseUrl, serialization)
                : e.Stored is { Deleted: false } && (prefer == PreferReturn.Representation || e.Location is null) ? e.Stored.Json : default,
            ResponseStatus: e.Status,
            ResponseLocation: e.Location,
            ResponseEtag: e.Stored is { } stored ? FhirResponses.ETag(stored.Version) : null,
            ResponseLastModified: e.Stored?.LastUpdated,
            ResponseOutcomeJson: e.Outcome is null ? default : serialization.ToJsonBytes(e.Outcome))).ToList();
        var type = result.Type == Bundle.BundleType.TransactionResponse ? "transaction-response" : "batch-response";
        await writer.WriteAsync(context, new BundlePage(type, null, [], entries));
    }

    /// <summary>A search entry's answer: a searchset Bundle of its first page, the stored bytes copied in.</summary>
    private static ReadOnlyMemory<byte> Searchset(FhirMbb.Core.Search.SearchOutcome found, string baseUrl, FhirSerialization serialization)
    {
        var entries = SearchsetEntries.Of(baseUrl, found.Page.Matches, found.Page.Included, found.Parsed.Issues, serialization);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
        BundleWriter.WriteJson(new BundlePage("searchset", found.Page.Total, [], entries), buffer);
        return buffer.WrittenMemory;
    }
}
