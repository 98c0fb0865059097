using System.Collections;
using System.Collections.Concurrent;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Validation;

namespace FhirMbb.Core.Serialization;

/// <summary>
/// Decides whether a resource parsed without the deserializer's validator would have passed with it. The Firely
/// deserializer, given a validator, builds a validation context for every property and every object it reads and
/// schedules the primitives' checks in a dictionary per object; with a Synthea bundle that bookkeeping was a third of
/// the strict parse's time and half its allocations. This check runs the same validator
/// (<see cref="FhirAttributeValidator"/>, the deserializer's default) over the finished object tree instead, with one
/// context per object.
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
    // (System.Uri for a uri, a regex for a code, parsing for a date) were most of this check's cost. Emptied when full.
    private static readonly ConcurrentDictionary<(Type, string), bool> KnownPrimitives = new();
    private static int _knownCount;
    internal const int MaxKnownPrimitives = 50_000;

    // A value enters KnownPrimitives the second time it is met. The first answer waits in a small table, one per slot,
    // the slot chosen by type and value, until another value takes its slot. Unique values (ids, most instants) go no
    // further, so they die young: admitted at once, each stayed until the dictionary was emptied, long enough for the
    // garbage collector to move it to its oldest generation: 225 MB there at the end of loading 300,000 Observations,
    // against 115 MB after an ingest of the Synthea bundles.
    private sealed record Seen(Type Type, string Value, bool Passes);
    private static readonly Seen?[] SeenOnce = new Seen?[SeenSlots];
    internal const int SeenSlots = 4096;

    public static bool Passes(Base node)
    {
        if (node is PrimitiveType { ElementId: null, JsonValue: string value } primitive && node is not XHtml && !node.HasOverflow && !primitive.HasExtensions())
        {
            var type = node.GetType();
            if (KnownPrimitives.TryGetValue((type, value), out var known)) return known;
            ref var slot = ref SeenOnce[(uint)HashCode.Combine(type, value) & (SeenSlots - 1)];
            // A slot is one reference, read and written whole, so it never mixes two answers.
            var seen = Volatile.Read(ref slot);
            if (seen is not null && seen.Type == type && string.Equals(seen.Value, value, StringComparison.Ordinal))
            {
                Remember((type, value), seen.Passes);
                return seen.Passes;
            }
            var passes = Check(node);
            Volatile.Write(ref slot, new Seen(type, value, passes));
            return passes;
        }
        return Check(node);
    }

    private static void Remember((Type, string) key, bool passes)
    {
        if (Interlocked.Increment(ref _knownCount) > MaxKnownPrimitives)
        {
            KnownPrimitives.Clear();
            Interlocked.Exchange(ref _knownCount, 0);
        }
        KnownPrimitives[key] = passes;
    }

    private static bool Check(Base node)
    {
        if (node.HasOverflow) return false;
        var mapping = Inspector.FindOrImportClassMapping(node.GetType());
        if (mapping is null) return false;
        var context = new PocoValidationContext(node, Inspector, NoPath, null, null, Narrative);
        foreach (var (name, value) in node.EnumerateElements())
        {
            var property = mapping.FindMappedElementByName(name);
            if (property is null) return false;
            // A primitive's own value (and an element's id or an extension's url held as plain .NET values) is checked by
            // the object's validation below, as the deserializer does; the validator's property check refuses them.
            if (property.IsPrimitive) continue;
            context.MemberName = property.NativeProperty?.Name;
            if (Validator.ValidateProperty(name, value, property, context).Count != 0) return false;
            switch (value)
            {
                case Base child:
                    if (!Passes(child)) return false;
                    break;
                case IList list:
                    foreach (var item in list)
                        if (item is not Base element || !Passes(element)) return false;
                    break;
                default:
                    return false;
            }
        }
        context.MemberName = null;
        return Validator.ValidateObject(node, mapping, context).Count == 0;
    }
}
