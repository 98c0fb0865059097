using System.Diagnostics;
using FhirMbb.Core.Conformance;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Benchmarks.Scenarios;

/// <summary>
/// The profile validator in process, as the server uses it: cold start to warm, then a warm MBB pain score
/// validated over and over on one thread (issue 9: median <= 1 ms).
/// </summary>
public sealed class ValidateScenario : IScenario
{
    public string Name => "validate";

    public async Task<IReadOnlyList<ScenarioLine>> RunAsync(BenchmarkRun run)
    {
        var cold = Stopwatch.StartNew();
        var catalog = ConformanceCatalog.Load(new ConformanceDirectories(
            Path.Combine(run.RepoRoot, "profiles"), Path.Combine(run.RepoRoot, "terminology")));
        var validator = new ProfileValidator(catalog);
        await validator.WarmUpAsync();
        cold.Stop();

        var json = await File.ReadAllBytesAsync(Path.Combine(run.RepoRoot, "profiles", "examples", "mbb-pain-score-valid-integer.json"));
        var profiles = new[] { FhirMbb.Core.Canonicals.Profiles.MbbPainScore };
        long errors = 0;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < run.Options.Warmup) validator.Validate(FhirSerialization.Shared.ParseJson(json), profiles);
        var ticks = new List<long>();
        deadline.Restart();
        while (deadline.Elapsed < run.Options.Duration)
        {
            // A freshly parsed resource each time, as a write brings, so nothing the SDK builds per object is reused
            // (measured: 0.68 ms median either way). Parsing is not timed.
            var score = FhirSerialization.Shared.ParseJson(json);
            var started = Stopwatch.GetTimestamp();
            if (!ProfileValidator.IsValid(validator.Validate(score, profiles))) errors++;
            ticks.Add(Stopwatch.GetTimestamp() - started);
        }
        var latency = Latency.From(ticks);
        return
        [
            new ScenarioLine("validator cold start to warm", "ms", cold.Elapsed.TotalMilliseconds, null, null, 0, null, null, null,
                "catalog load, snapshots, every profile compiled (in process, one thread)"),
            new ScenarioLine("validate pain score (warm)", "per s", ticks.Count / deadline.Elapsed.TotalSeconds, null, latency, errors, null, null,
                new Target("median <= 1 ms", errors == 0 && latency.P50 <= 1.0), $"{ticks.Count:N0} validations of profiles/examples/mbb-pain-score-valid-integer.json against mbb-pain-score, each freshly parsed (parsing not timed), one thread"),
        ];
    }
}
