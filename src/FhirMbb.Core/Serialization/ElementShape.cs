using System.Collections;
using System.Collections.Concurrent;
using Expression = System.Linq.Expressions.Expression;
using System.Reflection;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Serialization;

/// <summary>
/// The elements of a model type in the order <see cref="Base.EnumerateElements"/> gives them, each read straight from its
/// field. EnumerateElements allocates an iterator per object and, for any element, the dictionary that holds elements
/// the model does not know; walking a resource's tree that way was much of the cost of writing it as JSON. A walk over a
/// shape yields the same names and values (tested on every Synthea resource), as long as the object holds nothing the
/// model does not know (<see cref="Base.HasOverflow"/>): that case is the caller's to refuse.
/// </summary>
internal sealed class ElementShape
{
    private static readonly ConcurrentDictionary<Type, ElementShape?> Shapes = new();

    /// <summary>One element: its name, how to read it, whether it holds a list.</summary>
    public sealed record Element(string Name, PropertyMapping Mapping, Func<Base, object?> Read, bool IsList);

    public ClassMapping Mapping { get; }
    public Element[] Elements { get; }

    private ElementShape(ClassMapping mapping, Element[] elements)
    {
        Mapping = mapping;
        Elements = elements;
    }

    /// <summary>The shape of a model type; null for one the model does not map or whose elements are not all properties.</summary>
    public static ElementShape? Of(Type type) =>
        Shapes.TryGetValue(type, out var shape) ? shape : Shapes.GetOrAdd(type, static t => Build(t));

    private static readonly Func<Base, object?> ElementExtensions = Reader(typeof(Hl7.Fhir.Model.Element), typeof(Hl7.Fhir.Model.Element).GetProperty(nameof(Hl7.Fhir.Model.Element.Extension))!);

    /// <summary>Whether an element (a primitive, say) has extensions, without the empty list reading Element.Extension makes.</summary>
    public static bool HasExtensions(Hl7.Fhir.Model.Element element) => ElementExtensions(element) is IList { Count: > 0 };

    /// <summary>A primitive that is only its value: no id, no extensions (looked at without making an empty list).</summary>
    public static bool IsBare(PrimitiveType primitive) => primitive.ElementId is null && !HasExtensions(primitive);

    /// <summary>A present value of an element: null for a missing element or an empty list, as EnumerateElements skips both.</summary>
    public static object? Present(Element element, Base node)
    {
        var value = element.Read(node);
        return element.IsList && value is IList { Count: 0 } ? null : value;
    }

    private static ElementShape? Build(Type type)
    {
        if (ModelInfo.ModelInspector.FindOrImportClassMapping(type) is not { } mapping) return null;
        var elements = new List<(int Order, Element Element)>();
        foreach (var property in mapping.PropertyMappings)
        {
            if (property.NativeProperty is not { } native || property.Order is not { } order) return null;
            elements.Add((order, new Element(property.Name, property, Reader(type, native), property.IsCollection)));
        }
        return new ElementShape(mapping, elements.OrderBy(e => e.Order).Select(e => e.Element).ToArray());
    }

    /// <summary>
    /// Reads a property of <paramref name="type"/> (or a subtype) from its backing field where it has one (the model's list
    /// properties make an empty list when read), else through the property itself.
    /// </summary>
    public static Func<Base, object?> Reader(Type type, PropertyInfo property)
    {
        var node = Expression.Parameter(typeof(Base), "node");
        var typed = Expression.Convert(node, type);
        var field = FieldOf(type, "_" + property.Name);
        Expression read = field is not null && field.FieldType == property.PropertyType
            ? Expression.Field(typed, field)
            : Expression.Property(typed, property);
        return Expression.Lambda<Func<Base, object?>>(Expression.Convert(read, typeof(object)), node).Compile();
    }

    private static FieldInfo? FieldOf(Type type, string name)
    {
        for (var t = type; t is not null; t = t.BaseType)
            if (t.GetField(name, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.DeclaredOnly) is { } field)
                return field;
        return null;
    }
}
