using System.Text;

namespace FhirMbb.Benchmarks.Scenarios;

/// <summary>POST Observation of a pain score (LOINC 72514-3), against bare Kestrel echoing a body of the same size.</summary>
public sealed class CreateScenario : IScenario
{
    public string Name => "create";

    public async Task<IReadOnlyList<ScenarioLine>> RunAsync(BenchmarkRun run)
    {
        var o = run.Options;
        var (server, dbPath) = await run.StartApiAsync(Name);
        LoadResult ours;
        byte[] body;
        long? rss, db;
        string ready;
        await using (server)
        {
            var patient = await run.CreateAsync(server, "Patient", Payloads.Patient("Writer"));
            body = Encoding.UTF8.GetBytes(Payloads.PainScore(patient, new DateTime(2026, 11, 1, 9, 30, 0, DateTimeKind.Utc), 6));
            ready = await run.ReadyReportAsync(server);
            BenchmarkRun.Progress($"{Name}: {o.Duration.TotalSeconds:0} s of load at {o.Connections} connections, Validation__Mode={o.ValidationMode}");
            var url = $"{server.BaseUrl}/fhir/Observation";
            ours = await run.Driver.RunAsync(_ => BenchmarkRun.Post(url, body), 201, o.Connections, o.Warmup, o.Duration, server.CpuTime);
            rss = server.PeakRssBytes();
            db = BenchmarkRun.DatabaseBytes(dbPath);
        }

        LoadResult floor;
        await using (var bare = await run.StartFloorAsync(Name, body, "application/fhir+json; charset=utf-8"))
        {
            floor = await run.Driver.RunAsync(_ => BenchmarkRun.Post(bare.BaseUrl + FloorServer.CreatePath, body),
                201, o.Connections, o.Warmup, o.Duration, bare.CpuTime);
        }

        var off = o.ValidationMode == "off";
        var goal = off ? 6000 : 3000;
        var note = $"validation: Validation__Mode={o.ValidationMode} passed to the server, whatever mode it runs (readyz: {BenchmarkRun.Shorten(ready)}); "
            + $"{body.Length} B per request; ours {Report.Cpu(ours)}; floor {Report.Cpu(floor)}"
            + (ours.FirstError is null ? "" : $"; first error: {ours.FirstError}");
        return
        [
            new ScenarioLine($"create (validation {o.ValidationMode})", "req/s", ours.PerSecond, floor.PerSecond, ours.Latency, ours.Errors, rss, db,
                new Target($">= {goal:#,0}/s", ours.Errors == 0 && ours.PerSecond >= goal), note),
        ];
    }
}
