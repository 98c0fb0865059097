using FhirMbb.Core.Conformance;

namespace FhirMbb.Core.Tests.Conformance;

/// <summary>
/// One catalog and one warmed validator for every conformance test class: a cold start costs
/// several seconds, paid once per test run.
/// </summary>
public sealed class ValidatorFixture : IAsyncLifetime
{
    public ConformanceDirectories Directories { get; } = ConformanceDirectories.BesideApplication();
    public ConformanceCatalog Catalog { get; }
    public ProfileValidator Validator { get; }
    public LocalTerminology Terminology { get; }

    public ValidatorFixture()
    {
        Catalog = ConformanceCatalog.Load(Directories);
        Validator = new ProfileValidator(Catalog);
        Terminology = new LocalTerminology(Catalog);
    }

    public Task InitializeAsync() => Validator.WarmUpAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class ConformanceCollection : ICollectionFixture<ValidatorFixture>
{
    public const string Name = "Conformance (shared warmed validator)";
}
