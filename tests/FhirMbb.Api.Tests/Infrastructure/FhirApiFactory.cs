using FhirMbb.Core.Rest;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FhirMbb.Api.Tests.Infrastructure;

/// <summary>The real host, in process, on a database of its own that is deleted afterwards.</summary>
public class FhirApiFactory : WebApplicationFactory<Program>
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fhirmbb-tests", Guid.NewGuid().ToString("N"));

    public string DatabasePath => Path.Combine(_directory, "fhir.db");

    /// <summary>Extra settings for a fixture, e.g. a small body limit.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string>> Settings => [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Directory.CreateDirectory(_directory);
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Fhir", $"Data Source={DatabasePath}");
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        builder.ConfigureServices(services => services.AddSingleton<IResourceWriteCheck, FaultInjection>());
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { /* a file still open on a slow machine: the temp folder is cleaned anyway */ }
    }
}

/// <summary>
/// Lets a test provoke an unexpected server fault: a resource whose text says so makes the write
/// pipeline throw a plain exception, as a bug would.
/// </summary>
public sealed class FaultInjection : IResourceWriteCheck
{
    public const string Marker = "fault-injection: throw";

    public ValueTask CheckAsync(Hl7.Fhir.Model.Resource resource, CancellationToken cancellationToken) =>
        resource is Hl7.Fhir.Model.DomainResource { Text.Div: { } div } && div.Contains(Marker, StringComparison.Ordinal)
            ? throw new InvalidOperationException("Injected fault: internal details that must not reach the client")
            : ValueTask.CompletedTask;
}
