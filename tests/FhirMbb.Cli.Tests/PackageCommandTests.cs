using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace FhirMbb.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class PackageCommandTests(CliFixture fixture)
{
    private string BuildPackage(out string output)
    {
        var outputDirectory = Path.Combine(fixture.Scratch.FullName, "pkg-" + Guid.NewGuid().ToString("N"));
        var writer = new StringWriter();
        Assert.Equal(CommandLine.Success, new PackageCommand(fixture.Catalog, fixture.Directories, writer).Run(outputDirectory));
        output = writer.ToString();
        return outputDirectory;
    }

    [Fact]
    public void Package_json_names_the_package_its_fhir_version_and_canonical()
    {
        var directory = BuildPackage(out var output);

        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "package", "package.json")))!;
        Assert.Equal("fhirmbb.fhir", (string?)manifest["name"]);
        Assert.Equal("0.1.0", (string?)manifest["version"]);
        Assert.Equal("4.0.1", (string?)manifest["fhirVersions"]![0]);
        Assert.Equal(Core.Canonicals.Base, (string?)manifest["canonical"]);
        Assert.Contains("fhirmbb.fhir#0.1.0", output);
    }

    [Fact]
    public void Index_lists_every_published_resource_with_its_url_and_a_file_that_exists()
    {
        var directory = BuildPackage(out _);

        var files = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "package", ".index.json")))!["files"]!.AsArray();
        Assert.Equal(fixture.Catalog.Entries.Count, files.Count);
        Assert.All(files, f =>
        {
            Assert.True(File.Exists(Path.Combine(directory, "package", (string)f!["filename"]!)));
            Assert.StartsWith(Core.Canonicals.Base, (string)f["url"]!);
        });
        var painScore = files.Single(f => (string?)f!["id"] == "mbb-pain-score")!;
        Assert.Equal("resource", (string?)painScore["kind"]);
        Assert.Equal("Observation", (string?)painScore["type"]);
    }

    [Fact]
    public void Examples_go_under_package_example()
    {
        var directory = BuildPackage(out _);

        var examples = Directory.GetFiles(Path.Combine(directory, "package", "example"), "*.json").Select(Path.GetFileName).Where(n => n != ".index.json").ToList();
        Assert.Contains("mbb-pain-score-invalid-score-11.json", examples);
        Assert.Equal(Directory.GetFiles(fixture.Directories.Examples, "*.json").Length, examples.Count);
    }

    [Fact]
    public void The_tarball_holds_the_package_folder()
    {
        var directory = BuildPackage(out _);

        using var gzip = new GZipStream(File.OpenRead(Path.Combine(directory, "fhirmbb.fhir-0.1.0.tgz")), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        var names = new List<string>();
        while (tar.GetNextEntry() is { } entry) names.Add(entry.Name);

        Assert.Contains("package/package.json", names);
        Assert.Contains("package/.index.json", names);
        Assert.Contains("package/example/.index.json", names);
        Assert.Contains("package/StructureDefinition-mbb-procedure.json", names);
        Assert.Contains("package/example/mbb-procedure-valid-lumbar-l4-l5.json", names);
    }
}
