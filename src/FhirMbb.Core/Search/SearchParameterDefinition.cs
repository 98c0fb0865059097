using Hl7.Fhir.Model;

namespace FhirMbb.Core.Search;

/// <summary>
/// One search parameter of one resource type, as the server understands it. <see cref="Id"/> is the
/// number stored in the index tables; it is derived from the code so it is stable across restarts.
/// A composite parameter has no index rows of its own: <see cref="Components"/> are the parameters its parts search.
/// A derived parameter has none either: <see cref="Stored"/> names the rows that answer it.
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

    /// <summary>
    /// The index rows searched for this parameter: its own (<c>[Id]</c>, no target filter), or for a derived parameter
    /// those of the parameters whose rows are exactly its rows, kept only where the reference points to
    /// <see cref="StoredRows.TargetType"/> when that is set (see <see cref="SearchParameterRegistry"/>).
    /// </summary>
    public StoredRows Stored { get; init; } = new([StableId(Code)], null);

    /// <summary>True when the indexer stores no rows for this parameter because <see cref="Stored"/> names other parameters' rows.</summary>
    public bool IsDerived => Stored.TargetType is not null || Stored.ParamIds.Count != 1 || Stored.ParamIds[0] != Id;

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

/// <summary>Which index rows answer a parameter: those stored under any of <paramref name="ParamIds"/>, restricted to references to <paramref name="TargetType"/> when given.</summary>
public sealed record StoredRows(IReadOnlyList<int> ParamIds, string? TargetType);
