using FhirMbb.Api.Http;
using FhirMbb.Api.Security;
using FhirMbb.Core.Security;
using FhirMbb.Core;
using FhirMbb.Core.Patch;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Endpoints;

/// <summary>
/// PATCH with JSON Patch (application/json-patch+json) or FHIRPath Patch (a Parameters body). The
/// patched resource goes through the same update path as a PUT: validation, versioning, If-Match.
/// </summary>
public static class PatchEndpoints
{
    public static RouteGroupBuilder MapPatchEndpoints(this RouteGroupBuilder fhir)
    {
        fhir.MapPatch(FhirRoutes.Instance, Patch);
        fhir.MapPatch(FhirRoutes.Type, ConditionalPatch);
        return fhir;
    }

    public static void Describe(CapabilityStatement statement)
    {
        foreach (var resource in statement.Rest[0].Resource.Where(r => r.Type is { } type && ResourceTypes.IsWritable(type)))
            resource.Interaction.Add(new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.Patch });
    }

    /// <summary>PATCH [type]?criteria: patches the one resource the criteria select (none: 404, several: 412), as PATCH [type]/[id] would.</summary>
    private static async Task ConditionalPatch(HttpContext context, string type, ResourceService service, FhirRequestReader reader,
        FhirResponses responses, FhirSerialization serialization)
    {
        ResourceEndpoints.RequireConditionalTarget(context, type);
        var (criteria, search) = ConditionalAccess.Searching(context, ResourceEndpoints.Criteria(context, type));
        var id = await ResourceService.PatchTargetAsync(criteria, search, context.RequestAborted);
        await Patch(context, type, id, service, reader, responses, serialization);
    }

    private static async Task Patch(HttpContext context, string type, string id, ResourceService service, FhirRequestReader reader,
        FhirResponses responses, FhirSerialization serialization)
    {
        ResourceService.RequireType(type);
        ResourceService.RequireId(id);
        FhirNegotiation.ResponseFormat(context);
        var ifMatch = VersionHeaders.IfMatch(context.Request);
        // What the token may not read answers 404, as a read would; patching needs the patch permission too.
        await ResourceGuard.RequireReadableAsync(context, type, id, Interaction.Read, service, serialization);
        context.RequireAccess(type, Interaction.Patch);

        var isJsonPatch = JsonPatch.IsMediaType(context.Request.ContentType);
        ReadOnlyMemory<byte> jsonPatch = default;
        Resource? fhirPathPatch = null;
        if (isJsonPatch) jsonPatch = await reader.ReadBodyAsync(context.Request, context.RequestAborted);
        else fhirPathPatch = await reader.ReadResourceAsync(context.Request, context.RequestAborted);

        var outcome = await service.PatchAsync(type, id, ifMatch,
            current => isJsonPatch ? service.ApplyJsonPatch(current, jsonPatch.Span) : FhirPathPatch.Apply(serialization.ParseStored(current.Json.Span), fhirPathPatch!),
            patched => ResourceGuard.RequireUpdatable(context, type, patched, serialization), context.RequestAborted);
        context.Response.Headers.Location = $"{FhirResponses.BaseUrl(context.Request)}/{type}/{id}/_history/{outcome.Stored.Version}";
        responses.SetVersionHeaders(context.Response, outcome.Stored);
        if (PreferHeader.Return(context.Request) == PreferReturn.Minimal) context.Response.StatusCode = StatusCodes.Status200OK;
        else await responses.WriteJsonBytesAsync(context, outcome.Stored.Json);
    }
}
