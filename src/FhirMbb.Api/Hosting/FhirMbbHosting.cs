using FhirMbb.Api.Endpoints;
using FhirMbb.Api.Http;
using FhirMbb.Api.Security;
using FhirMbb.Core.Bundles;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;
using FhirMbb.Data.SqlServer;
using Microsoft.Extensions.Options;

namespace FhirMbb.Api.Hosting;

/// <summary>Service registration and the request pipeline, so Program.cs stays a few lines.</summary>
public static class FhirMbbHosting
{
    public static WebApplicationBuilder AddFhirMbb(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<FhirServerOptions>().BindConfiguration(FhirServerOptions.Section);
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section);

        var maxBody = builder.Configuration.GetValue<long?>($"{FhirServerOptions.Section}:{nameof(FhirServerOptions.MaxRequestBodyBytes)}")
            ?? new FhirServerOptions().MaxRequestBodyBytes;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = maxBody);

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(FhirSerialization.Shared);
        services.AddSingleton<SerializationWarmUp>();
        services.AddHostedService(sp => sp.GetRequiredService<SerializationWarmUp>());
        services.AddSingleton<IReadinessCheck>(sp => sp.GetRequiredService<SerializationWarmUp>());
        services.AddSingleton<IResourceStore>(sp => CreateStore(builder.Configuration));
        services.AddSingleton(sp => new ResourceService(
            sp.GetRequiredService<IResourceStore>(), sp.GetRequiredService<FhirSerialization>(), sp.GetServices<IResourceWriteCheck>(),
            sp.GetRequiredService<TimeProvider>(),
            SearchHosting.IndexingEnabled(builder.Configuration) ? sp.GetRequiredService<FhirMbb.Core.Search.SearchIndexer>() : null));
        services.AddSingleton<FhirRequestReader>();
        services.AddSingleton<FhirResponses>();
        services.AddSingleton<RequestLog>();
        services.AddHostedService(sp => sp.GetRequiredService<RequestLog>());
        services.AddSingleton<BundleWriter>();
        services.AddSingleton(sp => new BundleService(
            sp.GetRequiredService<ResourceService>(), sp.GetRequiredService<IResourceStore>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<FhirServerOptions>>().Value.MaxBundleEntries,
            // Resolved on first use: bundles that need no search work on a provider without one.
            () => sp.GetRequiredService<FhirMbb.Core.Search.SearchService>(),
            sp.GetRequiredService<IOptions<FhirServerOptions>>().Value.MaxConditionalDeletes));
        services.AddConformance(builder.Configuration);
        services.AddSingleton(sp =>
        {
            var capabilities = new CapabilityStatementBuilder();
            capabilities.Contribute(BundleEndpoints.Describe);
            capabilities.Contribute(PatchEndpoints.Describe);
            capabilities.DescribeConformance(sp.GetRequiredService<FhirMbb.Core.Conformance.ConformanceCatalog>());
            return capabilities;
        });
        builder.AddFhirMbbSecurity();
        services.AddFhirSearch(builder.Configuration);
        return builder;
    }

    public static WebApplication UseFhirMbb(this WebApplication app)
    {
        // Open the database and apply migrations now, so a broken database stops start-up, not the first request;
        // likewise every published conformance file (a broken one stops start-up, naming the file) and the search
        // parameters. The three are independent, so they load side by side: start-up is mostly this.
        var conformance = Task.Run(() => app.Services.GetRequiredService<ConformanceResources>());
        var search = Task.Run(() => app.Services.GetRequiredService<FhirMbb.Core.Search.SearchIndexer>());
        _ = app.Services.GetRequiredService<IResourceStore>();
        conformance.GetAwaiter().GetResult();
        search.GetAwaiter().GetResult();
        app.UseFhirSearch();

        app.UseMiddleware<FhirErrorMiddleware>();
        app.UseFhirMbbSecurity();
        app.MapHealthEndpoints();
        var fhir = app.MapGroup(FhirRoutes.Base);
        fhir.MapMetadataEndpoints();
        fhir.MapSmartConfiguration();
        fhir.MapHistoryEndpoints();
        fhir.MapResourceEndpoints();
        fhir.MapBundleEndpoints();
        fhir.MapPatchEndpoints();
        fhir.MapConformanceEndpoints();
        fhir.MapValidateEndpoints();
        fhir.MapTerminologyEndpoints();
        fhir.MapEvaluateBlockEndpoints();
        fhir.MapSearchEndpoints();
        return app;
    }

    private static IResourceStore CreateStore(IConfiguration configuration)
    {
        var provider = configuration[$"{StorageOptions.Section}:Provider"] ?? "Sqlite";
        var connectionString = configuration.GetConnectionString("Fhir");
        var isSqlServer = provider.Equals("SqlServer", StringComparison.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            // No default server to guess: SQL Server without a connection string is a configuration error.
            if (isSqlServer) throw new InvalidOperationException("Storage:Provider is SqlServer but ConnectionStrings:Fhir is empty");
            connectionString = StorageOptions.DefaultSqliteConnection;
        }
        return provider.ToLowerInvariant() switch
        {
            "sqlite" => new SqliteResourceStore(connectionString),
            // Start-up is synchronous here; migrating before the first request is the point.
            "sqlserver" => SqlServerResourceStore.OpenAsync(connectionString).GetAwaiter().GetResult(),
            _ => throw new InvalidOperationException($"Storage:Provider '{provider}' is not available; use Sqlite or SqlServer"),
        };
    }
}
