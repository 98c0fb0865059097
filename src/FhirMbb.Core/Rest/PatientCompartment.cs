using Hl7.Fhir.Model;

namespace FhirMbb.Core.Rest;

/// <summary>Which patient a resource belongs to, read once at write time so per-patient queries need no parsing.</summary>
public static class PatientCompartment
{
    public static string? PatientIdOf(Resource resource) => resource switch
    {
        Patient p => p.Id,
        Observation o => ReferencedPatient(o.Subject),
        Procedure p => ReferencedPatient(p.Subject),
        Condition c => ReferencedPatient(c.Subject),
        _ => null,
    };

    /// <summary>The id of a relative or absolute "Patient/{id}" reference; null for anything else.</summary>
    public static string? ReferencedPatient(ResourceReference? reference)
    {
        var value = reference?.Reference;
        if (string.IsNullOrEmpty(value)) return null;
        var marker = value.LastIndexOf("Patient/", StringComparison.Ordinal);
        if (marker < 0 || (marker > 0 && value[marker - 1] != '/')) return null;
        var id = value[(marker + "Patient/".Length)..];
        var history = id.IndexOf('/');
        if (history >= 0) id = id[..history];
        return FhirId.IsValid(id) ? id : null;
    }
}
