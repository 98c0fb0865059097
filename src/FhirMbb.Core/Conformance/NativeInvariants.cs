using System.Globalization;
using System.Text.RegularExpressions;
using Firely.Fhir.Validation;
using Hl7.Fhir.Model;

#pragma warning disable ExperimentalApi // the invariant and cardinality validators are marked experimental

namespace FhirMbb.Core.Conformance;

/// <summary>
/// An invariant whose FHIRPath is, for the common instance, decided by looking at one or two children (the core
/// specification's, below) or at the value's type and the value itself (profile invariants, see
/// <see cref="TypedInvariants"/>): when that look proves the invariant holds, the result is the plain success Firely
/// gives; otherwise the Firely invariant runs exactly as before (so every failure, and every case not proven here, is Firely's own).
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

    /// <summary>
    /// The invariant with a native shortcut, or null when its expression is neither one of the known core ones nor of
    /// a shape <see cref="TypedInvariants"/> decides.
    /// </summary>
    public static NativeInvariant? For(FhirPathValidator invariant)
    {
        var proven = Shortcuts.GetValueOrDefault((invariant.Key, invariant.Expression)) ?? TypedInvariants.For(invariant.Expression);
        return proven is null ? null : new NativeInvariant(invariant, proven);
    }

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

/// <summary>
/// Profile invariants on a choice element of the form <c>ofType(T).all(predicate)</c>: true on their face when the value
/// is of another type (ofType gives nothing, and all() of nothing is true), and for two predicates decided natively:
/// an integer range (<c>$this &gt;= A and $this &lt;= B</c>) and a dateTime's text length
/// (<c>$this.toString().length() &gt; N</c>). The bounds are read from the expression, so the profile keeps its
/// numbers. A value of a related primitive type (unsignedInt for integer, say) is left to Firely.
/// </summary>
internal static partial class TypedInvariants
{
    [GeneratedRegex(@"^ofType\((?<type>[A-Za-z]+)\)\.all\((?<predicate>.*)\)$")]
    private static partial Regex OfTypeAll();

    [GeneratedRegex(@"^\$this >= (?<low>-?\d{1,9}) and \$this <= (?<high>-?\d{1,9})$")]
    private static partial Regex IntegerRange();

    [GeneratedRegex(@"^\$this\.toString\(\)\.length\(\) > (?<length>\d{1,4})$")]
    private static partial Regex TextLonger();

    public static Func<Base, bool>? For(string expression)
    {
        var shape = OfTypeAll().Match(expression);
        if (!shape.Success || ModelInfo.ModelInspector.FindClassMapping(shape.Groups["type"].Value) is not { } mapping) return null;
        var type = mapping.NativeType;
        var predicate = Predicate(type, shape.Groups["predicate"].Value);
        return focus => type.IsInstanceOfType(focus) ? predicate?.Invoke(focus) == true : OfOtherType(focus, type);
    }

    /// <summary>
    /// Proven not a <paramref name="type"/> for FHIRPath's ofType: a complex value is its own class (or a subclass); a
    /// primitive is never a complex type. Two primitive types may be related in FHIR's hierarchy without being related
    /// classes here, so that case is not proven.
    /// </summary>
    private static bool OfOtherType(Base focus, Type type) => focus is not PrimitiveType || !typeof(PrimitiveType).IsAssignableFrom(type);

    private static Func<Base, bool>? Predicate(Type type, string predicate)
    {
        if (type == typeof(Integer) && IntegerRange().Match(predicate) is { Success: true } range)
        {
            var (low, high) = (int.Parse(range.Groups["low"].Value, CultureInfo.InvariantCulture), int.Parse(range.Groups["high"].Value, CultureInfo.InvariantCulture));
            return focus => focus is Integer { Value: { } value } && value >= low && value <= high;
        }
        if (type == typeof(FhirDateTime) && TextLonger().Match(predicate) is { Success: true } longer)
        {
            var length = int.Parse(longer.Groups["length"].Value, CultureInfo.InvariantCulture);
            // FHIRPath's toString() of a dateTime is the text of the System.DateTime it converts to.
            return focus => focus is FhirDateTime { Value: { } text } && Hl7.Fhir.ElementModel.Types.DateTime.TryParse(text, out var value) && value.ToString().Length > length;
        }
        return null;
    }
}

/// <summary>What FHIRPath's child navigation (Base.TryGetValue) finds under an element, without building nodes.</summary>
internal static class Children
{
    public static bool Absent(Base element, string name) =>
        !element.TryGetValue(name, out var value) || value is IReadOnlyCollection<Base> { Count: 0 };

    public static bool Present(Base element, string name) =>
        element.TryGetValue(name, out var value) && value is Base or IReadOnlyCollection<Base> { Count: > 0 };
}
