using System.Diagnostics;

namespace FhirMbb.Benchmarks.Scenarios;

/// <summary>
/// Process start to the first successful read of a stored resource, and to /readyz 200 (which will
/// include the validator's warm-up), on an existing database; bare Kestrel's start to first answer is the floor.
/// </summary>
public sealed class StartupScenario : IScenario
{
    public string Name => "startup";

    public async Task<IReadOnlyList<ScenarioLine>> RunAsync(BenchmarkRun run)
    {
        var o = run.Options;
        var (first, dbPath) = await run.StartApiAsync(Name);
        string patient;
        await using (first) patient = await run.CreateAsync(first, "Patient", Payloads.Patient("Startup"));

        var toRead = new List<double>();
        var toReady = new List<double>();
        long? rss = null;
        for (var i = 0; i < o.StartupRuns; i++)
        {
            await using var server = run.StartApi(dbPath, Name);
            var read = await server.WaitForAsync(run.Client, $"/fhir/Patient/{patient}", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(2));
            var ready = await server.WaitForAsync(run.Client, "/readyz", TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(2));
            toRead.Add(read.TotalMilliseconds);
            toReady.Add(ready.TotalMilliseconds);
            rss = Math.Max(rss ?? 0, server.PeakRssBytes() ?? 0);
        }

        var floor = new List<double>();
        for (var i = 0; i < o.StartupRuns; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await using var bare = await run.StartFloorAsync(Name, "{}"u8.ToArray(), "application/json");
            floor.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }

        var readMs = Median(toRead);
        var note = $"median of {o.StartupRuns} cold starts of `dotnet FhirMbb.Api.dll`; to first read {Range(toRead)}; to /readyz {Range(toReady)}; bare Kestrel {Range(floor)}";
        return
        [
            new ScenarioLine("start to first read", "ms", readMs, Median(floor), null, 0, rss, BenchmarkRun.DatabaseBytes(dbPath),
                new Target("<= 1,500 ms", readMs <= 1500), note),
            new ScenarioLine("start to /readyz 200", "ms", Median(toReady), Median(floor), null, 0, rss, BenchmarkRun.DatabaseBytes(dbPath), null, ""),
        ];
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    private static string Range(List<double> xs) => $"{xs.Min():0}-{xs.Max():0} ms";
}
