using FhirMbb.Api.Http;
using FhirMbb.Core;
using FhirMbb.Core.Conformance;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Endpoints;

/// <summary>
/// The published profiles and terminology, read-only: read by id, and search by url (url|version),
/// name and type. Each file is serialized once at start-up and served as those bytes.
/// </summary>
public sealed class ConformanceResources
{
    public static readonly IReadOnlyList<string> Types =
        ["StructureDefinition", "ValueSet", "CodeSystem", "ConceptMap", "OperationDefinition", "SearchParameter"];

    public static readonly IReadOnlyList<string> SearchParameters = ["url", "version", "name", "type", "_id"];

    private readonly Dictionary<(string Type, string Id), byte[]> _json = new();

    public ConformanceResources(ConformanceCatalog catalog, FhirSerialization serialization)
    {
        Catalog = catalog;
        foreach (var entry in catalog.Entries) _json[(entry.ResourceType, entry.Id)] = serialization.ToJsonBytes(entry.Resource);
    }

    public ConformanceCatalog Catalog { get; }

    public byte[]? Json(string type, string id) => _json.GetValueOrDefault((type, id));
}

public static class ConformanceEndpoints
{
    public static RouteGroupBuilder MapConformanceEndpoints(this RouteGroupBuilder fhir)
    {
        foreach (var type in ConformanceResources.Types)
        {
            fhir.MapGet($"/{type}/{{id}}", (HttpContext c, string id, ConformanceResources r, FhirResponses w) => Read(c, type, id, r, w));
            fhir.MapGet($"/{type}", (HttpContext c, ConformanceResources r, BundleWriter w) => Search(c, type, r, w));
            // Published content changes only with a release of the server.
            fhir.MapMethods($"/{type}", ["POST"], () => ReadOnly(type));
            fhir.MapMethods($"/{type}/{{id}}", ["PUT", "DELETE", "PATCH"], () => ReadOnly(type));
        }
        return fhir;
    }

    public static void Describe(CapabilityStatement statement, ConformanceCatalog catalog)
    {
        var rest = statement.Rest[0];
        foreach (var type in ConformanceResources.Types)
        {
            var resource = new CapabilityStatement.ResourceComponent { Type = type };
            resource.Interaction.Add(new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.Read });
            resource.Interaction.Add(new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.SearchType });
            resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = "url", Type = SearchParamType.Uri, Documentation = "Canonical URL, optionally url|version" });
            resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = "version", Type = SearchParamType.Token });
            resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = "name", Type = SearchParamType.String, Documentation = "Exact, case-insensitive" });
            resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = "type", Type = SearchParamType.Token, Documentation = "StructureDefinition.type, OperationDefinition.resource, SearchParameter.base" });
            resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = "_id", Type = SearchParamType.Token });
            rest.Resource.Add(resource);
        }
        // Which of our profiles each clinical type supports.
        foreach (var profile in catalog.Resources.OfType<StructureDefinition>().Where(d => d.Kind == StructureDefinition.StructureDefinitionKind.Resource))
        {
            var target = rest.Resource.FirstOrDefault(r => r.Type == profile.Type);
            target?.SupportedProfileElement.Add(new Canonical(profile.Url));
        }
    }

    private static async Task Read(HttpContext context, string type, string id, ConformanceResources resources, FhirResponses responses)
    {
        var json = resources.Json(type, id) ?? throw FhirOperationException.NotFound($"{type}/{id} is not published by this server");
        await responses.WriteJsonBytesAsync(context, json);
    }

    private static async Task Search(HttpContext context, string type, ConformanceResources resources, BundleWriter writer)
    {
        var query = context.Request.Query;
        var unknown = query.Keys.Where(k => !ConformanceResources.SearchParameters.Contains(k) && !k.StartsWith('_')).ToList();
        if (unknown.Count > 0 && PreferHeader.IsStrictHandling(context.Request))
            throw FhirOperationException.BadRequest($"Unknown search parameter(s) for {type}: {string.Join(", ", unknown)}; supported: {string.Join(", ", ConformanceResources.SearchParameters)}");

        string? Value(string key) => query[key].ToString() is { Length: > 0 } v ? v : null;
        var url = Value("url");
        var version = Value("version");
        if (url?.IndexOf('|') is { } bar and >= 0)
        {
            version = url[(bar + 1)..];
            url = url[..bar];
        }
        var found = resources.Catalog.Search(type, url, Value("name"), Value("type"))
            .Where(e => version is null || e.Version == version)
            .Where(e => Value("_id") is not { } id || e.Id == id)
            .ToList();

        var baseUrl = FhirResponses.BaseUrl(context.Request);
        var kept = ConformanceResources.SearchParameters.Where(p => Value(p) is not null).Select(p => $"{p}={Uri.EscapeDataString(Value(p)!)}");
        var self = $"{baseUrl}/{type}" + (kept.Any() ? "?" + string.Join("&", kept) : "");
        var entries = found.Select(e => new BundleEntry($"{baseUrl}/{type}/{e.Id}", resources.Json(type, e.Id), SearchMode: "match")).ToList();
        await writer.WriteAsync(context, new BundlePage("searchset", entries.Count, [new BundleLink("self", self)], entries));
    }

    private static IResult ReadOnly(string type) =>
        throw new FhirOperationException(405, OperationOutcome.IssueType.NotSupported, $"{type} resources are published with the server and are read-only");
}
