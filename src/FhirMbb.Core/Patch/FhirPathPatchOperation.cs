using Hl7.Fhir.Model;

namespace FhirMbb.Core.Patch;

public enum FhirPathPatchType { Add, Insert, Delete, Replace, Move }

/// <summary>
/// One <c>operation</c> parameter of a FHIRPath Patch, checked for shape but not yet applied.
/// <see cref="Ordinal"/> is its zero-based position in the Parameters, used in every message.
/// <see cref="Value"/> is the whole <c>value</c> part, because complex values arrive as nested
/// parts that can only be built once the target element's type is known.
/// </summary>
public sealed record FhirPathPatchOperation(
    int Ordinal,
    FhirPathPatchType Type,
    string Path,
    string? Name,
    Parameters.ParameterComponent? Value,
    int? Index,
    int? Source,
    int? Destination)
{
    public string TypeName => Type.ToString().ToLowerInvariant();
}
