namespace FhirMbb.Benchmarks.Scenarios;

/// <summary>A named benchmark scenario; `all` runs every one, in the order of <see cref="BenchmarkOptions.AllScenarios"/>.</summary>
public interface IScenario
{
    string Name { get; }

    Task<IReadOnlyList<ScenarioLine>> RunAsync(BenchmarkRun run);
}
