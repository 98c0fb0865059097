using System.Text.RegularExpressions;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Testing;

/// <summary>The Synthea transaction bundles shipped under tests/data/synthea-r4.</summary>
public static class SyntheaData
{
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FhirMbb.sln"))) return dir.FullName;
        throw new InvalidOperationException("FhirMbb.sln not found above the test binaries");
    }

    /// <summary>The project's own JSON files: profiles, terminology, and the docs' examples (some invalid on purpose).</summary>
    public static List<string> ProjectJsonFiles() =>
        new[] { "profiles", "terminology", "docs" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), d), "*.json", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Every entry's resource, its urn:uuid references pointed at Type/id of the entry they name, as a transaction would.</summary>
    public static List<Resource> Resources()
    {
        var urn = new Regex("\"reference\"\\s*:\\s*\"(urn:uuid:[0-9a-fA-F-]+)\"");
        var result = new List<Resource>();
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot(), "tests", "data", "synthea-r4"), "patient-*.json").Order(StringComparer.Ordinal))
        {
            var bundle = (Bundle)FhirSerialization.Shared.ParseJson(File.ReadAllBytes(file));
            var targets = bundle.Entry.Where(e => e.FullUrl is not null).ToDictionary(e => e.FullUrl, e => $"{e.Resource.TypeName}/{e.Resource.Id}");
            foreach (var entry in bundle.Entry)
            {
                var json = urn.Replace(FhirSerialization.Shared.ToJsonString(entry.Resource),
                    m => targets.TryGetValue(m.Groups[1].Value, out var target) ? $"\"reference\":\"{target}\"" : m.Value);
                var resource = FhirSerialization.Shared.ParseJson(System.Text.Encoding.UTF8.GetBytes(json));
                resource.Meta ??= new Meta();
                resource.Meta.VersionId = "1";
                resource.Meta.LastUpdated = new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);
                result.Add(resource);
            }
        }
        return result;
    }
}
