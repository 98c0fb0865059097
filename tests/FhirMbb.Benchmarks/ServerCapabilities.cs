using System.Text.Json;

namespace FhirMbb.Benchmarks;

/// <summary>
/// What the running server says it can do, read from its CapabilityStatement. Scenarios for features
/// still on other branches check here (and then probe the endpoint) instead of assuming.
/// </summary>
public sealed record ServerCapabilities(
    IReadOnlySet<string> SystemInteractions,
    IReadOnlyDictionary<string, IReadOnlySet<string>> SearchParams,
    IReadOnlyDictionary<string, IReadOnlySet<string>> TypeInteractions,
    IReadOnlySet<string> Operations)
{
    public bool HasSystemInteraction(string code) => SystemInteractions.Contains(code);

    public bool HasSearchParams(string type, params string[] names) =>
        TypeInteractions.TryGetValue(type, out var i) && i.Contains("search-type")
        && SearchParams.TryGetValue(type, out var p) && names.All(p.Contains);

    public static async Task<ServerCapabilities> FetchAsync(HttpClient client, string baseUrl)
    {
        using var response = await client.GetAsync($"{baseUrl}/fhir/metadata");
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        var system = new HashSet<string>();
        var searchParams = new Dictionary<string, IReadOnlySet<string>>();
        var interactions = new Dictionary<string, IReadOnlySet<string>>();
        var operations = new HashSet<string>();
        foreach (var rest in Array(doc.RootElement, "rest"))
        {
            foreach (var i in Array(rest, "interaction")) system.Add(Str(i, "code"));
            foreach (var op in Array(rest, "operation")) AddOperation(operations, op);
            foreach (var resource in Array(rest, "resource"))
            {
                var type = Str(resource, "type");
                searchParams[type] = Array(resource, "searchParam").Select(p => Str(p, "name")).ToHashSet();
                interactions[type] = Array(resource, "interaction").Select(p => Str(p, "code")).ToHashSet();
                foreach (var op in Array(resource, "operation")) AddOperation(operations, op);
            }
        }
        return new ServerCapabilities(system, searchParams, interactions, operations);
    }

    // An operation counts by its name or by the last segment of its OperationDefinition canonical.
    private static void AddOperation(HashSet<string> operations, JsonElement op)
    {
        operations.Add(Str(op, "name").TrimStart('$'));
        var definition = Str(op, "definition");
        if (definition.Length > 0) operations.Add(definition[(definition.LastIndexOf('/') + 1)..].Split('|')[0]);
    }

    private static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        e.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray() : [];

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
}
