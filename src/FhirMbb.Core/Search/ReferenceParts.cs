using FhirMbb.Core.Rest;

namespace FhirMbb.Core.Search;

/// <summary>A reference string taken apart: "Patient/1", "Patient/1/_history/2", "https://x/fhir/Patient/1", "urn:uuid:...".</summary>
public readonly record struct ReferenceParts(string? Type, string? Id, string? AbsoluteUrl)
{
    public static ReferenceParts Parse(string reference)
    {
        var absolute = reference.Contains("://", StringComparison.Ordinal) || reference.StartsWith("urn:", StringComparison.Ordinal);
        var path = reference;
        var history = path.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0) path = path[..history];
        var segments = path.Split('/');
        if (segments.Length >= 2)
        {
            var type = segments[^2];
            var id = segments[^1];
            if (type.Length > 0 && char.IsUpper(type[0]) && type.All(char.IsLetter) && FhirId.IsValid(id))
                return new ReferenceParts(type, id, absolute ? reference : null);
        }
        return new ReferenceParts(null, null, absolute ? reference : null);
    }
}
