using Hl7.Fhir.Model;

namespace FhirMbb.Core.Evaluation;

/// <summary>
/// Which medial branch nerves supply each facet joint (L4-L5 -> L3-MB, L4-MB), read from the
/// ConceptMap facet-joint-to-medial-branch so the anatomy stays in terminology, not code.
/// </summary>
public sealed class NerveMap
{
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _nervesByJoint;

    public NerveMap(IReadOnlyDictionary<string, IReadOnlyList<string>> nervesByJoint) => _nervesByJoint = nervesByJoint;

    public static NerveMap Empty { get; } = new(new Dictionary<string, IReadOnlyList<string>>());

    public static NerveMap FromConceptMap(ConceptMap map)
    {
        var nerves = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var group in map.Group ?? [])
        {
            // Only the joint -> nerve group matters; a map may carry other groups later.
            if ((group.Source is not null && group.Source != Canonicals.CodeSystems.SpinalFacetJoint)
                || (group.Target is not null && group.Target != Canonicals.CodeSystems.SpinalMedialBranch))
                continue;
            foreach (var element in group.Element ?? [])
            {
                if (string.IsNullOrEmpty(element.Code))
                    continue;
                var list = nerves.TryGetValue(element.Code, out var existing) ? existing : nerves[element.Code] = [];
                foreach (var target in element.Target ?? [])
                {
                    if (string.IsNullOrEmpty(target.Code)
                        || target.Equivalence is ConceptMapEquivalence.Unmatched or ConceptMapEquivalence.Disjoint)
                        continue;
                    if (!list.Contains(target.Code))
                        list.Add(target.Code);
                }
            }
        }
        return new NerveMap(nerves.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal));
    }

    /// <summary>The nerves of a joint, or an empty list when the map does not know it.</summary>
    public IReadOnlyList<string> NervesOf(string joint) =>
        _nervesByJoint.TryGetValue(joint, out var nerves) ? nerves : [];

    public bool Knows(string joint) => _nervesByJoint.ContainsKey(joint);
}
