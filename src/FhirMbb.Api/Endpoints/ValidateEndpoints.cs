using FhirMbb.Api.Http;
using FhirMbb.Core;
using FhirMbb.Core.Conformance;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Endpoints;

/// <summary>
/// <c>$validate</c> at type and instance level. The answer is 200 with the OperationOutcome whether
/// or not the resource is valid, as the specification says; only a request that cannot be
/// understood is an error.
/// </summary>
public static class ValidateEndpoints
{
    public static RouteGroupBuilder MapValidateEndpoints(this RouteGroupBuilder fhir)
    {
        fhir.MapPost("/{type}/$validate", (HttpContext c, string type, ValidationContext v) => Validate(c, type, null, v));
        fhir.MapPost("/{type}/{id}/$validate", (HttpContext c, string type, string id, ValidationContext v) => Validate(c, type, id, v));
        fhir.MapGet("/{type}/{id}/$validate", (HttpContext c, string type, string id, ValidationContext v) => Validate(c, type, id, v));
        return fhir;
    }

    public static void Describe(CapabilityStatement statement)
    {
        foreach (var resource in statement.Rest[0].Resource.Where(r => r.Type is { } type && ResourceTypes.IsWritable(type)))
            resource.Operation.Add(new CapabilityStatement.OperationComponent { Name = "validate", Definition = "http://hl7.org/fhir/OperationDefinition/Resource-validate" });
    }

    /// <summary>What $validate needs, bundled so the endpoint signature stays short.</summary>
    public sealed record ValidationContext(ProfileValidator Validator, MbbProfileDetector Detector, ResourceService Resources,
        FhirRequestReader Reader, FhirResponses Responses, FhirSerialization Serialization);

    private static async Task Validate(HttpContext context, string type, string? id, ValidationContext v)
    {
        if (!ModelInfo.IsKnownResource(type)) throw FhirOperationException.NotFound($"'{type}' is not a FHIR resource type");
        FhirNegotiation.ResponseFormat(context);
        var input = await OperationParameters.ReadAsync(context, v.Reader);

        var mode = input["mode"];
        if (mode is not (null or "create" or "update" or "delete"))
            throw FhirOperationException.BadRequest($"mode must be create, update or delete, not '{mode}'");
        if (mode == "delete")
        {
            // Nothing in this server forbids deleting a resource; say so plainly.
            await v.Responses.WriteOutcomeAsync(context, 200, OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational,
                "The resource may be deleted");
            return;
        }

        var resource = input.Resource;
        if (resource is null && id is not null && ResourceTypes.IsWritable(type))
            resource = v.Serialization.ParseStored((await v.Resources.ReadAsync(type, id, context.RequestAborted)).Json.Span);
        if (resource is null) throw FhirOperationException.BadRequest("$validate needs a resource: in the body, or stored at the instance URL");
        if (resource.TypeName != type) throw FhirOperationException.BadRequest($"The resource is a {resource.TypeName} but the URL is for {type}");
        if (id is not null && mode == "update" && resource.Id != id)
            throw FhirOperationException.BadRequest($"The resource id '{resource.Id}' differs from the URL's '{id}'");

        IEnumerable<string> profiles = input["profile"] is { } profile ? [profile] : v.Detector.ProfilesFor(resource);
        // The validator itself reports "no issues" as an information issue, so the outcome is never empty.
        var outcome = await v.Validator.ValidateAsync(resource, profiles.ToList() is { Count: > 0 } list ? list : null);
        await v.Responses.WriteResourceAsync(context, outcome);
    }
}
