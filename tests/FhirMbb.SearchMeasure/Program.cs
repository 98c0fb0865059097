// Measures the search indexer on tests/data/synthea-r4: indexer cost per Observation, index rows and
// bytes per resource, and create throughput with and without indexing.
// Run: dotnet run -c Release --project tests/FhirMbb.SearchMeasure
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Search;
using FhirMbb.Core.Serialization;
using FhirMbb.Data.Sqlite;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;

var root = Directory.GetCurrentDirectory();
while (!File.Exists(Path.Combine(root, "FhirMbb.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("run inside the repository");
var files = Directory.GetFiles(Path.Combine(root, "tests", "data", "synthea-r4"), "patient-*.json").Order(StringComparer.Ordinal).ToList();
var urn = new Regex("\"reference\"\\s*:\\s*\"(urn:uuid:[0-9a-fA-F-]+)\"");
var resources = new List<Resource>();
foreach (var file in files)
{
    using var document = JsonDocument.Parse(File.ReadAllText(file));
    var entries = document.RootElement.GetProperty("entry").EnumerateArray().ToList();
    var targets = entries.ToDictionary(e => e.GetProperty("fullUrl").GetString()!,
        e => e.GetProperty("resource").GetProperty("resourceType").GetString() + "/" + e.GetProperty("resource").GetProperty("id").GetString());
    foreach (var entry in entries)
    {
        var json = urn.Replace(entry.GetProperty("resource").GetRawText(), m => $"\"reference\":\"{targets[m.Groups[1].Value]}\"");
        var resource = FhirSerialization.Shared.ParseJson(System.Text.Encoding.UTF8.GetBytes(json));
        resource.Meta = new Meta { VersionId = "1", LastUpdated = DateTimeOffset.UtcNow };
        resources.Add(resource);
    }
}
var observations = resources.OfType<Observation>().ToList();
Console.WriteLine($"resources: {resources.Count}, observations: {observations.Count}");

var registry = new SearchParameterRegistry();
var indexer = new SearchIndexer(registry);
var parameters = indexer.PathsFor("Observation");
Console.WriteLine($"Observation parameters indexed: {parameters.Count} ({parameters.Count(p => p.Path.Shape.Compiled == 0)} walk the POCO, {parameters.Count(p => p.Path.Shape.Compiled > 0)} use FHIRPath)");

long rows = 0;
// Warm-up long enough for tiered JIT to reach optimized code; the first passes are several times slower.
for (var pass = 0; pass < 5; pass++)
    foreach (var o in observations) rows += pass == 0 ? indexer.Index(o).Count : indexer.Index(o).Count * 0;
const int passes = 10;
var clock = Stopwatch.StartNew();
for (var pass = 0; pass < passes; pass++)
    foreach (var o in observations) indexer.Index(o);
clock.Stop();
Console.WriteLine($"indexer: {clock.Elapsed.TotalMicroseconds / (passes * observations.Count):F1} µs per Observation ({(double)rows / observations.Count:F1} index values each)");

if (args.Contains("--per-parameter"))
{
    // Where the time goes: selecting values per parameter, then the whole index call.
    foreach (var (parameter, elementPath) in parameters)
    {
        var c = Stopwatch.StartNew();
        var n = 0;
        foreach (var o in observations) foreach (var _ in elementPath.Select(o)) n++;
        Console.WriteLine($"  {parameter.Code,-28} {c.Elapsed.TotalMicroseconds / observations.Count,7:F2} µs select ({n} values)");
    }
    void Time(string what, Action<Observation> action)
    {
        var c = Stopwatch.StartNew();
        foreach (var o in observations) action(o);
        Console.WriteLine($"  {what,-28} {c.Elapsed.TotalMicroseconds / observations.Count,7:F2} µs");
    }
    Time("status.ToString", o => o.StatusElement.ToString());
    Time("normalize display", o => TextNormalizer.Normalize(o.Code.Coding[0].Display ?? ""));
    Time("date parse", o => DateRange.TryParse(o.Effective?.ToString(), out _));
    Time("reference parse", o => ReferenceParts.Parse(o.Subject!.Reference!));
    Time("TryGetValue code", o => o.TryGetValue("code", out _));
    Time("TryGetValue absent", o => o.TryGetValue("method", out _));
    Time("lastUpdated", o => DateRange.Instant(o.Meta!.LastUpdated!.Value));
    Time("index", o => indexer.Index(o));
    return;
}

var sizes = new Dictionary<bool, long>();
foreach (var withIndex in args.Contains("--with-index-only") ? new[] { true } : new[] { false, true })
{
    var directory = Path.Combine(Path.GetTempPath(), "fhirmbb-measure", Guid.NewGuid().ToString("N"));
    Directory.CreateDirectory(directory);
    var path = Path.Combine(directory, "fhir.db");
    using (var store = new SqliteResourceStore($"Data Source={path}"))
    {
        var service = new ResourceService(store, FhirSerialization.Shared, [], TimeProvider.System, withIndex ? indexer : null);
        var write = Stopwatch.StartNew();
        foreach (var resource in resources) await service.UpdateAsync(resource.TypeName, resource.Id!, resource, ifMatch: null);
        write.Stop();
        Console.WriteLine($"create {(withIndex ? "with" : "without")} indexing: {resources.Count / write.Elapsed.TotalSeconds:F0} resources/s ({write.Elapsed.TotalSeconds:F1} s for {resources.Count})");
        using (var sizing = new SqliteConnection(store.ConnectionString))
        {
            sizing.Open();
            sizing.Execute("PRAGMA wal_checkpoint(TRUNCATE)");
            sizes[withIndex] = sizing.ExecuteScalar<long>("PRAGMA page_count") * sizing.ExecuteScalar<long>("PRAGMA page_size");
        }
        if (withIndex)
        {
            using var connection = new SqliteConnection(store.ConnectionString);
            connection.Open();
            long totalRows = 0;
            foreach (var table in new[] { "idx_token", "idx_string", "idx_date", "idx_reference", "idx_quantity", "idx_number", "idx_uri" })
            {
                var count = connection.ExecuteScalar<long>($"SELECT COUNT(*) FROM {table}");
                totalRows += count;
                Console.WriteLine($"  {table,-14} {count,8} rows");
            }
            // Latency of the benchmark's query shapes on this small database (not the 1,000,000-resource benchmark).
            using var search = new SqliteSearchStore(store.ConnectionString);
            var parser = new SearchQueryParser(registry);
            var patient = observations.GroupBy(o => o.Subject!.Reference).OrderByDescending(g => g.Count()).First().Key!.Split('/')[1];
            foreach (var query in new[]
            {
                $"patient={patient}&code=http://loinc.org|72514-3&_sort=-date&_count=50",
                "code=http://loinc.org|8302-2&date=ge2015-01-01&_count=50",
                "value-quantity=gt100&_count=50",
            })
            {
                var pairs = query.Split('&').Select(p => p.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], p[1])).ToList();
                var parsed = parser.Parse("Observation", pairs, new SearchLimits());
                var times = new List<double>();
                var matches = 0;
                for (var i = 0; i < 220; i++)
                {
                    var c = Stopwatch.StartNew();
                    matches = (await search.SearchAsync(parsed.Query)).Matches.Count;
                    if (i >= 20) times.Add(c.Elapsed.TotalMilliseconds);
                }
                times.Sort();
                Console.WriteLine($"  Observation?{query}: {matches} on the first page, p50 {times[times.Count / 2]:F2} ms, p95 {times[(int)(times.Count * 0.95)]:F2} ms");
            }
            if (sizes.ContainsKey(false))
                Console.WriteLine($"index: {(double)totalRows / resources.Count:F1} rows per resource; database {sizes[true] / 1048576.0:F1} MiB with index vs {sizes[false] / 1048576.0:F1} MiB without: {(double)(sizes[true] - sizes[false]) / resources.Count:F0} index bytes per resource");
        }
    }
    SqliteConnection.ClearAllPools();
    if (args.Contains("--keep")) Console.WriteLine($"kept {path}");
    else Directory.Delete(directory, true);
}
