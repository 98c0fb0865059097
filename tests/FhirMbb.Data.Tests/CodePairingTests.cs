using Dapper;
using FhirMbb.Core.Search;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;
using FhirMbb.Testing;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Tests;

/// <summary>
/// The code pairing (schemas 0008, 0009): idx_patient_token, a patient's code tokens, read for patient=X&amp;code=Y, and
/// pages of them sorted by date. A search through it must find exactly what the search without it finds, in the same
/// order, and its rows must follow each resource's current version.
/// </summary>
public sealed class CodePairingTests : IndexedStoreTest
{
    private static Observation Observation(string id, string? patient, params Coding[] codes) => new()
    {
        Id = id,
        Status = ObservationStatus.Final,
        Code = new CodeableConcept { Coding = codes.ToList() },
        Subject = patient is null ? null : new ResourceReference(patient),
    };

    private T Sql<T>(string sql)
    {
        using var connection = new SqliteConnection(Store.ConnectionString);
        connection.Open();
        return connection.ExecuteScalar<T>(sql)!;
    }

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection(Store.ConnectionString);
        connection.Open();
        connection.Execute(sql);
    }

    /// <summary>The ids found, through a search store that has not yet seen whether the table is ready.</summary>
    private async Task<List<string>> Ids(string type, string query)
    {
        using var search = new SqliteSearchStore(Store.ConnectionString);
        return (await search.SearchAsync(Query(type, query))).Matches.Select(m => m.Id).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Every match in order, as id/version, through pages of <paramref name="count"/> of a store that has not yet seen whether the table is ready.</summary>
    private async Task<List<string>> Walk(string type, string query, int count)
    {
        using var search = new SqliteSearchStore(Store.ConnectionString);
        return (await Walk(search, type, query, count)).Select(m => $"{m.Id}/{m.Version}").ToList();
    }

    private const string Loinc = "http://loinc.org";

    private static Observation Dated(string id, string patient, string code, string effective, decimal value) => new()
    {
        Id = id,
        Status = ObservationStatus.Final,
        Code = new CodeableConcept(Loinc, code),
        Subject = new ResourceReference(patient),
        Effective = new FhirDateTime(effective),
        Value = new Quantity(value, "{score}"),
    };

    [Fact]
    public async Task A_sorted_page_follows_the_current_version_and_its_date()
    {
        Assert.True(await Write(Dated("d1", "Patient/a", "72514-3", "2025-01-01", 7)));
        Assert.True(await Write(Dated("d2", "Patient/a", "72514-3", "2025-01-02", 6)));
        Assert.True(await Write(Dated("d3", "Patient/a", "72514-3", "2025-01-03", 5)));
        // No date: last either way.
        Assert.True(await Write(Observation("d4", "Patient/a", new Coding(Loinc, "72514-3"))));
        // Another type with the same code parameter (one param_id for both) and code, and the same patient: not a match.
        Assert.True(await Write(new Condition { Id = "c1", Code = new CodeableConcept(Loinc, "72514-3"), Subject = new ResourceReference("Patient/a") }));
        var newest = $"patient=Patient/a&code={Loinc}|72514-3&_sort=-date";
        var oldest = $"patient=Patient/a&code={Loinc}|72514-3&_sort=date";
        Assert.Equal(["d3/1", "d2/1", "d1/1", "d4/1"], await Walk("Observation", newest, 2));
        Assert.Equal(["d1/1", "d2/1", "d3/1", "d4/1"], await Walk("Observation", oldest, 3));

        // A new version with the same patient and code, now the newest, then one with a Period: its rows carry the new
        // version and date bounds.
        Assert.True(await Write(Dated("d1", "Patient/a", "72514-3", "2025-01-04", 3), 2, 1));
        Assert.Equal(["d1/2", "d3/1", "d2/1", "d4/1"], await Walk("Observation", newest, 2));
        var spread = Dated("d2", "Patient/a", "72514-3", "2025-01-01", 4);
        spread.Effective = new Period(new FhirDateTime("2024-12-31"), new FhirDateTime("2025-01-05"));
        Assert.True(await Write(spread, 2, 1));
        Assert.Equal(["d1/2", "d3/1", "d2/2", "d4/1"], await Walk("Observation", newest, 1));
        Assert.Equal(["d2/2", "d3/1", "d1/2", "d4/1"], await Walk("Observation", oldest, 10));
        Assert.Equal(["d1/2", "d2/2", "d3/1", "d4/1"], await Walk("Observation", $"patient=a&code=72514-3", 2));

        // Deleted: gone from every page.
        Assert.True(await Store.TryWriteAsync(new ResourceWrite("Observation", "d3", 2, 1, DateTimeOffset.UtcNow, null, null)));
        Assert.Equal(["d1/2", "d2/2", "d4/1"], await Walk("Observation", newest, 2));

        // Filed at start-up, the rows are the same.
        const string Rows = "SELECT group_concat(type || '/' || rid || '/' || seq || '/' || COALESCE(date_first, 'n') || '/' || COALESCE(date_last, 'n'), ' ') FROM idx_patient_token";
        var written = Sql<string>(Rows);
        Execute("DELETE FROM idx_patient_token; UPDATE search_structure SET ready = 0");
        Store.FileCodePairings(Indexer.CodePairings);
        Assert.Equal(written, Sql<string>(Rows));
    }

    [Fact]
    public async Task Rows_follow_the_current_version_and_a_delete_removes_them()
    {
        Assert.True(await Write(Observation("o1", "Patient/a", new Coding(Loinc, "1"), new Coding(null, "local"))));
        Assert.Equal(2, Sql<long>("SELECT COUNT(*) FROM idx_patient_token"));
        Assert.Equal(["o1"], await Ids("Observation", $"patient=Patient/a&code={Loinc}|1"));
        Assert.Equal(["o1"], await Ids("Observation", "patient=a&code=|local"));

        // Another patient and another code: nothing of the first version is left.
        Assert.True(await Write(Observation("o1", "Patient/b", new Coding(Loinc, "2")), 2, 1));
        Assert.Equal(1, Sql<long>("SELECT COUNT(*) FROM idx_patient_token"));
        Assert.Empty(await Ids("Observation", $"patient=Patient/a&code={Loinc}|1"));
        Assert.Empty(await Ids("Observation", "patient=Patient/a&code=local"));
        Assert.Equal(["o1"], await Ids("Observation", $"patient=Patient/b&code={Loinc}|2"));

        Assert.True(await Store.TryWriteAsync(new ResourceWrite("Observation", "o1", 3, 2, DateTimeOffset.UtcNow, null, null)));
        Assert.Equal(0, Sql<long>("SELECT COUNT(*) FROM idx_patient_token"));
        Assert.Empty(await Ids("Observation", $"patient=Patient/b&code={Loinc}|2"));
    }

    [Fact]
    public async Task The_search_reads_the_table_once_it_is_ready_and_the_other_index_rows_until_then()
    {
        Assert.True(await Write(Observation("o1", "Patient/a", new Coding(Loinc, "1"))));
        Assert.True(await Write(Observation("o2", "Patient/a", new Coding(Loinc, "2"))));
        var search = $"patient=Patient/a&code={Loinc}|1";
        Assert.Equal(["o1"], await Ids("Observation", search));

        // A database from before schema 0008: no rows in the table, not ready. The search still finds o1, without it.
        Execute("DELETE FROM idx_patient_token; UPDATE search_structure SET ready = 0");
        Assert.Equal(["o1"], await Ids("Observation", search));
        // Marked ready while empty, the search finds nothing: it reads the table.
        Execute("UPDATE search_structure SET ready = 1");
        Assert.Empty(await Ids("Observation", search));

        // What start-up does for such a database: the rows filed from the stored reference and token rows.
        Execute("UPDATE search_structure SET ready = 0");
        Store.FileCodePairings(Indexer.CodePairings);
        Assert.Equal(1, Sql<long>("SELECT ready FROM search_structure WHERE name = 'idx_patient_token'"));
        Assert.Equal(2, Sql<long>("SELECT COUNT(*) FROM idx_patient_token"));
        Assert.Equal(["o1"], await Ids("Observation", search));
    }

    [Fact]
    public async Task On_the_Synthea_data_every_patient_and_code_search_finds_what_it_finds_without_the_table()
    {
        var resources = SyntheaData.Resources();
        // All at once: the writer groups them into a few commits.
        Assert.All(await System.Threading.Tasks.Task.WhenAll(resources.Select(r => Write(r))), Assert.True);
        const string Rows = "SELECT group_concat(pid || '/' || type || '/' || param_id || '/' || code || '/' || system || '/' || rid || '/' || seq || '/' || " +
            "COALESCE(date_first, 'n') || '/' || COALESCE(date_last, 'n'), ' ') FROM idx_patient_token";
        var filed = Sql<string>(Rows);
        const string Bits = "SELECT group_concat(rid || '/' || param_id || '/' || n || '/' || COALESCE(code_bits, 'n'), ' ') FROM idx_date";
        var bits = Sql<string>(Bits);
        Assert.True(Sql<long>("SELECT COUNT(*) FROM idx_date WHERE code_bits > 0") > 1000);

        // Filing at start-up gives the same rows and the same code bits (schema 0012) as writing did.
        Execute("DELETE FROM idx_patient_token; UPDATE idx_date SET code_bits = NULL; UPDATE search_structure SET ready = 0");
        Store.FileCodePairings(Indexer.CodePairings);
        Assert.Equal(filed, Sql<string>(Rows));
        Assert.Equal(bits, Sql<string>(Bits));

        // Each patient with codes of its Observations, Conditions and Procedures, in each form a client may write them.
        var queries = new List<(string Type, string Query)>();
        foreach (var group in resources.Where(r => r is Hl7.Fhir.Model.Observation or Condition or Procedure).GroupBy(r => (r.TypeName, Patient: PatientCompartmentOf(r))).Where(g => g.Key.Patient is not null).Take(120))
        {
            var codings = group.SelectMany(CodingsOf).DistinctBy(c => (c.System, c.Code)).Take(4).ToList();
            foreach (var c in codings)
            {
                queries.Add((group.Key.TypeName, $"patient=Patient/{group.Key.Patient}&code={Uri.EscapeDataString(c.System + "|" + c.Code)}"));
                queries.Add((group.Key.TypeName, $"patient={group.Key.Patient}&code={Uri.EscapeDataString(c.Code)}"));
                queries.Add((group.Key.TypeName, $"subject=Patient/{group.Key.Patient}&patient=Patient/{group.Key.Patient}&code={Uri.EscapeDataString(c.System + "|")}"));
            }
            if (codings.Count >= 2)
                queries.Add((group.Key.TypeName, $"patient=Patient/{group.Key.Patient}&code={Uri.EscapeDataString($"{codings[0].System}|{codings[0].Code},{codings[1].Code}")}&_sort=-_lastUpdated"));
            queries.Add((group.Key.TypeName, $"patient=Patient/{group.Key.Patient}&code={Uri.EscapeDataString("|" + codings[0].Code)}"));
        }
        Assert.True(queries.Count > 500, $"only {queries.Count} searches");
        // Pages in date order, walked through their cursors, for the types with a date.
        var walks = queries.Where(q => q.Type is "Observation" or "Procedure").Take(150)
            .SelectMany(q => new[] { (q.Type, Query: q.Query + "&_sort=-date", Count: 3), (q.Type, Query: q.Query + "&_sort=date", Count: 2), (q.Type, q.Query, Count: 4) })
            .ToList();

        var through = new List<List<string>>();
        foreach (var (type, query) in queries) through.Add(await Ids(type, query));
        Assert.True(through.Count(ids => ids.Count > 0) > queries.Count / 2);
        var walked = new List<List<string>>();
        foreach (var (type, query, count) in walks) walked.Add(await Walk(type, query, count));
        Assert.True(walked.Count(ids => ids.Count > 4) > 50);
        Execute("UPDATE search_structure SET ready = 0");
        for (var i = 0; i < queries.Count; i++)
            Assert.True(through[i].SequenceEqual(await Ids(queries[i].Type, queries[i].Query)), $"{queries[i].Type}?{queries[i].Query}");
        for (var i = 0; i < walks.Count; i++)
        {
            var without = await Walk(walks[i].Type, walks[i].Query, walks[i].Count);
            Assert.True(walked[i].SequenceEqual(without), $"{walks[i].Type}?{walks[i].Query}: {string.Join(",", walked[i])} against {string.Join(",", without)}");
        }
    }

    private static string? PatientCompartmentOf(Resource resource) => Core.Rest.PatientCompartment.PatientIdOf(resource);

    private static IEnumerable<Coding> CodingsOf(Resource resource) => resource switch
    {
        Hl7.Fhir.Model.Observation o => o.Code?.Coding ?? [],
        Condition c => c.Code?.Coding ?? [],
        Procedure p => p.Code?.Coding ?? [],
        _ => [],
    };
}
