using System.Text;

namespace FhirMbb.Benchmarks.Scenarios;

/// <summary>
/// Search at N Observations (default 1,000,000): patient + code, and code + date. Loads through
/// transactions when the server has them, otherwise through single creates.
/// </summary>
public sealed class SearchScenario : IScenario
{
    public string Name => "search";

    private const string PainCode = "http://loinc.org|72514-3";

    public async Task<IReadOnlyList<ScenarioLine>> RunAsync(BenchmarkRun run)
    {
        var o = run.Options;
        var patientTarget = new Target("p95 <= 20 ms", null);
        var dateTarget = new Target("p95 <= 50 ms (issue 4)", null);
        var rssTarget = new Target("<= 500 MB at 1M", null);
        var (server, dbPath) = await run.StartApiAsync(Name);
        await using (server)
        {
            var caps = await ServerCapabilities.FetchAsync(run.Client, server.BaseUrl);
            string[] needed = ["patient", "code", "date"];
            if (!caps.HasSearchParams("Observation", needed))
            {
                const string why = "the CapabilityStatement declares no Observation search-type with patient, code and date";
                return
                [
                    ScenarioLine.NotAvailable("search patient+code", why, target: patientTarget),
                    ScenarioLine.NotAvailable("search code+date", why, target: dateTarget),
                    ScenarioLine.NotAvailable("peak RSS at 1M resources", "measured after the search load", target: rssTarget),
                ];
            }

            var patientCount = Math.Max(1, o.Observations / 200);
            var useTransactions = caps.HasSystemInteraction("transaction");
            BenchmarkRun.Progress($"{Name}: loading {patientCount:#,0} Patients and {o.Observations:#,0} Observations via {(useTransactions ? "transactions" : "creates")}");
            var patients = await LoadAsync(run, server, useTransactions, Enumerable.Range(0, patientCount).Select(i => Payloads.Patient($"Search{i}")).ToList(), "Patient");
            const int chunk = 50_000;
            for (var from = 0; from < o.Observations; from += chunk)
            {
                var n = Math.Min(chunk, o.Observations - from);
                await LoadAsync(run, server, useTransactions,
                    Enumerable.Range(from, n).Select(i => Payloads.SearchObservation(i, patients[i % patients.Count])).ToList(), "Observation");
                BenchmarkRun.Progress($"{Name}: {from + n:#,0} Observations stored");
            }

            string PatientCode(long n) => $"{server.BaseUrl}/fhir/Observation?patient=Patient/{patients[(int)(n * 7919 % patients.Count)]}&code={PainCode}&_sort=-date&_count=50";
            string CodeDate(long n)
            {
                var day = Payloads.SearchEpoch.AddDays(n % 365);
                return $"{server.BaseUrl}/fhir/Observation?code={PainCode}&date=ge{day:yyyy-MM-dd}&date=lt{day.AddDays(1):yyyy-MM-dd}&_count=50";
            }
            using (var probe = await run.Client.SendAsync(BenchmarkRun.Get(PatientCode(0))))
            {
                if ((int)probe.StatusCode != 200)
                {
                    var why = $"search is declared but answered {(int)probe.StatusCode}";
                    return [ScenarioLine.NotAvailable("search patient+code", why, target: patientTarget), ScenarioLine.NotAvailable("search code+date", why, target: dateTarget)];
                }
            }

            var byPatient = await run.Driver.RunAsync(n => BenchmarkRun.Get(PatientCode(n)), 200, o.Connections, o.Warmup, o.Duration, server.CpuTime);
            var byDate = await run.Driver.RunAsync(n => BenchmarkRun.Get(CodeDate(n)), 200, o.Connections, o.Warmup, o.Duration, server.CpuTime);
            var rss = server.PeakRssBytes();
            var db = BenchmarkRun.DatabaseBytes(dbPath);
            var total = patientCount + o.Observations;
            var full = total >= 1_000_000;
            var scale = $"at {o.Observations:#,0} Observations";
            return
            [
                new ScenarioLine("search patient+code", "req/s", byPatient.PerSecond, null, byPatient.Latency, byPatient.Errors, rss, db,
                    patientTarget with { Met = full ? byPatient.Errors == 0 && byPatient.Latency.P95 <= 20 : null }, $"{scale}; {Report.Cpu(byPatient)}"),
                new ScenarioLine("search code+date", "req/s", byDate.PerSecond, null, byDate.Latency, byDate.Errors, rss, db,
                    dateTarget with { Met = full ? byDate.Errors == 0 && byDate.Latency.P95 <= 50 : null }, $"{scale}; {Report.Cpu(byDate)}"),
                new ScenarioLine("peak RSS at 1M resources", "MB", rss / 1024.0 / 1024.0, null, null, null, rss, db,
                    rssTarget with { Met = full && rss is { } r ? r <= 500L * 1024 * 1024 : null }, $"{total:#,0} resources stored"),
            ];
        }
    }

    private static async Task<List<string>> LoadAsync(BenchmarkRun run, ServerProcess server, bool useTransactions, List<string> resources, string type)
    {
        if (!useTransactions) return await run.CreateManyAsync(server, type, resources, connections: 8);
        var bundles = resources.Chunk(1000).Select(c => Payloads.Transaction(c)).ToList();
        return await run.TransactAsync(server, bundles, connections: 2);
    }
}
