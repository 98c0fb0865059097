using System.Diagnostics;

namespace FhirMbb.Benchmarks.Scenarios;

/// <summary>GET Observation/[id] over a set of stored pain scores, in JSON or XML, against bare Kestrel returning the same bytes.</summary>
public sealed class ReadScenario(bool xml) : IScenario
{
    public string Name => xml ? "read-xml" : "read-json";

    public async Task<IReadOnlyList<ScenarioLine>> RunAsync(BenchmarkRun run)
    {
        var o = run.Options;
        var accept = xml ? BenchmarkRun.FhirXml : BenchmarkRun.FhirJson;
        var (server, dbPath) = await run.StartApiAsync(Name);
        LoadResult ours;
        byte[] sample;
        long? rss, db;
        TimeSpan settled;
        await using (server)
        {
            var patient = await run.CreateAsync(server, "Patient", Payloads.Patient("Reader"));
            var start = new DateTime(2026, 11, 1, 8, 0, 0, DateTimeKind.Utc);
            var ids = await run.CreateManyAsync(server, "Observation",
                Enumerable.Range(0, o.ReadSet).Select(i => Payloads.PainScore(patient, start.AddMinutes(i), i % 11)).ToList());
            using (var first = await run.Client.SendAsync(BenchmarkRun.Get($"{server.BaseUrl}/fhir/Observation/{ids[0]}", accept)))
                sample = await first.Content.ReadAsByteArrayAsync();
            HttpRequestMessage Read(long n) => BenchmarkRun.Get($"{server.BaseUrl}/fhir/Observation/{ids[(int)(n % ids.Count)]}", accept);
            // A pause until the server is idle after loading, then warm-up, pause and measurement.
            settled = await server.SettleAsync(run.Client, "/readyz", ServerProcess.MaxSettle);
            BenchmarkRun.Progress($"{Name}: {ids.Count} Observations stored; {o.Duration.TotalSeconds:0} s of load at {o.Connections} connections");
            (ours, var afterWarmup) = await run.Driver.MeasureAsync(server, Read, 200, o.Connections, o.Warmup, o.Duration);
            settled += afterWarmup;
            rss = server.PeakRssBytes();
            db = BenchmarkRun.DatabaseBytes(dbPath);
        }

        LoadResult floor;
        await using (var bare = await run.StartFloorAsync(Name, sample, xml ? "application/fhir+xml; charset=utf-8" : "application/fhir+json; charset=utf-8"))
        {
            HttpRequestMessage Read(long _) => BenchmarkRun.Get(bare.BaseUrl + FloorServer.ReadPath, accept);
            // The same procedure as ours, so both are measured warm and settled.
            (floor, _) = await run.Driver.MeasureAsync(bare, Read, 200, o.Connections, o.Warmup, o.Duration);
        }

        var percent = 100 * ours.PerSecond / floor.PerSecond;
        var note = $"{sample.Length} B per response; server CPU per request: ours {CpuPerRequest(ours)}, floor {CpuPerRequest(floor)}; "
            + $"ours {Report.Cpu(ours)}; floor {Report.Cpu(floor)}; waits for an idle server after loading and after warm-up: {settled.TotalSeconds:0.0} s"
            + (ours.FirstError is null ? "" : $"; first error: {ours.FirstError}");
        return
        [
            new ScenarioLine(Name, "req/s", ours.PerSecond, floor.PerSecond, ours.Latency, ours.Errors, rss, db,
                new Target(">= 50% of floor", ours.Errors == 0 && percent >= 50), note),
        ];
    }

    /// <summary>Server CPU time per answered request: steadier than req/s when other processes share the cores.</summary>
    private static string CpuPerRequest(LoadResult r) =>
        r.Requests == 0 || double.IsNaN(r.ServerCores) ? "n/a" : $"{r.ServerCores * r.Elapsed.TotalMilliseconds * 1000 / r.Requests:0.0} µs";
}
