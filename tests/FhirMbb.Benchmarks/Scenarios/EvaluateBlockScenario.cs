namespace FhirMbb.Benchmarks.Scenarios;

/// <summary>
/// $evaluate-block on a patient with 2 medial branch blocks and 100 pain scores (issue 3's benchmark case), evaluated again
/// and again; then on more such patients in turn than the server keeps evidence for, so each evaluation reads from the database.
/// </summary>
public sealed class EvaluateBlockScenario : IScenario
{
    public string Name => "evaluate-block";

    // More patients x 103 resources than the 20,000 versions the server keeps for $evaluate-block.
    private const int ManyPatients = 250;

    /// <summary>A patient with an indication, two blocks (lidocaine, then bupivacaine) and 50 scores per block; returns the second block's id.</summary>
    private static async Task<string> CreatePatientAsync(BenchmarkRun run, ServerProcess server, string family)
    {
        var patient = await run.CreateAsync(server, "Patient", Payloads.Patient(family));
        var condition = await run.CreateAsync(server, "Condition", Payloads.AxialPainCondition(patient));
        var first = new DateTime(2026, 10, 1, 9, 0, 0, DateTimeKind.Utc);
        var second = new DateTime(2026, 10, 15, 9, 0, 0, DateTimeKind.Utc);
        var block1 = await run.CreateAsync(server, "Procedure", Payloads.MedialBranchBlock(patient, condition, first, 1, "387480006", "Lidocaine"));
        var block2 = await run.CreateAsync(server, "Procedure", Payloads.MedialBranchBlock(patient, condition, second, 2, "387150008", "Bupivacaine"));
        var scores = new List<string>();
        foreach (var (block, at, reliefHours) in new[] { (block1, first, 3), (block2, second, 7) })
        {
            scores.Add(Payloads.PainScore(patient, at.AddHours(-2), 8, "baseline", block));
            for (var i = 1; i < 50; i++)
            {
                var when = at.AddMinutes(15 * i);
                scores.Add(Payloads.PainScore(patient, when, when < at.AddHours(reliefHours) ? 1 : 7, "post-block", block));
            }
        }
        await run.CreateManyAsync(server, "Observation", scores);
        return block2;
    }

    public async Task<IReadOnlyList<ScenarioLine>> RunAsync(BenchmarkRun run)
    {
        var o = run.Options;
        var target = new Target("p95 <= 10 ms", null);
        var (server, dbPath) = await run.StartApiAsync(Name);
        await using (server)
        {
            var caps = await ServerCapabilities.FetchAsync(run.Client, server.BaseUrl);
            if (!caps.Operations.Contains("evaluate-block"))
                return [ScenarioLine.NotAvailable(Name, "the CapabilityStatement declares no evaluate-block operation", target: target)];

            var block2 = await CreatePatientAsync(run, server, "Block");
            var url = $"{server.BaseUrl}/fhir/Procedure/{block2}/$evaluate-block?policy=dual-block-80";
            using (var probe = await run.Client.SendAsync(BenchmarkRun.Get(url)))
            {
                if ((int)probe.StatusCode != 200)
                    return [ScenarioLine.NotAvailable(Name, $"declared, but GET {new Uri(url).PathAndQuery} answered {(int)probe.StatusCode}: {BenchmarkRun.Shorten(await probe.Content.ReadAsStringAsync())}", target: target)];
            }
            BenchmarkRun.Progress($"{Name}: {o.Duration.TotalSeconds:0} s of load at {o.Connections} connections");
            // A pause until the server is idle (start-up and the 102 validated creates leave background work), then
            // warm-up, pause and measurement.
            await server.SettleAsync(run.Client, "/readyz", ServerProcess.MaxSettle);
            var (ours, _) = await run.Driver.MeasureAsync(server, _ => BenchmarkRun.Get(url), 200, o.Connections, o.Warmup, o.Duration);
            var one = new ScenarioLine(Name, "req/s", ours.PerSecond, null, ours.Latency, ours.Errors, server.PeakRssBytes(), BenchmarkRun.DatabaseBytes(dbPath),
                target with { Met = ours.Errors == 0 && ours.Latency.P95 <= 10 }, $"2 blocks, 100 pain scores, dual-block-80; {Report.Cpu(ours)}");

            // The server keeps what it read of each stored version (up to 20,000 versions); evaluating more patients in
            // turn than that holds measures the first evaluation of a patient, read from the database.
            BenchmarkRun.Progress($"{Name}: {ManyPatients} more patients of 2 blocks and 100 scores each");
            var blocks = new List<string>();
            foreach (var batch in Enumerable.Range(0, ManyPatients).Chunk(8))
                blocks.AddRange(await Task.WhenAll(batch.Select(i => CreatePatientAsync(run, server, $"Many{i}"))));
            string Many(long n) => $"{server.BaseUrl}/fhir/Procedure/{blocks[(int)(n % blocks.Count)]}/$evaluate-block?policy=dual-block-80";
            await server.SettleAsync(run.Client, "/readyz", ServerProcess.MaxSettle);
            var (many, _) = await run.Driver.MeasureAsync(server, n => BenchmarkRun.Get(Many(n)), 200, o.Connections, o.Warmup, o.Duration);
            return
            [
                one,
                new ScenarioLine($"{Name}, {ManyPatients} patients in turn", "req/s", many.PerSecond, null, many.Latency, many.Errors, server.PeakRssBytes(), BenchmarkRun.DatabaseBytes(dbPath),
                    target with { Met = many.Errors == 0 && many.Latency.P95 <= 10 }, $"each patient's versions read again from the database; {Report.Cpu(many)}"),
            ];
        }
    }
}
