using Firely.Fhir.Validation;
using Hl7.Fhir.Model;

#pragma warning disable ExperimentalApi // the invariant and cardinality validators are marked experimental

namespace FhirMbb.Core.Conformance;

/// <summary>
/// A core-specification invariant whose FHIRPath is, for the common instance, decided by looking at one or two
/// children: when that look proves the invariant holds, the result is the plain success Firely gives; otherwise the
/// Firely invariant runs exactly as before (so every failure, and every case not proven here, is Firely's own).
/// Still a <see cref="FhirPathValidator"/> with the same key and expression, so the settings' filters (dom-6) and the
/// base-type invariant check treat it as the original.
/// </summary>
internal sealed record NativeInvariant : FhirPathValidator, IValidatable
{
    private readonly FhirPathValidator _firely;
    private readonly Func<Base, bool> _provenToHold;

    private NativeInvariant(FhirPathValidator firely, Func<Base, bool> provenToHold)
        : base(firely.Key, firely.Expression, firely.HumanDescription, firely.Severity, firely.BestPractice)
    {
        _firely = firely;
        _provenToHold = provenToHold;
        SeverityOverride = firely.SeverityOverride;
    }

    /// <summary>The invariant with a native shortcut, or null when its key and expression are not one of the known core ones.</summary>
    public static NativeInvariant? For(FhirPathValidator invariant) =>
        Shortcuts.TryGetValue((invariant.Key, invariant.Expression), out var proven) ? new NativeInvariant(invariant, proven) : null;

    ResultReport IValidatable.Validate(PocoNode input, ValidationSettings vc, ValidationState state) =>
        _provenToHold(input.Poco) ? ResultReport.SUCCESS : ((IValidatable)_firely).Validate(input, vc, state);

    // Keyed by the exact expression too: a profile that redefines a key with other FHIRPath keeps Firely's evaluation.
    // Each shortcut only answers "holds" where the FHIRPath would be true on its face (an empty collection makes
    // empty() true and where()/all() empty); anything else goes to Firely.
    private static readonly Dictionary<(string Key, string Expression), Func<Base, bool>> Shortcuts = new()
    {
        [("dom-2", "contained.contained.empty()")] = r => Children.Absent(r, "contained"),
        [("dom-3", "contained.where((('#'+id in (%resource.descendants().reference | %resource.descendants().as(canonical) | %resource.descendants().as(uri) | %resource.descendants().as(url))) or descendants().where(reference = '#').exists() or descendants().where(as(canonical) = '#').exists() or descendants().where(as(canonical) = '#').exists()).not()).trace('unmatched', id).empty()")]
            = r => Children.Absent(r, "contained"),
        [("dom-4", "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()")] = r => Children.Absent(r, "contained"),
        [("dom-5", "contained.meta.security.empty()")] = r => Children.Absent(r, "contained"),
        [("obs-3", "low.exists() or high.exists() or text.exists()")] =
            e => Children.Present(e, "low") || Children.Present(e, "high") || Children.Present(e, "text"),
        [("obs-6", "dataAbsentReason.empty() or value.empty()")] = o => Children.Absent(o, "dataAbsentReason") || Children.Absent(o, "value"),
        [("obs-7", "value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()")] =
            o => Children.Absent(o, "value") || Children.Absent(o, "component"),
        [("qty-3", "code.empty() or system.exists()")] = q => Children.Absent(q, "code") || Children.Present(q, "system"),
        [("ref-1", "reference.exists() implies (reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids')) or (reference='#' and %rootResource!=%resource))")] =
            r => Children.Absent(r, "reference") || IsPlainReference(r),
    };

    /// <summary>
    /// A reference whose text begins with a letter or digit cannot start with '#', however the comparison treats
    /// ignorable characters, so "reference.startsWith('#').not()" is true.
    /// </summary>
    private static bool IsPlainReference(Base reference) =>
        reference.TryGetValue("reference", out var value) && value is FhirString { Value: { Length: > 0 } text } && char.IsAsciiLetterOrDigit(text[0]);
}

/// <summary>
/// A cardinality check that counts without building the nodes twice and, for a single value, finds whether its element
/// repeats from the parent's class mapping in the validator's model inspector (the inspector Firely reaches through
/// node annotations, allocating on every node of the path). A count outside the bounds, a repeating element given as
/// one value, or anything unusual goes to Firely's check, which words the issue.
/// </summary>
internal sealed class CountedCardinality(CardinalityValidator firely) : CardinalityValidator(firely.Min, firely.Max), IGroupValidatable, IValidatable
{
    ResultReport IGroupValidatable.Validate(IEnumerable<PocoNode> input, ValidationSettings vc, ValidationState state) =>
        ProvenInRange(input, vc) ? ResultReport.SUCCESS : ((IGroupValidatable)firely).Validate(input, vc, state);

    ResultReport IValidatable.Validate(PocoNode input, ValidationSettings vc, ValidationState state) =>
        ((IValidatable)firely).Validate(input, vc, state);

    private bool ProvenInRange(IEnumerable<PocoNode> input, ValidationSettings vc)
    {
        switch (input)
        {
            case PocoListNode list:
                return list.Pocos.Count == 0 || (list.Parent is not null && InRange(list.Pocos.Count));
            case PocoNode single:
                if (single.Parent is not { } parent || !InRange(1)) return false;
                return single.Index.HasValue || parent.Poco is IDynamicType || IsSingleValued(parent.Poco, single.Name, vc);
            default:
                var count = 0;
                PocoNode? first = null;
                foreach (var node in input)
                {
                    first ??= node;
                    count++;
                }
                return first is null || (first.Parent is not null && InRange(count));
        }
    }

    /// <summary>True only when the class mapping says the element does not repeat (an unknown parent type: not proven).</summary>
    private static bool IsSingleValued(Base parent, string name, ValidationSettings vc) =>
        vc.ModelInspector?.FindClassMapping(parent) is { } mapping && mapping.FindMappedElementByName(name) is not { IsCollection: true };

    private bool InRange(int count) => (Min is not { } min || count >= min) && (Max is not { } max || count <= max);
}

/// <summary>What FHIRPath's child navigation (Base.TryGetValue) finds under an element, without building nodes.</summary>
internal static class Children
{
    public static bool Absent(Base element, string name) =>
        !element.TryGetValue(name, out var value) || value is IReadOnlyCollection<Base> { Count: 0 };

    public static bool Present(Base element, string name) =>
        element.TryGetValue(name, out var value) && value is Base or IReadOnlyCollection<Base> { Count: > 0 };
}
