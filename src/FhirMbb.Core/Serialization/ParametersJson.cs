using System.Text.Json;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Serialization;

/// <summary>
/// Writes the Parameters the server's operations answer with ($evaluate-block's among them) straight to JSON, byte for
/// byte as Firely's serializer does (tested equal), for the few shapes they use: named parameters and parts whose values
/// are plain code, string, boolean, integer, decimal, Coding, Reference or CodeableConcept (with extensions holding a
/// CodeableConcept). Firely's general serializer was ~10% of an $evaluate-block call. <see cref="CanWrite"/> refuses any
/// other shape (an id, meta, an extension elsewhere, a resource, another type), which Firely then writes.
/// </summary>
internal static class ParametersJson
{
    // A CodeableConcept in an extension of a CodeableConcept is as deep as the shapes go.
    private const int MaxConceptDepth = 2;

    private static readonly HashSet<Type> PlainTypes = [typeof(Code), typeof(FhirString), typeof(FhirBoolean), typeof(Integer), typeof(FhirDecimal)];

    public static bool CanWrite(Parameters parameters) =>
        parameters.Id is null && parameters.Meta is null && parameters.ImplicitRulesElement is null && parameters.LanguageElement is null
        && parameters.Parameter.All(CanWrite);

    private static bool CanWrite(Parameters.ParameterComponent parameter) =>
        parameter.ElementId is null && parameter.Extension.Count == 0 && parameter.ModifierExtension.Count == 0
        && Plain(parameter.NameElement) && parameter.Resource is null
        && (parameter.Value is null || CanWriteValue(parameter.Value))
        && parameter.Part.All(CanWrite);

    private static bool CanWriteValue(DataType value) => value switch
    {
        // Exactly these types: a subclass (Code<T>, ...) is left to Firely.
        PrimitiveType primitive when PlainTypes.Contains(value.GetType()) => Plain(primitive),
        Coding coding => CanWrite(coding),
        ResourceReference reference => (reference.Reference ?? reference.Display) is not null && reference.ElementId is null && reference.Extension.Count == 0 && reference.Type is null
            && reference.Identifier is null && PlainOrNull(reference.ReferenceElement) && PlainOrNull(reference.DisplayElement),
        CodeableConcept concept => CanWrite(concept, 0),
        _ => false,
    };

    // Firely leaves out an element with nothing in it; these shapes never have one, so one is refused rather than written.
    private static bool CanWrite(Coding coding) =>
        (coding.System ?? coding.Code ?? coding.Display) is not null
        && coding.ElementId is null && coding.Extension.Count == 0 && coding.VersionElement is null && coding.UserSelectedElement is null
        && PlainOrNull(coding.SystemElement) && PlainOrNull(coding.CodeElement) && PlainOrNull(coding.DisplayElement);

    private static bool CanWrite(CodeableConcept concept, int depth) =>
        (concept.Coding.Count > 0 || concept.Text is not null) && concept.ElementId is null && PlainOrNull(concept.TextElement) && concept.Coding.All(CanWrite)
        && concept.Extension.All(e => e.ElementId is null && e.Extension.Count == 0 && e.Url is not null
            && depth < MaxConceptDepth && e.Value is CodeableConcept inner && CanWrite(inner, depth + 1));

    private static bool Plain(PrimitiveType? primitive) =>
        primitive is not null && primitive.JsonValue is not null and not "" && primitive.ElementId is null && primitive.Extension.Count == 0;

    private static bool PlainOrNull(PrimitiveType? primitive) => primitive is null || Plain(primitive);

    /// <summary>Writes what <see cref="CanWrite(Parameters)"/> accepted.</summary>
    public static void Write(Parameters parameters, Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("resourceType", "Parameters");
        WriteParameters("parameter", parameters.Parameter, w);
        w.WriteEndObject();
    }

    private static void WriteParameters(string name, List<Parameters.ParameterComponent> list, Utf8JsonWriter w)
    {
        if (list.Count == 0) return;
        w.WriteStartArray(name);
        foreach (var parameter in list)
        {
            w.WriteStartObject();
            w.WriteString("name", parameter.Name);
            if (parameter.Value is { } value) WriteValue(value, w);
            WriteParameters("part", parameter.Part, w);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteValue(DataType value, Utf8JsonWriter w)
    {
        switch (value)
        {
            case Code code:
                w.WriteString("valueCode", code.Value);
                break;
            case FhirString text:
                w.WriteString("valueString", text.Value);
                break;
            case FhirBoolean flag:
                w.WriteBoolean("valueBoolean", flag.Value!.Value);
                break;
            case Integer integer:
                w.WriteNumber("valueInteger", integer.Value!.Value);
                break;
            case FhirDecimal number:
                w.WriteNumber("valueDecimal", number.Value!.Value);
                break;
            case Coding coding:
                w.WritePropertyName("valueCoding");
                WriteCoding(coding, w);
                break;
            case ResourceReference reference:
                w.WriteStartObject("valueReference");
                if (reference.Reference is { } target) w.WriteString("reference", target);
                if (reference.Display is { } display) w.WriteString("display", display);
                w.WriteEndObject();
                break;
            case CodeableConcept concept:
                w.WritePropertyName("valueCodeableConcept");
                WriteConcept(concept, w);
                break;
            default:
                throw new InvalidOperationException($"ParametersJson.CanWrite accepted a {value.TypeName}");
        }
    }

    private static void WriteCoding(Coding coding, Utf8JsonWriter w)
    {
        w.WriteStartObject();
        if (coding.System is { } system) w.WriteString("system", system);
        if (coding.Code is { } code) w.WriteString("code", code);
        if (coding.Display is { } display) w.WriteString("display", display);
        w.WriteEndObject();
    }

    private static void WriteConcept(CodeableConcept concept, Utf8JsonWriter w)
    {
        w.WriteStartObject();
        if (concept.Extension.Count > 0)
        {
            w.WriteStartArray("extension");
            foreach (var extension in concept.Extension)
            {
                w.WriteStartObject();
                w.WriteString("url", extension.Url);
                w.WritePropertyName("valueCodeableConcept");
                WriteConcept((CodeableConcept)extension.Value!, w);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (concept.Coding.Count > 0)
        {
            w.WriteStartArray("coding");
            foreach (var coding in concept.Coding) WriteCoding(coding, w);
            w.WriteEndArray();
        }
        if (concept.Text is { } text) w.WriteString("text", text);
        w.WriteEndObject();
    }
}
