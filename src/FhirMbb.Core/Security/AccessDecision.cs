using System.Text.Json;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Security;

/// <summary>
/// One scope that allows the interaction, with what it still demands of each resource: that it belongs to
/// <see cref="PatientId"/> (patient/ scopes on compartment types) and that it matches the granular restrictions.
/// </summary>
public sealed record AccessGrant(SmartScope? Scope, string? PatientId, IReadOnlyList<ScopeRestriction> Restrictions)
{
    public bool IsUnrestricted => PatientId is null && Restrictions.Count == 0;
}

/// <summary>
/// What a token may do with one resource type for one interaction. A resource is visible when any grant
/// allows it (scopes add up). Search, transaction and operation code use the same decision:
/// add <see cref="CompartmentPatientId"/> as a filter, then keep only what <see cref="Permits(StoredResource, FhirSerialization)"/> allows.
/// </summary>
public sealed class AccessDecision
{
    internal AccessDecision(string resourceType, Interaction interaction, IReadOnlyList<AccessGrant> grants, string? denialReason)
    {
        ResourceType = resourceType;
        Interaction = interaction;
        Grants = grants;
        DenialReason = denialReason;
    }

    public string ResourceType { get; }
    public Interaction Interaction { get; }
    public IReadOnlyList<AccessGrant> Grants { get; }
    public string? DenialReason { get; }

    public bool IsAllowed => Grants.Count > 0;

    /// <summary>Every resource of the type is allowed: no per-resource checks are needed.</summary>
    public bool IsUnrestricted => Grants.Any(g => g.IsUnrestricted);

    /// <summary>
    /// The one patient every allowed resource belongs to, when all grants are patient/ grants: a store or
    /// search filter. Null when some grant reaches beyond one patient (then filter with Permits).
    /// </summary>
    public string? CompartmentPatientId =>
        Grants.Count > 0 && Grants.All(g => g.PatientId is not null) && Grants.Select(g => g.PatientId).Distinct().Count() == 1
            ? Grants[0].PatientId
            : null;

    /// <summary>Whether a resource of this type, owned by <paramref name="patientId"/>, is allowed; the resource is parsed only if a restriction needs it.</summary>
    public bool Permits(string? patientId, Func<Resource?> resource)
    {
        Resource? parsed = null;
        var triedParse = false;
        foreach (var grant in Grants)
        {
            if (grant.PatientId is not null && !string.Equals(grant.PatientId, patientId, StringComparison.Ordinal)) continue;
            if (grant.Restrictions.Count == 0) return true;
            if (!triedParse)
            {
                parsed = resource();
                triedParse = true;
            }
            if (parsed is not null && ScopeRestrictionMatcher.Matches(parsed, grant.Restrictions)) return true;
        }
        return false;
    }

    /// <summary>Whether the compartment alone allows a resource of <paramref name="patientId"/> (granular restrictions aside).</summary>
    public bool InCompartment(string? patientId) =>
        Grants.Any(g => g.PatientId is null || string.Equals(g.PatientId, patientId, StringComparison.Ordinal));

    /// <summary>404, worded as for an absent resource, unless the resource's patient is in the token's compartment.</summary>
    public void RequirePatientCompartment(string? patientId, string type, string id)
    {
        if (!InCompartment(patientId)) throw FhirOperationException.NotFound($"{type}/{id} is not known");
    }

    public bool Permits(Resource resource) => Permits(PatientCompartment.PatientIdOf(resource), () => resource);

    /// <summary>
    /// A stored version: its own JSON says whose it is. A deletion has no JSON, so the store's compartment
    /// column decides, and a granular restriction (which needs content) never matches it.
    /// </summary>
    public bool Permits(StoredResource stored, FhirSerialization serialization)
    {
        if (IsUnrestricted) return true;
        if (stored.Deleted || stored.Json.IsEmpty) return Permits(stored.PatientId, () => null);
        return Permits(CompartmentOwner.OfJson(stored.Json.Span), () => serialization.ParseJson(stored.Json.Span));
    }

    /// <summary>
    /// Reads answer 404 for a resource the token may not see, with the same words as for one that does not
    /// exist, so a patient app cannot learn whether another patient's resource is there.
    /// </summary>
    /// <param name="notFound">the exact 404 an absent resource would get here (a vread words it differently).</param>
    public void RequireVisible(StoredResource stored, FhirSerialization serialization, FhirOperationException? notFound = null)
    {
        if (!Permits(stored, serialization))
            throw notFound ?? FhirOperationException.NotFound($"{stored.Type}/{stored.Id} is not known");
    }

    /// <summary>Writes refuse, with 403, a resource the token may not hold: outside its patient or its restrictions.</summary>
    public void RequireWritable(Resource resource)
    {
        if (Permits(resource)) return;
        var patient = PatientCompartment.PatientIdOf(resource);
        var compartment = CompartmentPatientId;
        throw AccessPolicy.Forbidden(compartment is not null && patient != compartment
            ? $"This token may write only resources of Patient/{compartment}; this {resource.TypeName} belongs to {(patient is null ? "no patient" : "another patient")}"
            : $"No scope of this token allows {Interaction.ToString().ToLowerInvariant()} of this {resource.TypeName} (its content is outside the scope's restrictions)");
    }

    /// <summary>Writes that change an existing resource refuse, with 403, one the token could not write: it cannot be taken over or moved.</summary>
    public void RequireWritable(StoredResource existing, FhirSerialization serialization)
    {
        if (existing.Deleted && existing.PatientId is null) return; // nothing left to protect
        if (!Permits(existing, serialization))
            throw AccessPolicy.Forbidden($"This token may not change {existing.Type}/{existing.Id}");
    }
}

/// <summary>The compartment owner read straight from stored JSON, agreeing with <see cref="PatientCompartment.PatientIdOf"/> without parsing the whole resource.</summary>
public static class CompartmentOwner
{
    public static string? OfJson(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (!root.TryGetProperty("resourceType", out var type)) return null;
        switch (type.GetString())
        {
            case "Patient":
                return root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            case "Observation" or "Procedure" or "Condition":
                if (root.TryGetProperty("subject", out var subject) && subject.ValueKind == JsonValueKind.Object
                    && subject.TryGetProperty("reference", out var reference) && reference.ValueKind == JsonValueKind.String)
                    return PatientCompartment.ReferencedPatient(new ResourceReference(reference.GetString()));
                return null;
            default:
                return null;
        }
    }
}
