using System.Collections;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace FhirMbb.Core.Patch;

/// <summary>
/// FHIRPath Patch (FHIR R4 fhirpatch.html) applied to a Firely POCO. Paths are selected with
/// Firely's FHIRPath engine; the selected nodes carry their parent POCO, element name and list
/// index, and changes go through <see cref="Base.SetValue"/> and the element lists, checked
/// against the <see cref="ModelInspector"/> mappings so a value can only land where its type fits.
/// A malformed Parameters body is a 400; an operation that cannot be applied is a 422.
/// </summary>
public static class FhirPathPatch
{
    private static readonly FhirPathCompiler Compiler =
        new(new SymbolTable().AddStandardFP().AddFhirExtensions());

    // Paths come from clients, so the cache is bounded (Firely's cache evicts beyond its size).
    private static readonly FhirPathCompilerCache Expressions = new(Compiler, 1000);

    private static ModelInspector Inspector => ModelInfo.ModelInspector;

    /// <summary>
    /// Applies a FHIRPath Patch (a Parameters resource) to a copy of <paramref name="resource"/> and
    /// returns the copy; the input is never modified, so a failure halfway leaves nothing changed.
    /// </summary>
    public static Resource Apply(Resource resource, Resource patch)
    {
        if (patch is not Parameters parameters)
            throw FhirOperationException.BadRequest($"A FHIRPath Patch body must be a Parameters resource, not {patch.TypeName}.");
        return Apply(resource, Parse(parameters));
    }

    /// <summary>Applies already parsed operations, in order, to a copy of the resource.</summary>
    public static Resource Apply(Resource resource, IReadOnlyList<FhirPathPatchOperation> operations)
    {
        var working = (Resource)resource.DeepCopy();
        foreach (var op in operations)
            ApplyOne(working, op);
        return working;
    }

    /// <summary>Reads and checks every operation of the Parameters; any shape problem is a 400.</summary>
    public static IReadOnlyList<FhirPathPatchOperation> Parse(Parameters patch)
    {
        var operations = new List<FhirPathPatchOperation>(patch.Parameter.Count);
        for (var i = 0; i < patch.Parameter.Count; i++)
            operations.Add(ParseOperation(i, patch.Parameter[i]));
        return operations;
    }

    private static FhirPathPatchOperation ParseOperation(int ordinal, Parameters.ParameterComponent parameter)
    {
        if (parameter.Name != "operation")
            throw Malformed(ordinal, $"expected a parameter named 'operation', found '{parameter.Name}'");
        if (parameter.Value is not null || parameter.Resource is not null)
            throw Malformed(ordinal, "an operation carries its details in parts, not in a value");

        var parts = new Dictionary<string, Parameters.ParameterComponent>();
        foreach (var part in parameter.Part)
        {
            if (part.Name is not ("type" or "path" or "name" or "value" or "index" or "source" or "destination"))
                throw Malformed(ordinal, $"unknown part '{part.Name}'");
            if (!parts.TryAdd(part.Name, part))
                throw Malformed(ordinal, $"part '{part.Name}' appears more than once");
        }

        var typeText = Text(ordinal, parts, "type") ?? throw Malformed(ordinal, "missing part 'type'");
        FhirPathPatchType type = typeText switch
        {
            "add" => FhirPathPatchType.Add,
            "insert" => FhirPathPatchType.Insert,
            "delete" => FhirPathPatchType.Delete,
            "replace" => FhirPathPatchType.Replace,
            "move" => FhirPathPatchType.Move,
            _ => throw Malformed(ordinal, $"unknown type '{typeText}' (expected add, insert, delete, replace or move)"),
        };

        var path = Text(ordinal, parts, "path");
        if (string.IsNullOrWhiteSpace(path))
            throw Malformed(ordinal, "missing part 'path'");
        Compile(ordinal, path);

        var name = Text(ordinal, parts, "name");
        parts.TryGetValue("value", out var value);
        if (value is not null && value.Value is null && value.Resource is null && value.Part.Count == 0)
            throw Malformed(ordinal, "part 'value' has no value, resource or parts");
        var index = Integer(ordinal, parts, "index");
        var source = Integer(ordinal, parts, "source");
        var destination = Integer(ordinal, parts, "destination");

        // Each type has its own required parts (the table in fhirpatch.html).
        switch (type)
        {
            case FhirPathPatchType.Add when string.IsNullOrEmpty(name):
                throw Malformed(ordinal, "add requires part 'name'");
            case FhirPathPatchType.Add or FhirPathPatchType.Insert or FhirPathPatchType.Replace when value is null:
                throw Malformed(ordinal, $"{typeText} requires part 'value'");
            case FhirPathPatchType.Insert when index is null:
                throw Malformed(ordinal, "insert requires part 'index'");
            case FhirPathPatchType.Move when source is null || destination is null:
                throw Malformed(ordinal, "move requires parts 'source' and 'destination'");
        }

        return new FhirPathPatchOperation(ordinal, type, path, name, value, index, source, destination);
    }

    private static string? Text(int ordinal, Dictionary<string, Parameters.ParameterComponent> parts, string name)
    {
        if (!parts.TryGetValue(name, out var part))
            return null;
        if (part.Value is PrimitiveType { JsonValue: string text })
            return text;
        throw Malformed(ordinal, $"part '{name}' must have a string or code value");
    }

    private static int? Integer(int ordinal, Dictionary<string, Parameters.ParameterComponent> parts, string name)
    {
        if (!parts.TryGetValue(name, out var part))
            return null;
        if (part.Value is PrimitiveType { JsonValue: int number } && number >= 0)
            return number;
        throw Malformed(ordinal, $"part '{name}' must be a non-negative integer");
    }

    private static CompiledExpression Compile(int ordinal, string path)
    {
        try
        {
            return Expressions.GetCompiledExpression(path);
        }
        catch (Exception e) when (e is not FhirOperationException)
        {
            throw Malformed(ordinal, $"path '{path}' is not a valid FHIRPath expression: {e.Message}");
        }
    }

    private static void ApplyOne(Resource resource, FhirPathPatchOperation op)
    {
        var selected = Select(resource, op, Compile(op.Ordinal, op.Path));
        try
        {
            Dispatch(resource, op, selected);
        }
        catch (Exception e) when (e is Hl7.Fhir.Validation.CodedValidationException or ArgumentException or InvalidCastException)
        {
            // The type checks above should prevent these; if the model still refuses a value, the client hears why.
            throw Failed(op, $"the value does not fit: {e.Message}");
        }
    }

    private static void Dispatch(Resource resource, FhirPathPatchOperation op, List<PocoNode> selected)
    {
        switch (op.Type)
        {
            case FhirPathPatchType.Add:
                Add(resource, op, selected);
                break;
            case FhirPathPatchType.Insert:
                Insert(resource, op, selected);
                break;
            case FhirPathPatchType.Delete:
                Delete(resource, op, selected);
                break;
            case FhirPathPatchType.Replace:
                Replace(resource, op, selected);
                break;
            case FhirPathPatchType.Move:
                Move(resource, op, selected);
                break;
        }
    }

    private static List<PocoNode> Select(Resource resource, FhirPathPatchOperation op, CompiledExpression expression)
    {
        // A fresh node tree per operation: earlier operations may have changed the POCOs.
        var root = resource.ToPocoNode(Inspector);
        try
        {
            return expression([root], new EvaluationContext()).ToList();
        }
        catch (Exception e) when (e is not FhirOperationException)
        {
            throw Failed(op, $"evaluating path '{op.Path}' failed: {e.Message}");
        }
    }

    /// <summary>Where a selected element lives: its parent POCO, the element's mapping, and its list position if it repeats.</summary>
    private sealed record Location(Base Parent, PropertyMapping Element, int? ListIndex)
    {
        public string Describe() => $"{Parent.TypeName}.{Element.Name}";
    }

    private static Location Locate(Resource resource, FhirPathPatchOperation op, PocoNode node)
    {
        if (ReferenceEquals(node.Poco, resource))
            throw Failed(op, "the path selects the resource itself, which cannot be changed by a patch");
        var parent = node.Parent?.Poco
            ?? throw Failed(op, $"path '{op.Path}' selects a computed value, not an element of the resource");
        var element = Mapping(parent).FindMappedElementByName(node.Name)
            ?? throw Failed(op, $"'{node.Name}' is not a known element of {parent.TypeName}");
        GuardIdentity(resource, op, parent, element);
        if (element.IsCollection && node.Index is null)
            throw Failed(op, $"path '{op.Path}' selects {parent.TypeName}.{element.Name} without a position in its list");
        return new Location(parent, element, element.IsCollection ? node.Index : null);
    }

    // The resource's own id is its address; a patch must not move the resource.
    private static void GuardIdentity(Resource resource, FhirPathPatchOperation op, Base parent, PropertyMapping element)
    {
        if (ReferenceEquals(parent, resource) && element.Name == "id")
            throw Failed(op, "a patch cannot change the resource's id");
    }

    private static PocoNode Single(FhirPathPatchOperation op, List<PocoNode> selected)
    {
        if (selected.Count == 0)
            throw Failed(op, $"path '{op.Path}' matches nothing");
        if (selected.Count > 1)
            throw Failed(op, $"path '{op.Path}' matches {selected.Count} elements; it must match exactly one");
        return selected[0];
    }

    private static void Add(Resource resource, FhirPathPatchOperation op, List<PocoNode> selected)
    {
        var node = Single(op, selected);
        var container = node.Poco;
        if (container is PrimitiveType && node.Parent is null)
            throw Failed(op, $"path '{op.Path}' selects a computed value, not an element that can contain '{op.Name}'");
        var mapping = Mapping(container);
        var element = mapping.FindMappedElementByName(op.Name!) ?? mapping.FindMappedElementByChoiceName(op.Name!)
            ?? throw Failed(op, $"{container.TypeName} has no element named '{op.Name}'");
        GuardIdentity(resource, op, container, element);

        var value = Materialize(op, op.Value!, element, $"{container.TypeName}.{element.Name}");
        // A typed choice name ("valueInteger") also fixes the type, not just the element.
        if (element.Name != op.Name && !string.Equals(op.Name, element.Name + value.TypeName, StringComparison.OrdinalIgnoreCase))
            throw Failed(op, $"'{op.Name}' does not match the value's type {value.TypeName}");
        if (element.IsCollection)
        {
            List(container, element).Add(value);
            return;
        }
        if (container.TryGetValue(element.Name, out var existing) && existing is not null)
            throw Failed(op, $"{container.TypeName}.{element.Name} already has a value; use replace to change it");
        container.SetValue(element.Name, value);
    }

    private static void Insert(Resource resource, FhirPathPatchOperation op, List<PocoNode> selected)
    {
        var (location, list) = ResolveList(resource, op, selected);
        if (op.Index!.Value > list.Count)
            throw Failed(op, $"index {op.Index} is outside {location.Describe()}, which has {list.Count} item(s)");
        list.Insert(op.Index.Value, Materialize(op, op.Value!, location.Element, location.Describe()));
    }

    private static void Delete(Resource resource, FhirPathPatchOperation op, List<PocoNode> selected)
    {
        // Deleting something that is not there is explicitly not an error.
        if (selected.Count == 0)
            return;
        var node = Single(op, selected);
        var location = Locate(resource, op, node);
        if (location.ListIndex is { } at)
            List(location.Parent, location.Element).RemoveAt(at);
        else
            location.Parent.SetValue(location.Element.Name, null);
    }

    private static void Replace(Resource resource, FhirPathPatchOperation op, List<PocoNode> selected)
    {
        var node = Single(op, selected);
        var location = Locate(resource, op, node);
        var value = Materialize(op, op.Value!, location.Element, location.Describe());
        if (location.ListIndex is { } at)
            List(location.Parent, location.Element)[at] = value;
        else
            location.Parent.SetValue(location.Element.Name, value);
    }

    private static void Move(Resource resource, FhirPathPatchOperation op, List<PocoNode> selected)
    {
        var (location, list) = ResolveList(resource, op, selected);
        foreach (var (part, index) in new[] { ("source", op.Source!.Value), ("destination", op.Destination!.Value) })
        {
            if (index >= list.Count)
                throw Failed(op, $"{part} {index} is outside {location.Describe()}, which has {list.Count} item(s)");
        }
        var item = list[op.Source!.Value];
        list.RemoveAt(op.Source.Value);
        list.Insert(op.Destination!.Value, item);
    }

    /// <summary>
    /// For insert and move the path names a list. All selected items must belong to one list; when
    /// the list is empty nothing is selected, so the path's last step is resolved on its parent.
    /// </summary>
    private static (Location Location, IList List) ResolveList(Resource resource, FhirPathPatchOperation op, List<PocoNode> selected)
    {
        Location location;
        if (selected.Count == 0)
        {
            location = EmptyListLocation(resource, op);
        }
        else
        {
            location = Locate(resource, op, selected[0]);
            foreach (var other in selected.Skip(1))
            {
                if (!ReferenceEquals(other.Parent?.Poco, location.Parent) || other.Name != location.Element.Name)
                    throw Failed(op, $"path '{op.Path}' matches elements of more than one list; it must identify a single list");
            }
        }
        if (!location.Element.IsCollection)
            throw Failed(op, $"{location.Describe()} is not a list, so it cannot be used with {op.TypeName}");
        return (location, List(location.Parent, location.Element));
    }

    private static Location EmptyListLocation(Resource resource, FhirPathPatchOperation op)
    {
        Hl7.FhirPath.Expressions.Expression parsed;
        try
        {
            parsed = Compiler.Parse(op.Path);
        }
        catch (Exception e) when (e is not FhirOperationException)
        {
            throw Malformed(op.Ordinal, $"path '{op.Path}' is not a valid FHIRPath expression: {e.Message}");
        }
        if (parsed is not ChildExpression { Focus: { } focus } child)
            throw Failed(op, $"path '{op.Path}' matches nothing");

        // Rare path (inserting into an empty list), so the parent expression is compiled without caching.
        var parents = Select(resource, op, Compiler.Compile(focus));
        if (parents.Count != 1)
            throw Failed(op, $"path '{op.Path}' matches nothing, and its parent matches {parents.Count} elements instead of one");
        var parent = parents[0].Poco;
        var element = Mapping(parent).FindMappedElementByName(child.ChildName)
            ?? throw Failed(op, $"{parent.TypeName} has no element named '{child.ChildName}'");
        GuardIdentity(resource, op, parent, element);
        return new Location(parent, element, null);
    }

    private static ClassMapping Mapping(Base poco) =>
        Inspector.FindOrImportClassMapping(poco.GetType())
        ?? throw new InvalidOperationException($"No class mapping for {poco.GetType()}.");

    /// <summary>The element's typed list, created and attached when it is still empty.</summary>
    private static IList List(Base parent, PropertyMapping element)
    {
        if (parent.TryGetValue(element.Name, out var existing) && existing is IList list)
            return list;
        var created = Inspector.FindOrImportClassMapping(element.ImplementingType)!.CreateList();
        parent.SetValue(element.Name, created);
        return created;
    }

    /// <summary>Turns a <c>value</c> part (value[x], resource, or nested parts) into a POCO that fits <paramref name="element"/>.</summary>
    private static Base Materialize(FhirPathPatchOperation op, Parameters.ParameterComponent part, PropertyMapping element, string where)
    {
        if (part.Value is not null && part.Resource is not null)
            throw Malformed(op.Ordinal, $"part '{part.Name}' has both a value and a resource");
        Base? given = (Base?)part.Value ?? part.Resource;
        if (given is not null)
        {
            if (part.Part.Count > 0)
                throw Malformed(op.Ordinal, $"part '{part.Name}' has both a value and nested parts");
            return Fit(op, given, element, where);
        }
        if (part.Part.Count == 0)
            throw Malformed(op.Ordinal, $"part '{part.Name}' has no value");
        if (element.Choice != ChoiceType.None)
            throw Failed(op, $"{where} is a choice element; give its value as a value[x], not as parts");

        var mapping = Inspector.FindOrImportClassMapping(element.ImplementingType)!;
        if (mapping.IsFhirPrimitive || mapping.IsResource)
            throw Failed(op, $"{where} is a {mapping.Name}; give it as a value[x] or resource, not as parts");
        return Build(op, mapping, part.Part, where);
    }

    private static Base Build(FhirPathPatchOperation op, ClassMapping mapping, IEnumerable<Parameters.ParameterComponent> parts, string where)
    {
        var instance = mapping.CreateInstance();
        foreach (var part in parts)
        {
            var element = mapping.FindMappedElementByName(part.Name ?? "") ?? mapping.FindMappedElementByChoiceName(part.Name ?? "")
                ?? throw Failed(op, $"'{part.Name}' is not an element of {where} ({mapping.Name})");
            var child = Materialize(op, part, element, $"{where}.{element.Name}");
            if (element.IsCollection)
            {
                List(instance, element).Add(child);
                continue;
            }
            if (instance.TryGetValue(element.Name, out var existing) && existing is not null)
                throw Failed(op, $"{where}.{element.Name} is given more than once but does not repeat");
            instance.SetValue(element.Name, child);
        }
        return instance;
    }

    /// <summary>
    /// Checks that a value may stand in <paramref name="element"/> and returns a private copy of it.
    /// Exact types (or an allowed choice type) pass; a primitive of the same underlying kind is
    /// converted (string to markdown or code, integer to positiveInt), and a code destined for a
    /// bound enumeration must be one of its codes.
    /// </summary>
    private static Base Fit(FhirPathPatchOperation op, Base value, PropertyMapping element, string where)
    {
        var target = element.ImplementingType;
        var allowed = element.Choice == ChoiceType.DatatypeChoice ? element.FhirType : [target];
        if (allowed.Any(t => t.IsInstanceOfType(value)))
            return value.DeepCopy();

        if (element.Choice == ChoiceType.None && value is PrimitiveType primitive && typeof(PrimitiveType).IsAssignableFrom(target))
        {
            if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(Code<>) && primitive.JsonValue is string code)
            {
                var enumType = target.GetGenericArguments()[0];
                if (EnumUtility.ParseLiteral(code, enumType, false) is null)
                    throw Failed(op, $"'{code}' is not a valid code for {where}");
                return Convert(primitive, target);
            }
            if (StringKinds.Contains(target) && StringKinds.Contains(value.GetType()))
                return Convert(primitive, target);
            if (IntegerKinds.Contains(target) && IntegerKinds.Contains(value.GetType()))
                return Convert(primitive, target);
        }

        var expected = string.Join(", ", element.FhirTypeMappings.Select(m => m.Name));
        throw Failed(op, $"a value of type {value.TypeName} cannot be used for {where}, which expects {expected}");
    }

    // Primitives whose JSON value is a plain string, and those whose value is an int.
    private static readonly HashSet<Type> StringKinds =
        [typeof(FhirString), typeof(Markdown), typeof(Code), typeof(Id), typeof(FhirUri), typeof(FhirUrl), typeof(Canonical), typeof(Oid), typeof(Uuid)];

    private static readonly HashSet<Type> IntegerKinds = [typeof(Integer), typeof(PositiveInt), typeof(UnsignedInt)];

    private static Base Convert(PrimitiveType source, Type target)
    {
        var converted = (PrimitiveType)Inspector.FindOrImportClassMapping(target)!.CreateInstance();
        converted.JsonValue = source.JsonValue;
        converted.ElementId = source.ElementId;
        converted.Extension.AddRange(source.Extension.Select(e => (Extension)e.DeepCopy()));
        return converted;
    }

    private static FhirOperationException Malformed(int ordinal, string message) =>
        FhirOperationException.BadRequest($"FHIRPath Patch operation {ordinal}: {message}.");

    private static FhirOperationException Failed(FhirPathPatchOperation op, string message) =>
        FhirOperationException.Unprocessable($"FHIRPath Patch operation {op.Ordinal} ({op.TypeName}): {message}.");
}
