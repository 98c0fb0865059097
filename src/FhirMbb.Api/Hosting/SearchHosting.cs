using FhirMbb.Api.Endpoints;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Search;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;
using FhirMbb.Data.SqlServer;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Hosting;

/// <summary>Registers search: the parameter registry (with custom SearchParameters from profiles/), the indexer, the store.</summary>
public static class SearchHosting
{
    public const string ParameterDirectoryKey = "Search:ParameterDirectory";

    /// <summary>
    /// <c>Search:Indexing=false</c> stores resources without search index rows. Only for the benchmark, which
    /// measures what indexing costs a create (issue 4); searches on such a server miss what it stored.
    /// </summary>
    public const string IndexingKey = "Search:Indexing";

    public static bool IndexingEnabled(IConfiguration configuration) => configuration.GetValue(IndexingKey, true);

    public static IServiceCollection AddFhirSearch(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(sp => new SearchParameterRegistry(LoadCustomParameters(configuration, sp.GetRequiredService<IHostEnvironment>())));
        services.AddSingleton<SearchIndexer>();
        services.AddSingleton<SearchQueryParser>();
        services.AddSingleton<ValueSetCodes>();
        services.AddSingleton<SearchService>();
        services.AddSingleton<ISearchStore>(sp => sp.GetRequiredService<IResourceStore>() switch
        {
            SqliteResourceStore sqlite => new SqliteSearchStore(sqlite.ConnectionString),
            SqlServerResourceStore sqlServer => new SqlServerSearchStore(sqlServer.ConnectionString, sqlServer.RetryPolicy),
            var other => throw new InvalidOperationException($"No search store for {other.GetType().Name}"),
        });
        return services;
    }

    /// <summary>Builds the registry and indexer now, so a bad parameter stops start-up, and declares search in the CapabilityStatement.</summary>
    public static void UseFhirSearch(this WebApplication app)
    {
        var registry = app.Services.GetRequiredService<SearchParameterRegistry>();
        var indexer = app.Services.GetRequiredService<SearchIndexer>();
        // A database written before the code pairings (schema 0008), their pages (0009) or the code bits of date rows (0012) gets them now, before the first request.
        if (app.Services.GetRequiredService<IResourceStore>() is SqliteResourceStore sqlite)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var filed = false;
            sqlite.FileCodePairings(indexer.CodePairings, () =>
            {
                filed = true;
                app.Logger.LogInformation("Filing the stored resources' codes by patient for search and their dates' code bits (schema 0008, 0009, 0012), once, before the first request: about 35 s per million Observations");
            });
            if (filed) app.Logger.LogInformation("Filed the codes by patient and the code bits in {Seconds:0.0} s", clock.Elapsed.TotalSeconds);
        }
        app.Services.GetRequiredService<CapabilityStatementBuilder>().Contribute(statement => SearchCapabilities.Describe(statement, registry));
    }

    /// <summary>SearchParameter JSON files of the configured directory, or of the nearest profiles/ folder above the content root.</summary>
    private static IEnumerable<SearchParameter> LoadCustomParameters(IConfiguration configuration, IHostEnvironment environment)
    {
        var directory = configuration[ParameterDirectoryKey] ?? FindProfiles(environment.ContentRootPath);
        if (directory is null || !Directory.Exists(directory)) return [];
        var result = new List<SearchParameter>();
        foreach (var file in Directory.EnumerateFiles(directory, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(file);
            // Only SearchParameters are parsed here; the other conformance files are someone else's to load and validate.
            using (var document = System.Text.Json.JsonDocument.Parse(bytes))
                if (!document.RootElement.TryGetProperty("resourceType", out var resourceType) || resourceType.GetString() != "SearchParameter") continue;
            if (FhirSerialization.Shared.ParseJson(bytes) is SearchParameter parameter) result.Add(parameter);
        }
        return result;
    }

    private static string? FindProfiles(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "profiles");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>What search the server truly offers, per type: the interaction, the parameters, includes, and what is not supported.</summary>
public static class SearchCapabilities
{
    public static void Describe(CapabilityStatement statement, SearchParameterRegistry registry)
    {
        foreach (var resource in statement.Rest.SelectMany(r => r.Resource).Where(r => ResourceTypes.IsWritable(r.Type ?? "")))
        {
            var type = resource.Type!;
            resource.Interaction.Add(new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.SearchType });
            var parameters = registry.ForType(type).OrderBy(p => p.Code, StringComparer.Ordinal).ToList();
            foreach (var p in parameters.Where(p => p.IsSupported))
                resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = p.Code, Definition = p.Url, Type = p.Type });
            var unsupported = parameters.Where(p => !p.IsSupported).Select(p => $"`{p.Code}` ({p.UnsupportedReason})").ToList();
            if (unsupported.Count > 0)
                resource.Documentation = "Search parameters not supported: " + string.Join(", ", unsupported) + ".";
            foreach (var p in parameters.Where(p => p.IsSupported && p.Type == SearchParamType.Reference))
                resource.SearchIncludeElement.Add(new FhirString($"{type}:{p.Code}"));
            foreach (var other in ResourceTypes.Writable)
                foreach (var p in registry.ForType(other).Where(p => p.IsSupported && p.Type == SearchParamType.Reference && (p.Targets.Count == 0 || p.Targets.Contains(type))))
                    resource.SearchRevIncludeElement.Add(new FhirString($"{other}:{p.Code}"));
        }
    }
}
