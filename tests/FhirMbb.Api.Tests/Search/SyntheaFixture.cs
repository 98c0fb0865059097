using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using FhirMbb.Api.Tests.Infrastructure;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace FhirMbb.Api.Tests.Search;

[CollectionDefinition(Name)]
public sealed class SyntheaCollection : ICollectionFixture<SyntheaFixture>
{
    public const string Name = "synthea";
}

/// <summary>
/// One server loaded once with the 60 Synthea bundles (10,359 resources). Transactions are another issue,
/// so each entry is stored through the service layer under its own id, with its urn:uuid references
/// rewritten to Type/id.
/// </summary>
public sealed partial class SyntheaFixture : FhirApiFactory, IAsyncLifetime
{
    public static string DataDirectory => Path.Combine(RepositoryRoot(), "tests", "data", "synthea-r4");

    public HttpClient Client { get; private set; } = null!;

    public int Loaded { get; private set; }

    public TimeSpan LoadTime { get; private set; }

    public async Task InitializeAsync()
    {
        Client = CreateClient();
        var service = Services.GetRequiredService<ResourceService>();
        var files = Directory.GetFiles(DataDirectory, "patient-*.json").Order(StringComparer.Ordinal).ToList();
        var clock = Stopwatch.StartNew();
        var count = 0;
        // Two bundles at a time: parsing and indexing run in parallel, the store serializes the writes.
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 2 }, async (file, ct) =>
        {
            foreach (var (type, id, json) in Rewrite(await File.ReadAllTextAsync(file, ct)))
            {
                var resource = FhirSerialization.Shared.ParseJson(System.Text.Encoding.UTF8.GetBytes(json));
                await service.UpdateAsync(type, id, resource, ifMatch: null, ct);
                Interlocked.Increment(ref count);
            }
        });
        LoadTime = clock.Elapsed;
        Loaded = count;
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    /// <summary>The entries of a bundle with every "urn:uuid:x" reference replaced by "Type/x".</summary>
    public static IEnumerable<(string Type, string Id, string Json)> Rewrite(string bundleJson)
    {
        using var document = JsonDocument.Parse(bundleJson);
        var entries = document.RootElement.GetProperty("entry").EnumerateArray().ToList();
        var targets = entries.ToDictionary(
            e => e.GetProperty("fullUrl").GetString()!,
            e => e.GetProperty("resource").GetProperty("resourceType").GetString() + "/" + e.GetProperty("resource").GetProperty("id").GetString());
        foreach (var entry in entries)
        {
            var resource = entry.GetProperty("resource");
            var json = UrnReference().Replace(resource.GetRawText(), m => targets.TryGetValue(m.Groups[1].Value, out var local) ? $"\"reference\":\"{local}\"" : m.Value);
            yield return (resource.GetProperty("resourceType").GetString()!, resource.GetProperty("id").GetString()!, json);
        }
    }

    [GeneratedRegex("\"reference\"\\s*:\\s*\"(urn:uuid:[0-9a-fA-F-]+)\"")]
    private static partial Regex UrnReference();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FhirMbb.sln"))) return dir.FullName;
        throw new InvalidOperationException("FhirMbb.sln not found above the test binaries");
    }
}
