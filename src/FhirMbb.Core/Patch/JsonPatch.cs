using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FhirMbb.Core.Patch;

public enum JsonPatchOperationType { Add, Remove, Replace, Move, Copy, Test }

/// <summary>One parsed RFC 6902 operation; <see cref="Index"/> is its position in the patch array, for messages.</summary>
public sealed record JsonPatchOperation(int Index, JsonPatchOperationType Op, JsonPointer Path, JsonPointer? From, JsonNode? Value)
{
    public string OpName => Op.ToString().ToLowerInvariant();
}

/// <summary>
/// RFC 6902 JSON Patch over a resource's JSON. A malformed patch document is a 400; a patch that is
/// well formed but cannot be applied to this resource (missing path, failed test) is a 422.
/// The resource's resourceType and id are off limits, so a patch can never move a resource.
/// </summary>
public static class JsonPatch
{
    public const string MediaType = "application/json-patch+json";

    /// <summary>Whether a Content-Type (parameters such as charset allowed) names JSON Patch.</summary>
    public static bool IsMediaType(string? contentType) =>
        contentType is not null && contentType.AsSpan(0, contentType.IndexOf(';') is >= 0 and var semicolon ? semicolon : contentType.Length)
            .Trim().Equals(MediaType, StringComparison.OrdinalIgnoreCase);

    // Same encoder as the serializer: FHIR JSON is never embedded in HTML here.
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Applies <paramref name="patchJson"/> to <paramref name="resourceJson"/> and returns the patched JSON (UTF-8).</summary>
    public static byte[] Apply(ReadOnlySpan<byte> resourceJson, ReadOnlySpan<byte> patchJson)
    {
        var operations = Parse(patchJson);
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(resourceJson);
        }
        catch (JsonException e)
        {
            throw FhirOperationException.BadRequest($"The resource is not valid JSON: {e.Message}");
        }
        if (document is not JsonObject resource)
            throw FhirOperationException.BadRequest("The resource JSON must be an object.");

        Apply(resource, operations);

        var buffer = new ArrayBufferWriter<byte>(resourceJson.Length + 256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            resource.WriteTo(writer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Applies parsed operations in order, in place. Throws on the first one that fails.</summary>
    public static void Apply(JsonObject resource, IReadOnlyList<JsonPatchOperation> operations)
    {
        var resourceType = resource["resourceType"]?.DeepClone();
        var id = resource["id"]?.DeepClone();

        foreach (var op in operations)
            ApplyOne(resource, op);

        // Belt and braces: whatever path the operations took, identity must be unchanged.
        if (!JsonNode.DeepEquals(resourceType, resource["resourceType"]) || !JsonNode.DeepEquals(id, resource["id"]))
            throw FhirOperationException.Unprocessable("A patch cannot change the resource's resourceType or id.");
    }

    /// <summary>Parses and checks the shape of a patch document; every problem here is a 400.</summary>
    public static IReadOnlyList<JsonPatchOperation> Parse(ReadOnlySpan<byte> patchJson)
    {
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(patchJson);
        }
        catch (JsonException e)
        {
            throw FhirOperationException.BadRequest($"The JSON Patch document is not valid JSON: {e.Message}");
        }
        if (document is not JsonArray array)
            throw FhirOperationException.BadRequest("A JSON Patch document must be a JSON array of operations.");

        var operations = new List<JsonPatchOperation>(array.Count);
        for (var i = 0; i < array.Count; i++)
            operations.Add(ParseOperation(i, array[i]));
        return operations;
    }

    private static JsonPatchOperation ParseOperation(int index, JsonNode? node)
    {
        if (node is not JsonObject obj)
            throw Malformed(index, "each operation must be a JSON object");

        var opText = RequiredString(index, obj, "op");
        JsonPatchOperationType op = opText switch
        {
            "add" => JsonPatchOperationType.Add,
            "remove" => JsonPatchOperationType.Remove,
            "replace" => JsonPatchOperationType.Replace,
            "move" => JsonPatchOperationType.Move,
            "copy" => JsonPatchOperationType.Copy,
            "test" => JsonPatchOperationType.Test,
            _ => throw Malformed(index, $"unknown op '{opText}'"),
        };

        var path = Pointer(index, RequiredString(index, obj, "path"), "path");
        JsonPointer? from = op is JsonPatchOperationType.Move or JsonPatchOperationType.Copy
            ? Pointer(index, RequiredString(index, obj, "from"), "from")
            : null;

        JsonNode? value = null;
        if (op is JsonPatchOperationType.Add or JsonPatchOperationType.Replace or JsonPatchOperationType.Test)
        {
            // "value": null is present (a JSON null); only an absent member is an error.
            if (!obj.TryGetPropertyValue("value", out value))
                throw Malformed(index, $"'{opText}' requires a 'value' member");
        }

        if (op == JsonPatchOperationType.Move && from!.IsProperPrefixOf(path))
            throw Malformed(index, $"cannot move '{from}' into its own child '{path}'");

        return new JsonPatchOperation(index, op, path, from, value);
    }

    private static string RequiredString(int index, JsonObject obj, string member)
    {
        if (!obj.TryGetPropertyValue(member, out var node) || node is null)
            throw Malformed(index, $"missing '{member}'");
        if (node is not JsonValue value || !value.TryGetValue<string>(out var text))
            throw Malformed(index, $"'{member}' must be a string");
        return text;
    }

    private static JsonPointer Pointer(int index, string text, string member) =>
        JsonPointer.TryParse(text) ?? throw Malformed(index, $"'{member}' is not a valid JSON Pointer: '{text}'");

    private static void ApplyOne(JsonObject root, JsonPatchOperation op)
    {
        if (op.Op != JsonPatchOperationType.Test)
        {
            GuardIdentity(op, op.Path);
            if (op.Op == JsonPatchOperationType.Move)
                GuardIdentity(op, op.From!);
        }

        switch (op.Op)
        {
            case JsonPatchOperationType.Add:
                Add(root, op, op.Path, op.Value?.DeepClone());
                break;
            case JsonPatchOperationType.Remove:
                Remove(root, op, op.Path);
                break;
            case JsonPatchOperationType.Replace:
                Replace(root, op, op.Path, op.Value?.DeepClone());
                break;
            case JsonPatchOperationType.Move:
                if (op.From!.Tokens.SequenceEqual(op.Path.Tokens))
                {
                    // Moving onto itself still requires the location to exist.
                    Resolve(root, op, op.From!);
                    break;
                }
                Add(root, op, op.Path, Remove(root, op, op.From!));
                break;
            case JsonPatchOperationType.Copy:
                Add(root, op, op.Path, Resolve(root, op, op.From!)?.DeepClone());
                break;
            case JsonPatchOperationType.Test:
                var actual = Resolve(root, op, op.Path);
                if (!JsonNode.DeepEquals(actual, op.Value))
                    throw Failed(op, $"test failed: the value at '{op.Path}' is not the expected value");
                break;
        }
    }

    // The whole document and its resourceType/id are never targets of a change.
    private static void GuardIdentity(JsonPatchOperation op, JsonPointer pointer)
    {
        if (pointer.IsRoot)
            throw Failed(op, "cannot replace or remove the whole resource");
        if (pointer.Tokens[0] is "resourceType" or "id")
            throw Failed(op, $"cannot change '{pointer.Tokens[0]}' of the resource");
    }

    private static JsonNode? Resolve(JsonObject root, JsonPatchOperation op, JsonPointer pointer)
    {
        JsonNode? current = root;
        for (var i = 0; i < pointer.Tokens.Count; i++)
        {
            var token = pointer.Tokens[i];
            current = current switch
            {
                JsonObject obj when obj.TryGetPropertyValue(token, out var child) => child,
                JsonArray arr when ArrayIndex(token, arr.Count - 1) is { } at => arr[at],
                _ => throw Failed(op, $"path '{pointer}' does not exist"),
            };
        }
        return current;
    }

    private static (JsonNode Container, string Token) Parent(JsonObject root, JsonPatchOperation op, JsonPointer pointer)
    {
        var parentPointer = new JsonPointer(pointer.Tokens.Take(pointer.Tokens.Count - 1).ToList(), pointer.Text[..pointer.Text.LastIndexOf('/')]);
        var container = Resolve(root, op, parentPointer);
        if (container is not (JsonObject or JsonArray))
            throw Failed(op, $"the parent of '{pointer}' does not exist or is not an object or array");
        return (container, pointer.Tokens[^1]);
    }

    private static void Add(JsonObject root, JsonPatchOperation op, JsonPointer pointer, JsonNode? value)
    {
        var (container, token) = Parent(root, op, pointer);
        if (container is JsonObject obj)
        {
            obj[token] = value;
            return;
        }
        var arr = (JsonArray)container;
        if (token == "-")
        {
            arr.Add(value);
            return;
        }
        var at = ArrayIndex(token, arr.Count) ?? throw Failed(op, $"'{token}' is not an index within the array at '{pointer}'");
        arr.Insert(at, value);
    }

    private static JsonNode? Remove(JsonObject root, JsonPatchOperation op, JsonPointer pointer)
    {
        var (container, token) = Parent(root, op, pointer);
        if (container is JsonObject obj)
        {
            if (!obj.TryGetPropertyValue(token, out var existing))
                throw Failed(op, $"path '{pointer}' does not exist");
            obj.Remove(token);
            return existing;
        }
        var arr = (JsonArray)container;
        var at = ArrayIndex(token, arr.Count - 1) ?? throw Failed(op, $"path '{pointer}' does not exist");
        var removed = arr[at];
        arr.RemoveAt(at);
        return removed;
    }

    private static void Replace(JsonObject root, JsonPatchOperation op, JsonPointer pointer, JsonNode? value)
    {
        var (container, token) = Parent(root, op, pointer);
        if (container is JsonObject obj)
        {
            if (!obj.ContainsKey(token))
                throw Failed(op, $"path '{pointer}' does not exist");
            obj[token] = value;
            return;
        }
        var arr = (JsonArray)container;
        var at = ArrayIndex(token, arr.Count - 1) ?? throw Failed(op, $"path '{pointer}' does not exist");
        arr[at] = value;
    }

    // RFC 6901 array indexes are plain decimals without leading zeros; '-' is handled by the caller.
    private static int? ArrayIndex(string token, int max)
    {
        if (token.Length == 0 || (token.Length > 1 && token[0] == '0') || !token.All(char.IsAsciiDigit))
            return null;
        if (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index > max)
            return null;
        return index;
    }

    private static FhirOperationException Malformed(int index, string message) =>
        FhirOperationException.BadRequest($"JSON Patch operation {index}: {message}.");

    private static FhirOperationException Failed(JsonPatchOperation op, string message) =>
        FhirOperationException.Unprocessable($"JSON Patch operation {op.Index} ({op.OpName}): {message}.");
}
