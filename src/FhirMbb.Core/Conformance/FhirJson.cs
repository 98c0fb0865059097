using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirMbb.Core.Conformance;

/// <summary>
/// The one FHIR JSON parser of the conformance code (values are written by FhirSerialization). Strict parsing: a published
/// file with an unknown element or a bad value is broken, not silently repaired.
/// </summary>
public static class FhirJson
{
    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings());
    // For input under validation: only syntax and types; cardinality and the rest are the validator's job, with locations.
    private static readonly FhirJsonDeserializer Lenient = new(new DeserializerSettings { Validator = null });

    /// <summary>Parses a resource; throws <see cref="DeserializationFailedException"/> listing every parser error.</summary>
    public static Resource Parse(string json) => Deserializer.DeserializeResource(json);

    /// <summary>
    /// Parses a resource for validation, returning syntax errors instead of throwing; structural
    /// rules (cardinality ...) are left to the validator, which reports them with their location.
    /// </summary>
    public static bool TryParseForValidation(string json, out Resource? resource, out IReadOnlyList<string> errors)
    {
        try
        {
            var ok = Lenient.TryDeserializeResource(json, out var parsed, out var issues);
            resource = parsed;
            errors = issues.Select(e => e.Message).ToList();
            return ok;
        }
        catch (System.Text.Json.JsonException e)
        {
            resource = null;
            errors = [e.Message];
            return false;
        }
    }

}
