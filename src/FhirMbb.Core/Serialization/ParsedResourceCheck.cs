using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Validation;

namespace FhirMbb.Core.Serialization;

/// <summary>
/// Decides whether a resource parsed without the deserializer's validator would have passed with it. The Firely
/// deserializer, given a validator, builds a validation context for every property and every object it reads and
/// schedules the primitives' checks in a dictionary per object; with a Synthea bundle that bookkeeping was a third of
/// the strict parse's time and half its allocations. This check makes the same checks as that validator
/// (<see cref="FhirAttributeValidator"/>, the deserializer's default) over the finished object tree instead: the model's
/// facts it needs are read once per type, the validator itself runs only for what those facts do not settle (a resource's
/// own invariants, a choice element's allowed types), and no context is built unless it runs.
/// </summary>
/// <remarks>
/// It answers only yes or no. What the validator would have reported surfaces in the tree parsed without it: an element
/// the model has no place for (unknown, wrongly typed, an array where one value belongs or the reverse) is kept as
/// overflow, and a primitive keeps a literal it cannot hold as its raw JSON value, which the primitive's own check then
/// refuses. A "no" is never shown to anyone: the caller parses again with the validator, so every message, path and
/// line number is the deserializer's own. A "yes" must therefore be given only where the validator would find nothing;
/// a differential test compares the two on mutated Synthea resources.
/// </remarks>
internal static class ParsedResourceCheck
{
    private static readonly ModelInspector Inspector = ModelInfo.ModelInspector;
    private static readonly FhirAttributeValidator Validator = FhirAttributeValidator.Default;
    private static readonly NarrativeValidationKind Narrative = new DeserializerSettings().NarrativeValidation;

    // Messages are never read (see remarks), so every context shares one path.
    private static readonly Func<string> NoPath = () => "";

    // Answers already given for a primitive that is only a value (no id, no extension): the check then depends on the
    // type and the value alone. Systems, codes, units and displays repeat from resource to resource, and their checks
    // (System.Uri for a uri, a regex for a code, parsing for a date) were most of this check's cost. One dictionary per
    // type (TypePlan.Known), keyed by the string alone, which hashes faster than a (type, string) pair. All are emptied
    // when together they hold MaxKnownPrimitives.
    private static int _knownCount;
    internal const int MaxKnownPrimitives = 50_000;

    // A value enters its type's dictionary the second time it is met. The first answer waits in a small table, one per
    // slot, the slot chosen by type and value, until another value takes its slot. Unique values (ids, most instants) go
    // no further, so they die young: admitted at once, each stayed until the dictionary was emptied, long enough for the
    // garbage collector to move it to its oldest generation: 225 MB there at the end of loading 300,000 Observations,
    // against 115 MB after an ingest of the Synthea bundles.
    private sealed record Seen(TypePlan Plan, string Value, bool Passes);
    private static readonly Seen?[] SeenOnce = new Seen?[SeenSlots];
    internal const int SeenSlots = 4096;

    public static bool Passes(Base node) => node is PrimitiveType primitive ? Passes(primitive, PlanFor(node.GetType())) : !node.HasOverflow && PlanFor(node.GetType()) is { } its && Check(node, its);

    /// <summary><see cref="Passes(Base)"/> for a primitive whose type's plan the caller holds (null: the check does not know the type).</summary>
    internal static bool Passes(PrimitiveType node, TypePlan? plan)
    {
        if (plan is null) return false;
        if (node is { JsonValue: string value } && ElementShape.IsBare(node) && node is not XHtml && !node.HasOverflow)
        {
            if (plan.Known.TryGetValue(value, out var known)) return known;
            ref var slot = ref SeenOnce[(uint)HashCode.Combine(plan, value) & (SeenSlots - 1)];
            // A slot is one reference, read and written whole, so it never mixes two answers.
            var seen = Volatile.Read(ref slot);
            if (seen is not null && seen.Plan == plan && string.Equals(seen.Value, value, StringComparison.Ordinal))
            {
                Remember(plan, value, seen.Passes);
                return seen.Passes;
            }
            var passes = Check(node, plan);
            Volatile.Write(ref slot, new Seen(plan, value, passes));
            return passes;
        }
        return !node.HasOverflow && Check(node, plan);
    }

    private static void Remember(TypePlan plan, string value, bool passes)
    {
        if (Interlocked.Increment(ref _knownCount) > MaxKnownPrimitives)
        {
            foreach (var other in Plans.Values) other?.Known.Clear();
            Interlocked.Exchange(ref _knownCount, 0);
        }
        plan.Known[value] = passes;
    }

    /// <summary>The validator's checks on one object (no overflow: the caller has looked) and, through Passes, on its children.</summary>
    private static bool Check(Base node, TypePlan plan)
    {
        var state = new ObjectState();
        foreach (var (name, value) in node.EnumerateElements())
        {
            var property = plan.Property(name);
            if (property is null || !PropertyPasses(property, value, node, ref state)) return false;
            if (property.Mapping.IsPrimitive) continue;
            switch (value)
            {
                case Base child:
                    if (!Passes(child)) return false;
                    break;
                case IList list:
                    for (var i = 0; i < list.Count; i++)
                        if (list[i] is not Base element || !Passes(element)) return false;
                    break;
                default:
                    return false;
            }
        }
        return ObjectPasses(node, plan, ref state);
    }

    /// <summary>What the checks of one object have seen of its properties so far.</summary>
    internal struct ObjectState
    {
        public ulong Present;
        public int Elements;
        public PocoValidationContext? Context;
    }

    /// <summary>
    /// The checks on one property of an object, not on the values it holds (<see cref="Passes"/> checks those). A reader
    /// building the tree calls it for each property it sets, then <see cref="ObjectPasses"/> when the object is complete.
    /// </summary>
    internal static bool PropertyPasses(PropertyPlan property, object value, Base owner, ref ObjectState state)
    {
        state.Elements++;
        if (property.RequiredBit != 0 && value is not IList { Count: 0 }) state.Present |= property.RequiredBit;
        // A primitive's own value (and an element's id or an extension's url held as plain .NET values) is checked by
        // the object's validation, as the deserializer does; the validator's property check refuses them.
        return property.Mapping.IsPrimitive || property.Passes(value, owner, ref state.Context);
    }

    /// <summary>The checks on a complete object once its properties have passed <see cref="PropertyPasses"/>.</summary>
    internal static bool ObjectPasses(Base node, TypePlan plan, ref ObjectState state) => plan.Invariants switch
    {
        ObjectCheck.AnElement => state.Present == plan.Required && state.Elements > 0,
        ObjectCheck.PrimitiveValue => state.Present == plan.Required && ((PrimitiveType)node).HasValidValue(),
        _ => Validator.ValidateObject(node, plan.Mapping, ContextOf(node, ref state.Context)).Count == 0,
    };

    // Built only where a validator's method runs; messages are never read, so one per object, as the deserializer has.
    private static PocoValidationContext ContextOf(Base node, ref PocoValidationContext? context) =>
        context ??= new PocoValidationContext(node, Inspector, NoPath, null, null, Narrative);

    /// <summary>What the validator's object check (<see cref="FhirAttributeValidator.ValidateObject"/>) comes to for a type.</summary>
    internal enum ObjectCheck
    {
        /// <summary>Its mandatory elements are there and it has an element (<c>Base</c>'s own invariant).</summary>
        AnElement,
        /// <summary>Its mandatory elements are there and its value is one its type can hold (<c>PrimitiveType</c>'s invariant).</summary>
        PrimitiveValue,
        /// <summary>Anything else (a resource's own invariants, attributes on the class): the validator decides.</summary>
        Validator,
    }

    // What the validator reads from the model for each type and each of its properties, looked up once. Per object, the
    // validator's own calls went through LINQ over every property's attributes and built a context and a list of errors;
    // that was half of this check's cost.
    private static readonly ConcurrentDictionary<Type, TypePlan?> Plans = new();

    /// <summary>The check's plan of a type; null for a type it does not know (the check then fails).</summary>
    internal static TypePlan? PlanFor(Type type) => Plans.GetOrAdd(type, static t => TypePlan.For(t));

    internal sealed class TypePlan
    {
        public required ClassMapping Mapping { get; init; }
        public required ObjectCheck Invariants { get; init; }
        /// <summary>One bit per mandatory element (minimum cardinality above 0).</summary>
        public required ulong Required { get; init; }
        public required Dictionary<PropertyMapping, PropertyPlan> ByMapping { get; init; }
        /// <summary>For a primitive type: the answers remembered for its values (see Passes).</summary>
        public ConcurrentDictionary<string, bool> Known { get; } = new();
        private readonly ConcurrentDictionary<string, PropertyPlan?> _byName = new(StringComparer.Ordinal);

        public PropertyPlan? Property(string name) =>
            _byName.TryGetValue(name, out var plan)
                ? plan
                : _byName.GetOrAdd(name, n => Mapping.FindMappedElementByName(n) is { } m ? ByMapping.GetValueOrDefault(m) : null);

        public static TypePlan? For(Type type)
        {
            var mapping = Inspector.FindOrImportClassMapping(type);
            if (mapping is null) return null;
            var byMapping = new Dictionary<PropertyMapping, PropertyPlan>(ReferenceEqualityComparer.Instance);
            ulong required = 0;
            var mandatory = 0;
            foreach (var property in mapping.PropertyMappings)
            {
                var cardinality = property.ValidationAttributes.OfType<CardinalityAttribute>().SingleOrDefault();
                ulong bit = 0;
                if (cardinality is { Min: > 0 } && mandatory < 64) bit = 1UL << mandatory;
                if (cardinality is { Min: > 0 }) mandatory++;
                required |= bit;
                byMapping[property] = new PropertyPlan(property, cardinality, bit);
            }
            var declared = type.GetMethod("ValidateInvariants", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public,
                [typeof(PocoValidationContext)])?.DeclaringType;
            var invariants = mapping.ValidationAttributes.Length != 0 || mandatory > 64 ? ObjectCheck.Validator
                : declared == typeof(Base) ? ObjectCheck.AnElement
                : declared == typeof(PrimitiveType) ? ObjectCheck.PrimitiveValue
                : ObjectCheck.Validator;
            return new TypePlan { Mapping = mapping, Invariants = invariants, Required = required, ByMapping = byMapping };
        }
    }

    /// <summary>The validator's property check (<see cref="FhirAttributeValidator.ValidateProperty"/>) for one property.</summary>
    internal sealed class PropertyPlan(PropertyMapping mapping, CardinalityAttribute? cardinality, ulong requiredBit)
    {
        public PropertyMapping Mapping { get; } = mapping;
        public ulong RequiredBit { get; } = requiredBit;
        private readonly bool _typeChecked = !mapping.ValidationAttributes.Any(a => a is AllowedTypesAttribute);
        // A mapping without a .NET property is not one the deserializer fills; the strict parse decides.
        private readonly Type? _declaredType = mapping.NativeProperty?.PropertyType;
        private readonly ValidatingFhirModelAttribute[] _others = mapping.ValidationAttributes.Where(a => a != cardinality).ToArray();

        public bool Passes(object value, Base owner, ref PocoValidationContext? context)
        {
            if (_declaredType is null || _typeChecked && !_declaredType.IsInstanceOfType(value)) return false;
            if (cardinality is not null && !Counts(value, cardinality)) return false;
            foreach (var attribute in _others)
                if (attribute.Validate(value, ContextOf(owner, ref context)).Count != 0) return false;
            return true;
        }

        // A present value: a list's length within the bounds (a maximum of -1 is unbounded), a single value for a single element.
        private static bool Counts(object value, CardinalityAttribute cardinality) => value is IList list
            ? list.Count >= cardinality.Min && (cardinality.Max < 0 || list.Count <= cardinality.Max)
            : cardinality.Max != 0;
    }
}
