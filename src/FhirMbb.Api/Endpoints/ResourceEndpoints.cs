using FhirMbb.Api.Http;
using FhirMbb.Api.Security;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Security;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Endpoints;

/// <summary>create, read, vread, update and delete of the clinical resource types.</summary>
public static class ResourceEndpoints
{
    public static RouteGroupBuilder MapResourceEndpoints(this RouteGroupBuilder fhir)
    {
        fhir.MapPost(FhirRoutes.Type, Create);
        fhir.MapGet(FhirRoutes.Instance, Read);
        fhir.MapPut(FhirRoutes.Instance, Update);
        fhir.MapDelete(FhirRoutes.Instance, Delete);
        fhir.MapGet(FhirRoutes.Version, VRead);
        return fhir;
    }

    private static async Task Create(
        HttpContext context, string type, ResourceService service, FhirRequestReader reader, FhirResponses responses)
    {
        ResourceService.RequireType(type);
        FhirNegotiation.ResponseFormat(context); // refuse an unanswerable Accept before anything is stored
        var resource = await reader.ReadResourceAsync(context.Request, context.RequestAborted);
        ResourceGuard.RequireCreatable(context, type, resource);
        var outcome = await service.CreateAsync(type, resource, context.RequestAborted);
        await WriteWriteOutcomeAsync(context, outcome, responses);
    }

    private static async Task Update(
        HttpContext context, string type, string id, ResourceService service, FhirRequestReader reader, FhirResponses responses, FhirSerialization serialization)
    {
        ResourceService.RequireType(type);
        ResourceService.RequireId(id);
        FhirNegotiation.ResponseFormat(context);
        var ifMatch = VersionHeaders.IfMatch(context.Request);
        var resource = await reader.ReadResourceAsync(context.Request, context.RequestAborted);
        var access = ResourceGuard.RequireUpdatable(context, type, resource, serialization);
        var outcome = await service.UpdateAsync(type, id, resource, ifMatch, access, context.RequestAborted);
        await WriteWriteOutcomeAsync(context, outcome, responses);
    }

    private static async Task Read(
        HttpContext context, string type, string id, ResourceService service, FhirResponses responses, FhirSerialization serialization)
    {
        await ResourceGuard.RequireReadableAsync(context, type, id, Interaction.Read, service, serialization);
        var stored = await service.ReadAsync(type, id, context.RequestAborted);
        if (VersionHeaders.IfNoneMatch(context.Request) == stored.Version)
        {
            responses.SetVersionHeaders(context.Response, stored);
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        await responses.WriteStoredAsync(context, stored);
    }

    private static async Task VRead(
        HttpContext context, string type, string id, string versionId, ResourceService service, FhirResponses responses, FhirSerialization serialization)
    {
        var access = await ResourceGuard.RequireReadableAsync(context, type, id, Interaction.VRead, service, serialization, versionId);
        var stored = await service.ReadVersionAsync(type, id, versionId, context.RequestAborted);
        // An old version may predate the resource's move into the token's compartment: it is judged on its own content.
        if (!access.IsUnrestricted) access.RequireVisible(stored, serialization, ResourceService.VersionNotFound(type, id, versionId));
        await responses.WriteStoredAsync(context, stored);
    }

    private static async Task Delete(
        HttpContext context, string type, string id, ResourceService service, FhirResponses responses, FhirSerialization serialization)
    {
        var ifMatch = VersionHeaders.IfMatch(context.Request);
        var access = ResourceGuard.RequireDeletable(context, type, id, serialization);
        await service.DeleteAsync(type, id, ifMatch, access, context.RequestAborted);
        if (PreferHeader.Return(context.Request) == PreferReturn.OperationOutcome)
        {
            await responses.WriteOutcomeAsync(context, StatusCodes.Status200OK, OperationOutcome.IssueSeverity.Information,
                OperationOutcome.IssueType.Informational, $"{type}/{id} is deleted");
            return;
        }
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task WriteWriteOutcomeAsync(HttpContext context, WriteOutcome outcome, FhirResponses responses)
    {
        var stored = outcome.Stored;
        var status = outcome.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK;
        context.Response.Headers.Location = $"{FhirResponses.BaseUrl(context.Request)}/{stored.Type}/{stored.Id}/_history/{stored.Version}";
        responses.SetVersionHeaders(context.Response, stored);
        switch (PreferHeader.Return(context.Request))
        {
            case PreferReturn.Minimal:
                context.Response.StatusCode = status;
                break;
            case PreferReturn.OperationOutcome:
                await responses.WriteOutcomeAsync(context, status, OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational,
                    $"{(outcome.Created ? "Created" : "Updated")} {stored.Type}/{stored.Id} version {stored.Version}");
                break;
            default:
                await responses.WriteJsonBytesAsync(context, stored.Json, status);
                break;
        }
    }

    internal static string HistoryMethod(StoredResource version) =>
        version.Deleted ? "DELETE" : version.Version == 1 ? "POST" : "PUT";
}
