using System.Text;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Benchmarks.Scenarios;

/// <summary>
/// POST Observation of a pain score (LOINC 72514-3), a different one each request (patient, time, score and phase
/// vary), against bare Kestrel echoing a body of the same size as the first; then the
/// same load on a server started with <c>Search:Indexing=false</c>, for what search indexing costs a create (issue 4:
/// with indexing at least half the throughput without), with the index rows and bytes each resource brings.
/// </summary>
public sealed class CreateScenario : IScenario
{
    public string Name => "create";

    private static readonly IReadOnlyDictionary<string, string> WithoutIndexing = new Dictionary<string, string> { ["Search__Indexing"] = "false" };

    public async Task<IReadOnlyList<ScenarioLine>> RunAsync(BenchmarkRun run)
    {
        var o = run.Options;
        var (ours, body, rss, db, ready, dbPath) = await MeasureAsync(run, environment: null);
        var index = IndexStatistics.Measure(dbPath, run.WorkDir);

        LoadResult floor;
        await using (var bare = await run.StartFloorAsync(Name, body, "application/fhir+json; charset=utf-8"))
        {
            HttpRequestMessage Echo(long _) => BenchmarkRun.Post(bare.BaseUrl + FloorServer.CreatePath, body);
            // The same procedure as ours: warm-up, a pause until idle, then the measurement.
            (floor, _) = await run.Driver.MeasureAsync(bare, Echo, 201, o.Connections, o.Warmup, o.Duration);
        }

        var (plain, _, plainRss, plainDb, _, _) = await MeasureAsync(run, WithoutIndexing);

        var off = o.ValidationMode == "off";
        var goal = off ? 6000 : 3000;
        var note = $"validation: Validation__Mode={o.ValidationMode} passed to the server, whatever mode it runs (readyz: {BenchmarkRun.Shorten(ready)}); "
            + $"{body.Length} B per request; ours {Report.Cpu(ours)}; floor {Report.Cpu(floor)}"
            + (ours.FirstError is null ? "" : $"; first error: {ours.FirstError}");
        var ratio = plain.PerSecond > 0 ? ours.PerSecond / plain.PerSecond : double.NaN;
        var indexNote = $"with indexing {Report.Num(ours.PerSecond)} req/s, without (Search__Indexing=false) {Report.Num(plain.PerSecond)} req/s: "
            + $"ratio {ratio:0.00}; {index}; without indexing {Report.Cpu(plain)}"
            + (plain.FirstError is null ? "" : $"; first error: {plain.FirstError}");
        return
        [
            new ScenarioLine($"create (validation {o.ValidationMode})", "req/s", ours.PerSecond, floor.PerSecond, ours.Latency, ours.Errors, rss, db,
                new Target($">= {goal:#,0}/s", ours.Errors == 0 && ours.PerSecond >= goal), note),
            // The floor of this line is the same server without indexing: ours/floor is the ratio issue 4 asks for.
            new ScenarioLine($"create, indexing cost (validation {o.ValidationMode})", "req/s", ours.PerSecond, plain.PerSecond, plain.Latency, plain.Errors,
                plainRss, plainDb, new Target(">= 50% of the same server without indexing", ours.Errors == 0 && plain.Errors == 0 && ratio >= 0.5), indexNote),
        ];
    }

    private async Task<(LoadResult Load, byte[] Body, long? Rss, long? Db, string Ready, string DbPath)> MeasureAsync(
        BenchmarkRun run, IReadOnlyDictionary<string, string>? environment)
    {
        var o = run.Options;
        var (server, dbPath) = await run.StartApiAsync(Name, environment: environment);
        await using (server)
        {
            // A diary's scores as a clinic sends them: twenty patients in turn, each score a minute after the last, 0-10,
            // one in three a baseline. Values that repeat (the profile, the codes, a phase, a score) repeat as in life;
            // the subject and the time never match the request before.
            var patients = new List<string>();
            for (var i = 0; i < 20; i++) patients.Add(await run.CreateAsync(server, "Patient", Payloads.Patient($"Writer{i}")));
            var start = new DateTime(2026, 11, 1, 9, 30, 0, DateTimeKind.Utc);
            byte[] Score(long n) => Encoding.UTF8.GetBytes(Payloads.PainScore(patients[(int)(n % patients.Count)], start.AddMinutes(n), (int)(n % 11), n % 3 == 0 ? "baseline" : "post-block"));
            var body = Score(0);
            // A validator still warming answers slowly (or not at all): measure the warm server, as the targets mean.
            await server.WaitForAsync(run.Client, "/readyz", TimeSpan.FromSeconds(180), TimeSpan.FromMilliseconds(100));
            var ready = await run.ReadyReportAsync(server);
            var label = environment is null ? "" : $", {string.Join(", ", environment.Select(e => $"{e.Key}={e.Value}"))}";
            var url = $"{server.BaseUrl}/fhir/Observation";
            HttpRequestMessage Create(long n) => BenchmarkRun.Post(url, Score(n));
            BenchmarkRun.Progress($"{Name}: {o.Duration.TotalSeconds:0} s of load at {o.Connections} connections, Validation__Mode={o.ValidationMode}{label}");
            var (load, _) = await run.Driver.MeasureAsync(server, Create, 201, o.Connections, o.Warmup, o.Duration);
            return (load, body, server.PeakRssBytes(), BenchmarkRun.DatabaseBytes(dbPath), ready, dbPath);
        }
    }
}

/// <summary>Search index rows and bytes per stored resource, read from a database the server has closed.</summary>
public static class IndexStatistics
{
    private static readonly string[] Tables = ["idx_token", "idx_string", "idx_date", "idx_reference", "idx_quantity", "idx_number", "idx_uri"];

    /// <summary>
    /// Rows are counted; bytes are the pages the index tables and their secondary indexes take, found by compacting a
    /// copy of the database with and without them (the SQLite build has no dbstat table).
    /// </summary>
    public static string Measure(string dbPath, string workDir)
    {
        try
        {
            var copy = Path.Combine(workDir, $"index-statistics-{Guid.NewGuid():N}.db");
            long resources, rows;
            using (var connection = new SqliteConnection($"Data Source={dbPath};Pooling=False"))
            {
                connection.Open();
                resources = Scalar(connection, "SELECT COUNT(*) FROM resource WHERE deleted = 0");
                rows = Tables.Sum(t => Scalar(connection, $"SELECT COUNT(*) FROM {t}"));
                using var vacuum = connection.CreateCommand();
                vacuum.CommandText = "VACUUM INTO $path";
                vacuum.Parameters.AddWithValue("$path", copy);
                vacuum.ExecuteNonQuery();
            }
            long with, without;
            using (var connection = new SqliteConnection($"Data Source={copy};Pooling=False"))
            {
                connection.Open();
                with = Bytes(connection);
                foreach (var table in Tables) Scalar(connection, $"DROP TABLE {table}");
                Scalar(connection, "VACUUM");
                without = Bytes(connection);
            }
            File.Delete(copy);
            if (resources == 0) return "no resources stored";
            return $"{rows / (double)resources:0.0} index rows and {(with - without) / (double)resources:#,0} index bytes per resource "
                + $"({resources:#,0} resources, {rows:#,0} rows, {(with - without) / 1024.0 / 1024.0:0.0} MB of {with / 1024.0 / 1024.0:0.0} MB compacted)";
        }
        catch (SqliteException e)
        {
            return $"index statistics unavailable: {e.Message}";
        }
    }

    private static long Bytes(SqliteConnection connection) =>
        Scalar(connection, "PRAGMA page_count") * Scalar(connection, "PRAGMA page_size");

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long n ? n : 0;
    }
}
