using FhirMbb.Core.Conformance;

namespace FhirMbb.Cli.Tests;

/// <summary>One warmed validator for the CLI tests; a temporary folder for the files they write.</summary>
public sealed class CliFixture : IAsyncLifetime
{
    public ConformanceDirectories Directories { get; } = ConformanceDirectories.BesideApplication();
    public ConformanceCatalog Catalog { get; }
    public ProfileValidator Validator { get; }
    public DirectoryInfo Scratch { get; } = Directory.CreateTempSubdirectory("fhirmbb-cli-");

    public CliFixture()
    {
        Catalog = ConformanceCatalog.Load(Directories);
        Validator = new ProfileValidator(Catalog);
    }

    public string Example(string name) => Path.Combine(Directories.Examples, name + ".json");

    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(Scratch.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    public Task InitializeAsync() => Validator.WarmUpAsync();

    public Task DisposeAsync()
    {
        Scratch.Delete(recursive: true);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliFixture>
{
    public const string Name = "CLI (shared warmed validator)";
}
