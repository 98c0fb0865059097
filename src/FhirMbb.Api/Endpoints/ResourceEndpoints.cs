using FhirMbb.Api.Hosting;
using FhirMbb.Api.Http;
using FhirMbb.Api.Security;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Security;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using FhirMbb.Core;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace FhirMbb.Api.Endpoints;

/// <summary>create, read, vread, update and delete of the clinical resource types.</summary>
public static class ResourceEndpoints
{
    public static RouteGroupBuilder MapResourceEndpoints(this RouteGroupBuilder fhir)
    {
        fhir.MapPost(FhirRoutes.Type, Create);
        // Reads are the most frequent request: plain request delegates over services resolved once, with no
        // per-request parameter binding or service scope (the generated delegates of the other endpoints have both).
        var services = ((IEndpointRouteBuilder)fhir).ServiceProvider;
        var read = new ReadHandlers(services.GetRequiredService<ResourceService>(), services.GetRequiredService<FhirResponses>(),
            services.GetRequiredService<FhirSerialization>());
        fhir.MapGet(FhirRoutes.Instance, read.Read);
        fhir.MapPut(FhirRoutes.Instance, Update);
        fhir.MapDelete(FhirRoutes.Instance, Delete);
        fhir.MapGet(FhirRoutes.Version, read.VRead);
        fhir.MapPut(FhirRoutes.Type, ConditionalUpdate);
        fhir.MapDelete(FhirRoutes.Type, ConditionalDelete);
        return fhir;
    }

    public const string IfNoneExistHeader = "If-None-Exist";

    private static async Task Create(
        HttpContext context, string type, ResourceService service, FhirRequestReader reader, FhirResponses responses)
    {
        ResourceService.RequireType(type);
        FhirNegotiation.ResponseFormat(context); // refuse an unanswerable Accept before anything is stored
        var resource = await reader.ReadResourceAsync(context.Request, context.RequestAborted);
        ResourceGuard.RequireCreatable(context, type, resource);
        var ifNoneExist = context.Request.Headers[IfNoneExistHeader].ToString();
        if (string.IsNullOrWhiteSpace(ifNoneExist))
        {
            await WriteWriteOutcomeAsync(context, await service.CreateAsync(type, resource, context.RequestAborted), responses);
            return;
        }
        var (criteria, search) = ConditionalAccess.Searching(context, ConditionalCriteria.Parse(type, ifNoneExist.Trim()));
        var outcome = await service.CreateAsync(type, resource, criteria, search, context.RequestAborted);
        await WriteWriteOutcomeAsync(context, outcome, responses, outcome.Created ? null : $"Found {type}/{outcome.Stored.Id} matching {criteria}; nothing was created");
    }

    /// <summary>PUT [type]?criteria: update the one match, or create when there is none.</summary>
    private static async Task ConditionalUpdate(
        HttpContext context, string type, ResourceService service, FhirRequestReader reader, FhirResponses responses, FhirSerialization serialization)
    {
        RequireConditionalTarget(context, type);
        var requested = Criteria(context, type);
        FhirNegotiation.ResponseFormat(context);
        var ifMatch = VersionHeaders.IfMatch(context.Request);
        var resource = await reader.ReadResourceAsync(context.Request, context.RequestAborted);
        var access = ResourceGuard.RequireUpdatable(context, type, resource, serialization);
        var (criteria, search) = ConditionalAccess.Searching(context, requested);
        var outcome = await service.UpdateAsync(type, criteria, resource, ifMatch, search, access, context.RequestAborted);
        await WriteWriteOutcomeAsync(context, outcome, responses);
    }

    /// <summary>
    /// DELETE [type]?criteria: one match by default (several: 412); with <c>_count=n</c> up to n matches, n at most
    /// Fhir:MaxConditionalDeletes, all deleted in one transaction. No match deletes nothing and answers 204.
    /// </summary>
    private static async Task ConditionalDelete(
        HttpContext context, string type, ResourceService service, FhirResponses responses, FhirSerialization serialization,
        IOptions<FhirServerOptions> options)
    {
        RequireConditionalTarget(context, type);
        var maxDeletes = 1;
        if (context.Request.Query.TryGetValue("_count", out var count))
        {
            var limit = options.Value.MaxConditionalDeletes;
            if (count.Count != 1 || !int.TryParse(count[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out maxDeletes)
                || maxDeletes < 1 || maxDeletes > limit)
                throw FhirOperationException.BadRequest($"_count '{count}' on a conditional delete must be a whole number from 1 to {limit}");
        }
        var requested = Criteria(context, type, except: "_count");
        var ifMatch = VersionHeaders.IfMatch(context.Request);
        var check = ConditionalAccess.Deleting(context, type, serialization);
        var (criteria, search) = ConditionalAccess.Searching(context, requested);
        var deleted = await service.DeleteAsync(type, criteria, maxDeletes, ifMatch, search, check, context.RequestAborted);
        if (PreferHeader.Return(context.Request) == PreferReturn.OperationOutcome)
        {
            await responses.WriteOutcomeAsync(context, StatusCodes.Status200OK, OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational,
                deleted.Count == 0 ? $"No {type} matches {criteria}; nothing was deleted" : $"Deleted {string.Join(", ", deleted.Select(d => $"{d.Type}/{d.Id}"))}");
            return;
        }
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>
    /// PUT, PATCH and DELETE on [base]/x reach here for any x: a clinical type goes on, a published conformance type is
    /// read-only (405, as its own routes say), a FHIR type this server lacks is 404, and anything else (metadata) 405.
    /// </summary>
    internal static void RequireConditionalTarget(HttpContext context, string type)
    {
        if (ResourceTypes.IsWritable(type)) return;
        if (ConformanceResources.Types.Contains(type))
            throw new FhirOperationException(405, OperationOutcome.IssueType.NotSupported, $"{type} resources are published with the server and are read-only");
        if (!ModelInfo.IsKnownResource(type))
            throw new FhirOperationException(405, OperationOutcome.IssueType.NotSupported, $"{context.Request.Method} is not allowed on {context.Request.Path}");
        ResourceService.RequireType(type);
    }

    internal static ConditionalCriteria Criteria(HttpContext context, string type, string? except = null) =>
        ConditionalCriteria.FromPairs(type, context.Request.Query
            .Where(q => q.Key != except)
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))));

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

    /// <param name="message">what Prefer: return=OperationOutcome says; by default "Created ..." or "Updated ...".</param>
    private static async Task WriteWriteOutcomeAsync(HttpContext context, WriteOutcome outcome, FhirResponses responses, string? message = null)
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
                    message ?? $"{(outcome.Created ? "Created" : "Updated")} {stored.Type}/{stored.Id} version {stored.Version}");
                break;
            default:
                await responses.WriteJsonBytesAsync(context, stored.Json, status);
                break;
        }
    }

    /// <summary>read and vread.</summary>
    private sealed class ReadHandlers(ResourceService service, FhirResponses responses, FhirSerialization serialization)
    {
        public Task Read(HttpContext context)
        {
            var route = context.Request.RouteValues;
            return ReadAsync(context, (string)route["type"]!, (string)route["id"]!);
        }

        public Task VRead(HttpContext context)
        {
            var route = context.Request.RouteValues;
            return VReadAsync(context, (string)route["type"]!, (string)route["id"]!, (string)route["versionId"]!);
        }

        private async Task ReadAsync(HttpContext context, string type, string id)
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

        private async Task VReadAsync(HttpContext context, string type, string id, string versionId)
        {
            var access = await ResourceGuard.RequireReadableAsync(context, type, id, Interaction.VRead, service, serialization, versionId);
            var stored = await service.ReadVersionAsync(type, id, versionId, context.RequestAborted);
            // An old version may predate the resource's move into the token's compartment: it is judged on its own content.
            if (!access.IsUnrestricted) access.RequireVisible(stored, serialization, ResourceService.VersionNotFound(type, id, versionId));
            await responses.WriteStoredAsync(context, stored);
        }
    }

    internal static string HistoryMethod(StoredResource version) =>
        version.Deleted ? "DELETE" : version.Version == 1 ? "POST" : "PUT";
}
