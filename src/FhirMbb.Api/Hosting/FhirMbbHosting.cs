using FhirMbb.Api.Endpoints;
using FhirMbb.Api.Http;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;

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
        services.AddSingleton<IResourceStore>(sp => CreateStore(builder.Configuration));
        services.AddSingleton<ResourceService>();
        services.AddSingleton<FhirRequestReader>();
        services.AddSingleton<FhirResponses>();
        services.AddSingleton<BundleWriter>();
        services.AddSingleton<CapabilityStatementBuilder>();
        services.AddFhirSearch(builder.Configuration);
        return builder;
    }

    public static WebApplication UseFhirMbb(this WebApplication app)
    {
        // Open the database and apply migrations now, so a broken database stops start-up, not the first request.
        _ = app.Services.GetRequiredService<IResourceStore>();
        app.UseFhirSearch();

        app.UseMiddleware<FhirErrorMiddleware>();
        app.MapHealthEndpoints();
        var fhir = app.MapGroup(FhirRoutes.Base);
        fhir.MapMetadataEndpoints();
        fhir.MapHistoryEndpoints();
        fhir.MapResourceEndpoints();
        fhir.MapSearchEndpoints();
        return app;
    }

    private static IResourceStore CreateStore(IConfiguration configuration)
    {
        var provider = configuration[$"{StorageOptions.Section}:Provider"] ?? "Sqlite";
        var connectionString = configuration.GetConnectionString("Fhir");
        if (string.IsNullOrWhiteSpace(connectionString)) connectionString = StorageOptions.DefaultSqliteConnection;
        return provider.ToLowerInvariant() switch
        {
            "sqlite" => new SqliteResourceStore(connectionString),
            _ => throw new InvalidOperationException($"Storage:Provider '{provider}' is not available in this build; use Sqlite"),
        };
    }
}
