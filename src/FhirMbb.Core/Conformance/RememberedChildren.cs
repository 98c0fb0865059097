using System.Runtime.CompilerServices;
using FhirMbb.Core.Serialization;
using Firely.Fhir.Validation;
using Hl7.Fhir.Model;

#pragma warning disable ExperimentalApi // the validator's building blocks are marked experimental

namespace FhirMbb.Core.Conformance;

/// <summary>
/// Counts, per thread, the validation steps that looked beyond the element they were given: an invariant reading
/// <c>%resource</c>, <c>%rootResource</c>, <c>resolve()</c> or the clock, a reference resolved, an extension's context
/// given as FHIRPath, or any assertion not known to look only at its element. A validation is synchronous on one
/// thread, so a count taken before and after a child's check says whether anything in it looked outside the child.
/// </summary>
internal static class OutsideLooks
{
    [ThreadStatic] private static long _count;

    public static long Count => _count;

    public static void Mark() => _count++;
}

/// <summary>
/// Whether an assertion's verdict depends only on the element it is given: every assertion in it, through its
/// containers, slices and discriminators, is of a kind known to read nothing else. Schemas an assertion reaches at
/// validation time (a datatype's, an extension's) are not followed here: the validator fetches them through
/// <see cref="RewrittenSchemas.GetSchema"/>, which marks <see cref="OutsideLooks"/> for one that is not context-free.
/// </summary>
internal static class ContextFree
{
    private static readonly ConditionalWeakTable<IAssertion, object> Verdicts = new();
    private static readonly object Yes = true, No = false;

    // FHIRPath that reaches past its focus: the resource around it, a resolved reference, the time of validation.
    private static readonly string[] OutsideFhirPath = ["%resource", "%rootResource", "resolve(", "now(", "today(", "timeOfDay(", "parent(", "%context"];

    public static bool Holds(IAssertion assertion) => (bool)Verdicts.GetValue(assertion, a => Decide(a) ? Yes : No);

    private static bool Decide(IAssertion assertion) => assertion switch
    {
        FhirPathValidator invariant => InsideOnly(invariant.Expression),
        SharedPathSelector selector => InsideOnly(selector.Path) && Holds(selector.Other),
        PathSelectorValidator selector => InsideOnly(selector.Path) && Holds(selector.Other),
        ExtensionContextValidator context => !context.Invariants.Any()
            && context.Contexts.All(c => c.Type is not ExtensionContextValidator.ContextType.FHIRPATH),
        SliceValidator slicing => slicing.Slices.All(s => Holds(s.Condition) && Holds(s.Assertion)) && Holds(slicing.Default),
        // These mark OutsideLooks themselves when what they run may look outside.
        DirectChildren or MarksOutside => true,
        ResourceSchema or ReferencedInstanceValidator => false,
        IAssertionContainer container => container.Children().All(c => Holds(c.Child)),
        CardinalityValidator or FhirTypeLabelValidator or FixedValidator or PatternValidator or MinMaxValueValidator
            or MaxLengthValidator or RegExValidator or BindingValidator or RememberedBinding or FhirStringValidator
            or FhirUriValidator or CanonicalValidator or SchemaReferenceValidator or ResultAssertion or IssueAssertion
            or TraceAssertion or FhirEle1Validator or FhirExt1Validator or BaseType or RequiredValidator or PrimitiveLiteralTypeValidator => true,
        _ => false,
    };

    private static bool InsideOnly(string fhirPath) => !OutsideFhirPath.Any(p => fhirPath.Contains(p, StringComparison.Ordinal));
}

/// <summary>
/// A value as a validation check sees it, for remembering what passed: its type and its JSON (every element, those unknown
/// to the model too), and for a primitive the kind of its JSON literal. Null, not remembered: a primitive with an id or
/// extensions, a resource, a backbone element.
/// </summary>
internal static class ValueKey
{
    public static string? Of(Base value) => value switch
    {
        PrimitiveType primitive when ElementShape.IsBare(primitive) =>
            $"{primitive.TypeName}|{primitive.JsonValue?.GetType().Name}|{primitive.JsonValue}",
        // The server's compact JSON (ToJsonBytes: our writer where it can, Firely's otherwise). Either is JSON of every
        // element, so one key names one value whichever wrote it.
        DataType complex and not PrimitiveType => $"{complex.TypeName}|{System.Text.Encoding.UTF8.GetString(FhirSerialization.Shared.ToJsonBytes(complex))}",
        _ => null,
    };
}

/// <summary>
/// The values one child of a resource's root has been seen to pass with no issue at all, so the same value passes again
/// without being validated. Kept only for a child whose check is <see cref="ContextFree"/>, for values that are
/// datatypes (never a resource or a backbone element), in a resource validated on its own (not inside a Bundle or as a
/// contained resource: the root's type is then fixed by the schema), and only when nothing in the check looked outside
/// the child (<see cref="OutsideLooks"/>). Anything else, and any value that failed or drew a warning, is validated as
/// before, so what is refused and every issue reported are unchanged.
/// </summary>
internal sealed class PassedValues
{
    // Bounded: values come from requests. Per child, and for all children together (~8 MB of keys in a process). A child
    // whose values rarely repeat (a time, an id) stops remembering: fewer than one lookup in ten found in a window.
    private const int MaxRemembered = 512;
    private const int MaxKeyLength = 2_048;
    private static long _charsLeft = 4_000_000;
    private const int Window = 2_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _passed = new(StringComparer.Ordinal);
    private int _windowLookups;
    private int _windowHits;
    private volatile bool _abandoned;

    /// <summary>The key of the child's values, or null when they are not to be remembered (a value inside a Bundle or a contained resource, one <see cref="ValueKey"/> refuses, a long value, or a child given up on).</summary>
    public string? KeyOf(PocoNode parent, IEnumerable<PocoNode> values)
    {
        if (_abandoned || parent.Parent is not null) return null;
        string? key = null;
        foreach (var value in values)
        {
            if (ValueKey.Of(value.Poco) is not { } one) return null;
            key = key is null ? one : string.Concat(key, "\u0001", one);
            if (key.Length > MaxKeyLength) return null;
        }
        return key;
    }

    public bool Passed(string key)
    {
        var hit = _passed.ContainsKey(key);
        if (hit) Interlocked.Increment(ref _windowHits);
        // Each window of lookups is judged on its own: a child whose values stopped repeating (past the warm-up's
        // examples, say) is given up on, one that still repeats keeps its values.
        if (Interlocked.Increment(ref _windowLookups) == Window)
        {
            if (Interlocked.Exchange(ref _windowHits, 0) * 10 < Window) _abandoned = true;
            Interlocked.Exchange(ref _windowLookups, 0);
        }
        return hit;
    }

    public void Remember(string key)
    {
        if (_passed.Count >= MaxRemembered) return;
        // What is not kept (over the budget, or kept meanwhile by another thread) goes back to the budget.
        if (Interlocked.Add(ref _charsLeft, -key.Length) < 0 || !_passed.TryAdd(key, true)) Interlocked.Add(ref _charsLeft, key.Length);
    }
}
