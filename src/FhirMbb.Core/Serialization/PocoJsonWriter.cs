using System.Collections.Concurrent;
using System.Text.Json;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Serialization;

/// <summary>
/// Writes a resource as compact FHIR JSON, byte for byte what Firely's serializer writes (tested equal on every Synthea
/// resource), for the shapes a parsed resource usually has. Firely's serializer looks up each property's mapping and its
/// encoded name in shared dictionaries and runs every value through a writer that postpones and prunes empty
/// structures: on a transaction of Synthea resources that was an eighth of the server's time. Here each type's
/// elements are read straight from their fields (<see cref="ElementShape"/>), names are encoded once, and a value is
/// written when it is met.
/// </summary>
/// <remarks>
/// <see cref="TryWrite"/> gives up (false, with part of the resource written) on anything whose output it does not
/// decide the same way for certain: an element the model does not know (overflow), a primitive with an id or
/// extensions or without a value, a null or an empty list, a structure that would be empty (Firely drops it), base64
/// data (Firely decodes and encodes it again), a value of a .NET type other than string, boolean, int or decimal. The
/// caller then starts again with Firely's serializer.
/// </remarks>
internal static class PocoJsonWriter
{
    private static readonly JsonEncodedText ResourceType = JsonEncodedText.Encode("resourceType");
    private static readonly ConcurrentDictionary<Type, TypePlan?> Plans = new();

    /// <summary>
    /// Writes <paramref name="node"/>, a resource or a complex value (a CodeableConcept, say; not a primitive); false when
    /// it met a shape it leaves to Firely (see remarks).
    /// </summary>
    public static bool TryWrite(Base node, Utf8JsonWriter writer) => WriteObject(node, writer);

    private static bool WriteObject(Base node, Utf8JsonWriter writer)
    {
        if (node.HasOverflow || node is PrimitiveType || PlanFor(node.GetType()) is not { } plan) return false;
        writer.WriteStartObject();
        var written = false;
        if (node is Resource resource)
        {
            if (resource is DynamicResource) return false;
            writer.WriteString(ResourceType, resource.TypeName);
            written = true;
        }
        foreach (var property in plan.Properties)
        {
            switch (ElementShape.Present(property.Element, node))
            {
                case null:
                    continue;
                case PrimitiveType primitive:
                    if (!IsPlain(primitive)) return false;
                    writer.WritePropertyName(property.NameFor(primitive));
                    if (!WriteValue(primitive, writer)) return false;
                    break;
                case IReadOnlyList<PrimitiveType?> primitives:
                    if (property.IsChoice) return false;
                    writer.WriteStartArray(property.Name);
                    foreach (var item in primitives)
                        if (item is null || !IsPlain(item) || !WriteValue(item, writer)) return false;
                    writer.WriteEndArray();
                    break;
                case IReadOnlyList<Base?> children:
                    if (property.IsChoice) return false;
                    writer.WriteStartArray(property.Name);
                    foreach (var child in children)
                        if (child is null || !WriteObject(child, writer)) return false;
                    writer.WriteEndArray();
                    break;
                case Base child:
                    writer.WritePropertyName(property.NameFor(child));
                    if (!WriteObject(child, writer)) return false;
                    break;
                default:
                    return false;
            }
            written = true;
        }
        if (!written) return false;
        writer.WriteEndObject();
        return true;
    }

    // A value alone: Firely writes it as the property's value and writes no "_name" beside it.
    private static bool IsPlain(PrimitiveType primitive) =>
        ElementShape.IsBare(primitive) && !primitive.HasOverflow && primitive is not Base64Binary;

    private static bool WriteValue(PrimitiveType primitive, Utf8JsonWriter writer)
    {
        switch (primitive.JsonValue)
        {
            case string text: writer.WriteStringValue(text); return true;
            case bool flag: writer.WriteBooleanValue(flag); return true;
            case int number: writer.WriteNumberValue(number); return true;
            case decimal number: writer.WriteNumberValue(number); return true;
            default: return false;
        }
    }

    private static TypePlan? PlanFor(Type type) =>
        Plans.TryGetValue(type, out var plan) ? plan : Plans.GetOrAdd(type, static t => ElementShape.Of(t) is { } shape ? new TypePlan(shape) : null);

    /// <summary>A type's elements in the order Firely writes them (<see cref="ElementShape"/>), each with its encoded name.</summary>
    private sealed class TypePlan(ElementShape shape)
    {
        public PropertyPlan[] Properties { get; } = shape.Elements.Select(e => new PropertyPlan(e)).ToArray();
    }

    private sealed class PropertyPlan(ElementShape.Element element)
    {
        public ElementShape.Element Element { get; } = element;
        public JsonEncodedText Name { get; } = JsonEncodedText.Encode(element.Name);
        public bool IsChoice { get; } = element.Mapping.Choice == ChoiceType.DatatypeChoice;

        // A choice element's name ends with its value's type: value + Quantity.
        private readonly ConcurrentDictionary<string, JsonEncodedText> _byType = new(StringComparer.Ordinal);

        public JsonEncodedText NameFor(Base value)
        {
            if (!IsChoice) return Name;
            var type = value.TypeName;
            return _byType.TryGetValue(type, out var encoded)
                ? encoded
                : _byType.GetOrAdd(type, t => JsonEncodedText.Encode(Element.Name + char.ToUpperInvariant(t[0]) + t[1..]));
        }
    }
}
