using FhirMbb.Core.Rest;
using FhirMbb.Core.Security;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Security;

/// <summary>A history request's reach: a store filter for one patient and a check on each entry returned.</summary>
public sealed record HistoryAccess(string? PatientId, Func<StoredResource, bool> Keeps);

/// <summary>
/// The access checks of the RESTful interactions, one call per endpoint. Reads of what the token may not see
/// answer 404 (as if absent); writes that would touch it answer 403. Unrestricted tokens (user/, system/,
/// Auth:Mode=None) pass with no extra database work.
/// </summary>
public static class ResourceGuard
{
    /// <summary>read, vread and instance history: checked against the resource as stored now, before 404/410 is decided, so a deletion leaks nothing either.</summary>
    /// <param name="versionId">for a vread: its 404 names the version, and so must the 404 of a hidden resource.</param>
    public static async Task<AccessDecision> RequireReadableAsync(
        HttpContext context, string type, string id, Interaction interaction, ResourceService service, FhirSerialization serialization,
        string? versionId = null)
    {
        ResourceService.RequireType(type);
        ResourceService.RequireId(id);
        var decision = context.RequireAccess(type, interaction);
        if (decision.IsUnrestricted) return decision;
        var current = await service.FindAsync(type, id, context.RequestAborted);
        if (current is not null)
            decision.RequireVisible(current, serialization, versionId is null ? null : ResourceService.VersionNotFound(type, id, versionId));
        return decision;
    }

    /// <summary>create: the new resource must be one the token may hold. The server assigns the id, so a Patient created by a patient token is never its own.</summary>
    public static void RequireCreatable(HttpContext context, string type, Resource resource)
    {
        var decision = context.RequireAccess(type, Interaction.Create);
        if (decision.IsUnrestricted) return;
        resource.Id = null;
        decision.RequireWritable(resource);
    }

    /// <summary>
    /// update: the token must be allowed both the version it replaces and the new content, so nothing is taken
    /// from or moved to another patient; update-as-create needs create as well. The service runs the returned
    /// check on the very version it replaces (again after a lost race), so a concurrent move cannot slip between.
    /// </summary>
    public static Action<StoredResource?> RequireUpdatable(HttpContext context, string type, Resource resource, FhirSerialization serialization)
    {
        var decision = context.RequireAccess(type, Interaction.Update);
        decision.RequireWritable(resource);
        return replaced =>
        {
            if (replaced is null || replaced.Deleted)
                context.RequireAccess(type, Interaction.Create).RequireWritable(resource);
            if (replaced is not null && !decision.IsUnrestricted) decision.RequireWritable(replaced, serialization);
        };
    }

    /// <summary>delete: 403 for a resource the token could not write; deleting what is absent stays a success.</summary>
    public static Action<StoredResource> RequireDeletable(HttpContext context, string type, string id, FhirSerialization serialization)
    {
        ResourceService.RequireType(type);
        ResourceService.RequireId(id);
        var decision = context.RequireAccess(type, Interaction.Delete);
        return current =>
        {
            if (!decision.IsUnrestricted) decision.RequireWritable(current, serialization);
        };
    }

    /// <summary>
    /// history of an instance, a type or the server. Type and system history are filtered in the store by
    /// the compartment patient when every allowed type is held to one patient, and every entry is checked too
    /// (a version written before the resource moved into the compartment is not the patient's).
    /// </summary>
    public static async Task<HistoryAccess> RequireHistoryAsync(
        HttpContext context, string? type, string? id, ResourceService service, FhirSerialization serialization)
    {
        if (type is not null && id is not null)
        {
            var instance = await RequireReadableAsync(context, type, id, Interaction.History, service, serialization);
            return Filter(instance.IsUnrestricted ? null : new Dictionary<string, AccessDecision> { [type] = instance }, null, serialization);
        }

        if (type is not null)
        {
            ResourceService.RequireType(type);
            var decision = context.RequireAccess(type, Interaction.HistoryType);
            return decision.IsUnrestricted ? Filter(null, null, serialization)
                : Filter(new Dictionary<string, AccessDecision> { [type] = decision }, decision.CompartmentPatientId, serialization);
        }

        var policy = context.Access();
        var decisions = ResourceTypes.Writable
            .Select(t => policy.Decide(t, Interaction.HistoryType))
            .Where(d => d.IsAllowed)
            .ToDictionary(d => d.ResourceType);
        if (decisions.Count == 0) context.RequireAccess(ResourceTypes.Writable[0], Interaction.HistoryType); // throws the 403
        if (decisions.Count == ResourceTypes.Writable.Count && decisions.Values.All(d => d.IsUnrestricted)) return Filter(null, null, serialization);
        var patients = decisions.Values.Select(d => d.CompartmentPatientId).Distinct().ToList();
        return Filter(decisions, patients is [{ } onePatient] ? onePatient : null, serialization);
    }

    private static HistoryAccess Filter(Dictionary<string, AccessDecision>? decisions, string? patientId, FhirSerialization serialization) =>
        decisions is null
            ? new HistoryAccess(null, _ => true)
            : new HistoryAccess(patientId, entry => decisions.TryGetValue(entry.Type, out var d) && d.Permits(entry, serialization));
}
