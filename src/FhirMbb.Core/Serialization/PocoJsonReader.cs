using System.Collections;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Expression = System.Linq.Expressions.Expression;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Serialization;

/// <summary>
/// Reads JSON into the object tree Firely's deserializer (without its validator) builds, for input Firely would read
/// without a single issue, and gives up on anything else. Firely's deserializer keeps a path, a position and a list of
/// errors for every property, and looks up each name's mapping through several dictionaries; on a transaction of Synthea
/// resources it was a fifth of the server's time. Here each type's names are looked up once, and the tree is built with
/// the calls Firely makes: the mapping's factory, <see cref="PrimitiveType.JsonValue"/>, <see cref="Base.SetValue"/>.
/// </summary>
/// <remarks>
/// <see cref="TryRead"/> gives null, and the caller reads with Firely, on: malformed JSON; a property the model does not
/// know, or met twice; a <c>_name</c> property (a primitive's id or extensions); a null, an empty string, object or
/// array; a value of the wrong JSON kind (an object for a primitive, a string for a number, a single value for a list);
/// a number its type cannot hold; a resource whose <c>resourceType</c> is not its first property or names no resource.
/// Firely would report each of these as an issue, or reads them in a way this reader does not copy. A tree that is read
/// is then checked as any quick parse is (<see cref="ParsedResourceCheck"/>); a differential test holds the two readers
/// equal on Synthea resources and their mutations.
/// </remarks>
internal static class PocoJsonReader
{
    private static readonly ModelInspector Inspector = ModelInfo.ModelInspector;
    private static readonly JsonReaderOptions Options = new() { CommentHandling = JsonCommentHandling.Disallow };
    private static readonly ConcurrentDictionary<ClassMapping, TypePlan> Plans = new(ReferenceEqualityComparer.Instance);

    /// <summary>The resource, or null when the JSON holds anything this reader leaves to Firely (see remarks).</summary>
    public static Resource? TryRead(ReadOnlySpan<byte> utf8) => Read(utf8, check: false, out var resource) == Verdict.Passed ? resource : null;

    /// <summary>What <see cref="Read"/> made of its input.</summary>
    public enum Verdict
    {
        /// <summary>Left to Firely's reader: nothing was decided.</summary>
        Left,
        /// <summary>Read, and (when asked) passed <see cref="ParsedResourceCheck"/>'s checks.</summary>
        Passed,
        /// <summary>Read as far as a value the check refuses: Firely's validating reader must report it.</summary>
        Refused,
    }

    /// <summary>
    /// Reads the resource and, with <paramref name="check"/>, makes <see cref="ParsedResourceCheck"/>'s checks as each
    /// object is completed, with the verdict <see cref="ParsedResourceCheck.Passes"/> gives on the finished tree.
    /// </summary>
    public static Verdict Read(ReadOnlySpan<byte> utf8, bool check, out Resource? resource)
    {
        var reader = new Utf8JsonReader(utf8, Options);
        var reading = new Reading(check);
        try
        {
            // Like Firely's, the reader stops at the end of the resource; what follows it is not read.
            resource = reader.Read() ? ReadResource(ref reader, ref reading, last: true) : null;
        }
        catch (Exception e) when (e is JsonException or InvalidCastException or ArgumentException or NotSupportedException)
        {
            // Malformed JSON, or a value the model's setter would not take: Firely's reader decides and reports.
            resource = null;
            return Verdict.Left;
        }
        return resource is not null ? Verdict.Passed : reading.Refused ? Verdict.Refused : Verdict.Left;
    }

    private struct Reading(bool check)
    {
        public readonly bool Check = check;
        /// <summary>Set when the check refused a value: reading stopped there.</summary>
        public bool Refused;

        public bool Refuse()
        {
            Refused = true;
            return false;
        }
    }

    /// <summary>On the resource's StartObject; leaves the reader after its EndObject (on it when <paramref name="last"/>).</summary>
    private static Resource? ReadResource(ref Utf8JsonReader reader, ref Reading reading, bool last)
    {
        if (reader.TokenType != JsonTokenType.StartObject) return null;
        var ahead = reader;
        if (!ahead.Read() || ahead.TokenType != JsonTokenType.PropertyName || !ahead.ValueTextEquals("resourceType"u8)) return null;
        if (!ahead.Read() || ahead.TokenType != JsonTokenType.String) return null;
        if (Inspector.FindClassMapping(ahead.GetString()!) is not { IsResource: true } mapping) return null;
        var resource = (Resource)mapping.CreateInstance();
        return ReadObject(ref reader, ref reading, resource, PlanFor(mapping), isResource: true, last) ? resource : null;
    }

    private static bool ReadObject(ref Utf8JsonReader reader, ref Reading reading, Base target, TypePlan plan, bool isResource, bool last = false)
    {
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        var checks = reading.Check ? plan.Checks : null;
        if (reading.Check && checks is null) return reading.Refuse();
        reader.Read();
        var empty = true;
        ulong seen = 0;
        HashSet<int>? seenBeyond = null;
        var state = new ParsedResourceCheck.ObjectState();
        while (reader.TokenType != JsonTokenType.EndObject)
        {
            if (isResource && reader.ValueTextEquals("resourceType"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String) return false;
                reader.Read();
                continue;
            }
            if (plan.Find(ref reader) is not { } property) return false;
            // Met twice, or two types of one choice element: Firely reports a duplicate.
            if (property.Index < 64)
            {
                var bit = 1UL << property.Index;
                if ((seen & bit) != 0) return false;
                seen |= bit;
            }
            else if (!(seenBeyond ??= []).Add(property.Index)) return false;
            reader.Read();
            object? value = property.NewList is { } newList ? ReadList(ref reader, ref reading, property.ValuePlan, newList) : ReadValue(ref reader, ref reading, property.ValuePlan);
            if (value is null) return false;
            target.SetValue(property.Element, value);
            if (checks is not null && !(property.Rules is { } rules && ParsedResourceCheck.PropertyPasses(rules, value, target, ref state)))
                return reading.Refuse();
            empty = false;
        }
        if (!last) reader.Read();
        if (empty) return false;
        return checks is null || ParsedResourceCheck.ObjectPasses(target, checks, ref state) || reading.Refuse();
    }

    private static IList? ReadList(ref Utf8JsonReader reader, ref Reading reading, TypePlan plan, Func<IList> newList)
    {
        if (reader.TokenType != JsonTokenType.StartArray) return null;
        reader.Read();
        if (reader.TokenType == JsonTokenType.EndArray) return null;
        var list = newList();
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            if (ReadValue(ref reader, ref reading, plan) is not { } item) return null;
            list.Add(item);
        }
        reader.Read();
        return list;
    }

    /// <summary>On the value's first token; leaves the reader on the token after it.</summary>
    private static Base? ReadValue(ref Utf8JsonReader reader, ref Reading reading, TypePlan plan)
    {
        var mapping = plan.Mapping;
        if (mapping.IsResource) return ReadResource(ref reader, ref reading, last: false);
        var value = mapping.CreateInstance();
        if (!mapping.IsFhirPrimitive) return ReadObject(ref reader, ref reading, value, plan, isResource: false) ? value : null;

        var primitive = (PrimitiveType)value;
        var kind = mapping.PrimitiveValueProperty?.ImplementingType;
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                var text = reader.GetString()!;
                if (string.IsNullOrWhiteSpace(text)) return null;
                // A string is kept as it came for every type but a number or a boolean; Firely checks it later too.
                if (kind == typeof(bool) || kind == typeof(int) || kind == typeof(decimal)) return null;
                primitive.JsonValue = text;
                break;
            case JsonTokenType.Number when kind == typeof(decimal) && reader.TryGetDecimal(out var number):
                primitive.JsonValue = number;
                break;
            case JsonTokenType.Number when kind == typeof(int) && reader.TryGetInt32(out var integer):
                primitive.JsonValue = integer;
                break;
            case JsonTokenType.True or JsonTokenType.False when kind == typeof(bool):
                primitive.JsonValue = reader.GetBoolean();
                break;
            default:
                return null;
        }
        reader.Read();
        if (reading.Check && !ParsedResourceCheck.Passes(primitive, plan.Checks))
        {
            reading.Refuse();
            return null;
        }
        return primitive;
    }

    private static TypePlan PlanFor(ClassMapping mapping) =>
        Plans.TryGetValue(mapping, out var plan) ? plan : Plans.GetOrAdd(mapping, static m => new TypePlan(m));

    /// <summary>
    /// A JSON property name as the model reads it: the element, the type of its value, where it counts for duplicates,
    /// and the quick check's rules for it (null when the check does not know it).
    /// </summary>
    /// <param name="newList">for a list element, makes the list the model's property holds; null for a single value.</param>
    private sealed class PropertyPlan(string element, ClassMapping value, Func<IList>? newList, int index, ParsedResourceCheck.PropertyPlan? rules)
    {
        public string Element => element;
        public Func<IList>? NewList => newList;
        public int Index => index;
        public ParsedResourceCheck.PropertyPlan? Rules => rules;

        // The value type's plan, looked up on first use (types refer to each other, so not when this is made) rather than
        // once per value read; two threads at once find the same plan.
        private TypePlan? _valuePlan;

        public TypePlan ValuePlan => _valuePlan ??= PlanFor(value);
    }

    private sealed class TypePlan(ClassMapping mapping)
    {
        public ClassMapping Mapping => mapping;

        /// <summary>The quick check's plan of the type, for reading with checks; null when the check does not know it.</summary>
        public ParsedResourceCheck.TypePlan? Checks { get; } = ParsedResourceCheck.PlanFor(mapping.NativeType);

        private readonly ConcurrentDictionary<string, PropertyPlan> _byName = new(StringComparer.Ordinal);
        // Each element's place, for telling a property met twice.
        private readonly Dictionary<string, int> _indexes = mapping.PropertyMappings.Select(p => p.Name).Distinct(StringComparer.Ordinal)
            .Select((name, i) => (name, i)).ToDictionary(e => e.name, e => e.i, StringComparer.Ordinal);

        /// <summary>The plan of the property name the reader is on; null for a name the model does not know, or one starting with '_'.</summary>
        public PropertyPlan? Find(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.PropertyName) return null;
            var raw = reader.ValueSpan;
            if (!reader.ValueIsEscaped && raw.Length <= 64)
            {
                Span<char> chars = stackalloc char[raw.Length];
                if (Ascii.ToUtf16(raw, chars, out _) == System.Buffers.OperationStatus.Done
                    && _byName.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars, out var known))
                    return known;
            }
            var name = reader.GetString()!;
            if (_byName.TryGetValue(name, out var plan)) return plan;
            // A name the model does not know is not remembered: any number of them may come, and Firely reads them.
            return Create(name) is { } created ? _byName.GetOrAdd(name, created) : null;
        }

        private PropertyPlan? Create(string name)
        {
            if (name.Length == 0 || name[0] == '_') return null;
            if (mapping.FindMappedElementByName(name) is { } property)
            {
                if (property.Choice == ChoiceType.DatatypeChoice) return null; // a choice element needs its type in its name
                // An abstract type (Meta.profile's PrimitiveType) stands for the one FHIR type it allows (canonical), as in
                // Firely's reader; a Resource's type is named by its resourceType. Any other abstract type is left to Firely.
                var type = property.ImplementingType is { IsAbstract: true } && property.FhirType is [{ IsAbstract: false } only] ? only : property.ImplementingType;
                Func<IList>? newList = null;
                if (property.IsCollection && (newList = ListOf(property)) is null) return null;
                return Inspector.FindOrImportClassMapping(type) is { } value && (value.IsResource || !value.NativeType.IsAbstract)
                    ? new(property.Name, value, newList, IndexOf(property.Name), Checks?.Property(property.Name))
                    : null;
            }
            if (mapping.FindMappedElementByChoiceName(name) is { Choice: ChoiceType.DatatypeChoice } choice && name.Length > choice.Name.Length)
                return Inspector.FindClassMapping(name[choice.Name.Length..]) is { NativeType.IsAbstract: false } typed && !choice.IsCollection
                    ? new(choice.Name, typed, null, IndexOf(choice.Name), Checks?.Property(choice.Name))
                    : null;
            return null;
        }

        private int IndexOf(string element) => _indexes[element];

        // The list the model's property holds (List<PrimitiveType> for Meta.profile), as Firely's reader fills.
        private static Func<IList>? ListOf(PropertyMapping property) =>
            property.PropertyType is { IsAbstract: false, IsGenericType: true } list && typeof(IList).IsAssignableFrom(list) && list.GetConstructor(Type.EmptyTypes) is not null
                ? Expression.Lambda<Func<IList>>(Expression.Convert(Expression.New(list), typeof(IList))).Compile()
                : null;
    }
}
