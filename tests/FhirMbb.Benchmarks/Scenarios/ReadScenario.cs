using System.Text;

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
        await using (server)
        {
            var patient = await run.CreateAsync(server, "Patient", Payloads.Patient("Reader"));
            var start = new DateTime(2026, 11, 1, 8, 0, 0, DateTimeKind.Utc);
            var ids = await run.CreateManyAsync(server, "Observation",
                Enumerable.Range(0, o.ReadSet).Select(i => Payloads.PainScore(patient, start.AddMinutes(i), i % 11)).ToList());
            using (var first = await run.Client.SendAsync(BenchmarkRun.Get($"{server.BaseUrl}/fhir/Observation/{ids[0]}", accept)))
                sample = await first.Content.ReadAsByteArrayAsync();
            BenchmarkRun.Progress($"{Name}: {ids.Count} Observations stored; {o.Duration.TotalSeconds:0} s of load at {o.Connections} connections");
            ours = await run.Driver.RunAsync(n => BenchmarkRun.Get($"{server.BaseUrl}/fhir/Observation/{ids[(int)(n % ids.Count)]}", accept),
                200, o.Connections, o.Warmup, o.Duration, server.CpuTime);
            rss = server.PeakRssBytes();
            db = BenchmarkRun.DatabaseBytes(dbPath);
        }

        LoadResult floor;
        await using (var bare = await run.StartFloorAsync(Name, sample, xml ? "application/fhir+xml; charset=utf-8" : "application/fhir+json; charset=utf-8"))
        {
            floor = await run.Driver.RunAsync(_ => BenchmarkRun.Get(bare.BaseUrl + FloorServer.ReadPath, accept),
                200, o.Connections, o.Warmup, o.Duration, bare.CpuTime);
        }

        var percent = 100 * ours.PerSecond / floor.PerSecond;
        var note = $"{sample.Length} B per response; ours {Report.Cpu(ours)}; floor {Report.Cpu(floor)}"
            + (ours.FirstError is null ? "" : $"; first error: {ours.FirstError}");
        return
        [
            new ScenarioLine(Name, "req/s", ours.PerSecond, floor.PerSecond, ours.Latency, ours.Errors, rss, db,
                new Target(">= 50% of floor", ours.Errors == 0 && percent >= 50), note),
        ];
    }
}
