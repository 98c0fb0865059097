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
        var score = FhirSerialization.Shared.ParseJson(json);
        var profiles = new[] { FhirMbb.Core.Canonicals.Profiles.MbbPainScore };
        long errors = 0;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < run.Options.Warmup) validator.Validate(score, profiles);
        var ticks = new List<long>();
        deadline.Restart();
        while (deadline.Elapsed < run.Options.Duration)
        {
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
                new Target("median <= 1 ms", errors == 0 && latency.P50 <= 1.0), $"{ticks.Count:N0} validations of profiles/examples/mbb-pain-score-valid-integer.json against mbb-pain-score, one thread"),
        ];
    }
}
