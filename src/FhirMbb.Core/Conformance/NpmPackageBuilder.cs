using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Conformance;

/// <summary>What a package build produced.</summary>
public sealed record NpmPackage(string PackageDirectory, string TarballPath, string Name, string Version, int ResourceCount, int ExampleCount);

/// <summary>
/// Builds the FHIR NPM package integrators load into their tools (IG Publisher, HAPI, Firely
/// Terminal): <c>package/package.json</c>, <c>package/.index.json</c>, the resources, examples under
/// <c>package/example</c>, and the <c>.tgz</c> of it all.
/// </summary>
public sealed class NpmPackageBuilder(ConformanceCatalog catalog, ConformanceDirectories directories)
{
    public const string PackageName = "fhirmbb.fhir";
    private const string FhirVersion = "4.0.1";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The package version: the one version every published resource carries.</summary>
    public string Version
    {
        get
        {
            var versions = catalog.Entries.Select(e => e.Version).Distinct().ToList();
            return versions is [{ } single] ? single
                : throw new InvalidOperationException($"Published resources must share one version to be packaged; found {string.Join(", ", versions.Select(v => v ?? "(none)"))}.");
        }
    }

    public NpmPackage Build(string outputDirectory)
    {
        var version = Version;
        var packageDirectory = Path.Combine(outputDirectory, "package");
        if (Directory.Exists(packageDirectory)) Directory.Delete(packageDirectory, recursive: true);
        var exampleDirectory = Directory.CreateDirectory(Path.Combine(packageDirectory, "example")).FullName;

        var resources = catalog.Entries.Select(e => Copy(e, packageDirectory)).ToList();
        var examples = Directory.Exists(directories.Examples)
            ? Directory.EnumerateFiles(directories.Examples, "*.json").Order(StringComparer.Ordinal)
                .Select(f => Copy(new ConformanceEntry(f, ReadExample(f)), exampleDirectory)).ToList()
            : [];

        WriteJson(Path.Combine(packageDirectory, "package.json"), Manifest(version));
        WriteJson(Path.Combine(packageDirectory, ".index.json"), Index(resources));
        WriteJson(Path.Combine(exampleDirectory, ".index.json"), Index(examples));

        var tarball = Path.Combine(outputDirectory, $"{PackageName}-{version}.tgz");
        WriteTarball(packageDirectory, tarball);

        return new NpmPackage(packageDirectory, tarball, PackageName, version, resources.Count, examples.Count);
    }

    /// <summary>Examples include deliberately invalid ones, so they are read without structural checks.</summary>
    private static Resource ReadExample(string path) =>
        FhirJson.TryParseForValidation(File.ReadAllText(path), out var resource, out var errors) && resource is not null
            ? resource
            : throw new ConformanceLoadException(path, string.Join("; ", errors));

    private static (string FileName, ConformanceEntry Entry) Copy(ConformanceEntry entry, string directory)
    {
        // Examples keep their telling names; conformance resources follow the ResourceType-id convention.
        var fileName = Path.GetFileName(entry.FilePath);
        File.Copy(entry.FilePath, Path.Combine(directory, fileName), overwrite: true);
        return (fileName, entry);
    }

    private JsonObject Manifest(string version) => new()
    {
        ["name"] = PackageName,
        ["version"] = version,
        ["description"] = "FhirMbb: profiles, extensions, terminology and the $evaluate-block operation for medial branch blocks and radiofrequency ablation eligibility.",
        ["canonical"] = Canonicals.Base,
        ["url"] = Canonicals.Base,
        ["fhirVersions"] = new JsonArray(FhirVersion),
        ["dependencies"] = new JsonObject { ["hl7.fhir.r4.core"] = FhirVersion },
        ["author"] = "FhirMbb",
        ["license"] = "CC0-1.0",
    };

    private static JsonObject Index(IEnumerable<(string FileName, ConformanceEntry Entry)> files) => new()
    {
        ["index-version"] = 1,
        ["files"] = new JsonArray(files.Select(f => (JsonNode)IndexEntry(f.FileName, f.Entry)).ToArray()),
    };

    private static JsonObject IndexEntry(string fileName, ConformanceEntry entry)
    {
        var node = new JsonObject { ["filename"] = fileName, ["resourceType"] = entry.ResourceType, ["id"] = entry.Id };
        if (entry.Url is not null) node["url"] = entry.Url;
        if (entry.Version is not null) node["version"] = entry.Version;
        switch (entry.Resource)
        {
            case StructureDefinition sd:
                node["kind"] = sd.Kind is { } sdKind ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(sdKind) : null;
                node["type"] = sd.Type;
                if (sd.Derivation is not null) node["derivation"] = Hl7.Fhir.Utility.EnumUtility.GetLiteral(sd.Derivation.Value);
                break;
            case OperationDefinition od:
                node["kind"] = od.Kind is { } kind ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(kind) : null;
                break;
            case SearchParameter sp:
                node["type"] = sp.Type is { } type ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(type) : null;
                break;
        }
        return node;
    }

    /// <summary>
    /// Hand-rolled rather than TarFile.CreateFromDirectory, which skips dot-files and so would
    /// leave out <c>.index.json</c>, the file package tools read first.
    /// </summary>
    private static void WriteTarball(string packageDirectory, string tarball)
    {
        using var file = File.Create(tarball);
        using var gzip = new GZipStream(file, CompressionLevel.Optimal);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        var everything = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 };
        foreach (var path in Directory.EnumerateFiles(packageDirectory, "*", everything).Order(StringComparer.Ordinal))
        {
            var name = "package/" + Path.GetRelativePath(packageDirectory, path).Replace(Path.DirectorySeparatorChar, '/');
            tar.WriteEntry(path, name);
        }
    }

    private static void WriteJson(string path, JsonNode node) => File.WriteAllText(path, node.ToJsonString(Indented) + Environment.NewLine);
}
