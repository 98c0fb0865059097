using Hl7.Fhir.Model;

namespace FhirMbb.Core.Evaluation;

/// <summary>
/// Membership of ValueSet mbb-exclusion-diagnoses, read without a terminology server: expansion
/// codes, enumerated compose concepts, and is-a / descendent-of filters. ICD-10-CM is prefix
/// hierarchical (M54.16 is under M54.1), so a filter on an ICD-10-CM code matches by prefix.
/// </summary>
public sealed class ExclusionDiagnosisCodes
{
    private readonly HashSet<(string System, string Code)> _codes = [];
    private readonly List<(string System, string Code)> _ancestors = [];

    public static ExclusionDiagnosisCodes FromValueSet(ValueSet valueSet)
    {
        var set = new ExclusionDiagnosisCodes();
        foreach (var contains in Flatten(valueSet.Expansion?.Contains ?? []))
            if (contains.System is not null && !string.IsNullOrEmpty(contains.Code))
                set._codes.Add((contains.System, contains.Code));

        foreach (var include in valueSet.Compose?.Include ?? [])
        {
            if (include.System is null)
                continue;
            foreach (var concept in include.Concept ?? [])
                if (!string.IsNullOrEmpty(concept.Code))
                    set._codes.Add((include.System, concept.Code));
            foreach (var filter in include.Filter ?? [])
                if (filter.Property == "concept" && (filter.Op is FilterOperator.IsA or FilterOperator.DescendentOf) && !string.IsNullOrEmpty(filter.Value))
                {
                    if (filter.Op == FilterOperator.IsA)
                        set._codes.Add((include.System, filter.Value));
                    set._ancestors.Add((include.System, filter.Value));
                }
        }
        return set;
    }

    public bool Contains(CodedValue code)
    {
        if (code.System is null)
            return false;
        if (_codes.Contains((code.System, code.Code)))
            return true;
        // Only ICD-10-CM can be judged by prefix; other systems' hierarchies need a terminology server.
        return code.System == Canonicals.CodeSystems.Icd10Cm
            && _ancestors.Any(a => a.System == code.System && code.Code.Length > a.Code.Length
                && code.Code.StartsWith(a.Code.TrimEnd('.'), StringComparison.OrdinalIgnoreCase));
    }

    private static IEnumerable<ValueSet.ContainsComponent> Flatten(IEnumerable<ValueSet.ContainsComponent> contains) =>
        contains.SelectMany(c => Flatten(c.Contains ?? []).Prepend(c));
}
