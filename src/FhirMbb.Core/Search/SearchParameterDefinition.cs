using Hl7.Fhir.Model;

namespace FhirMbb.Core.Search;

/// <summary>
/// One search parameter of one resource type, as the server understands it. <see cref="Id"/> is the
/// number stored in the index tables; it is derived from the code so it is stable across restarts.
/// A composite parameter has no index rows of its own: <see cref="Components"/> are the parameters its parts search.
/// </summary>
public sealed record SearchParameterDefinition(
    string ResourceType,
    string Code,
    string Url,
    SearchParamType Type,
    string Expression,
    IReadOnlyList<string> Targets,
    string? UnsupportedReason,
    IReadOnlyList<SearchParameterDefinition>? Components = null)
{
    public int Id { get; } = StableId(Code);

    public bool IsSupported => UnsupportedReason is null;

    /// <summary>FNV-1a of the code: the same code on two types shares an id, which is fine because every query also filters by type.</summary>
    public static int StableId(string code)
    {
        unchecked
        {
            uint hash = 2166136261;
            foreach (var ch in code)
            {
                hash ^= ch;
                hash *= 16777619;
            }
            return (int)hash;
        }
    }
}
