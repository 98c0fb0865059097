using System.Text;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Tests;

/// <summary>
/// Reads go through open connections with prepared statements that are reused across requests; reused
/// statements must still see every committed write, and concurrent readers must not share a session.
/// </summary>
public sealed class ReaderSessionTests : IDisposable
{
    private readonly SqliteTestFolder _folder = new();

    private string ConnectionString => _folder.ConnectionString();

    private static ResourceWrite Write(string id, int version, string patient, string note) => new(
        "Observation", id, version, version == 1 ? null : version - 1, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000 + version),
        Encoding.UTF8.GetBytes($"{{\"resourceType\":\"Observation\",\"id\":\"{id}\",\"note\":\"{note}\"}}"), patient);

    private static string Note(StoredResource? stored) => Encoding.UTF8.GetString(stored!.Json.Span).Split("\"note\":\"")[1].TrimEnd('"', '}');

    [Fact]
    public async Task Concurrent_reads_during_updates_always_see_a_committed_version_and_end_on_the_last()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        const int resources = 8;
        for (var i = 0; i < resources; i++) Assert.True(await store.TryWriteAsync(Write($"r{i}", 1, "p1", "v1")));

        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 16).Select(worker => Task.Run(async () =>
        {
            var reads = 0;
            while (!stop.IsCancellationRequested)
            {
                var id = $"r{reads++ % resources}";
                var stored = await store.ReadAsync("Observation", id);
                Assert.NotNull(stored);
                // Every answer is one whole committed version: its JSON and its version number agree.
                Assert.Equal($"v{stored.Version}", Note(stored));
                Assert.Equal(id, stored.Id);
                Assert.Equal("p1", stored.PatientId);
                // A read by id completes synchronously; a request gives its thread back between reads (it writes
                // the response), so the readers do too, or sixteen busy loops starve the writers' continuations.
                await Task.Yield();
            }
            return reads;
        })).ToList();

        for (var version = 2; version <= 6; version++)
            for (var i = 0; i < resources; i++)
                Assert.True(await store.TryWriteAsync(Write($"r{i}", version, "p1", $"v{version}")));
        stop.Cancel();
        var counts = await Task.WhenAll(readers);

        Assert.All(counts, n => Assert.True(n > 0));
        for (var i = 0; i < resources; i++)
        {
            var current = await store.ReadAsync("Observation", $"r{i}");
            Assert.Equal(6, current!.Version);
            Assert.Equal("v6", Note(current));
            Assert.Equal("v3", Note(await store.ReadVersionAsync("Observation", $"r{i}", 3)));
        }
        var listed = await store.ListForPatientAsync("Observation", "p1");
        Assert.Equal(resources, listed.Count);
        Assert.All(listed, s => Assert.Equal(6, s.Version));
    }

    [Fact]
    public async Task Missing_resources_and_versions_are_null_and_deleted_ones_leave_the_compartment_list()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        Assert.True(await store.TryWriteAsync(Write("kept", 1, "p2", "v1")));
        Assert.True(await store.TryWriteAsync(Write("gone", 1, "p2", "v1")));
        Assert.True(await store.TryWriteAsync(new ResourceWrite("Observation", "gone", 2, 1, DateTimeOffset.UtcNow, null, "p2")));

        Assert.Null(await store.ReadAsync("Observation", "never"));
        Assert.Null(await store.ReadVersionAsync("Observation", "kept", 2));
        var deleted = await store.ReadAsync("Observation", "gone");
        Assert.True(deleted!.Deleted);
        Assert.True(deleted.Json.IsEmpty);
        Assert.Equal("p2", deleted.PatientId);
        Assert.Equal(["kept"], (await store.ListForPatientAsync("Observation", "p2")).Select(s => s.Id));
    }

    [Fact]
    public async Task A_compartment_list_reads_the_json_only_of_the_rows_asked_for_and_shows_each_its_stored_facts()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        Assert.True(await store.TryWriteAsync(Write("a", 1, "p3", "a1") with { Facts = [1, 2, 3] }));
        Assert.True(await store.TryWriteAsync(Write("b", 1, "p3", "b1") with { Facts = [9] }));
        Assert.True(await store.TryWriteAsync(Write("b", 2, "p3", "b2")));

        var seen = new List<(string, int, string)>();
        var listed = await store.ListForPatientAsync("Observation", "p3", (key, facts) =>
        {
            seen.Add((key.Id, key.Version, Convert.ToHexString(facts)));
            return key.Id == "b";
        });

        // b's facts were its first version's: the current one has none.
        Assert.Equal([("a", 1, "010203"), ("b", 2, "")], seen.Order());
        var byId = listed.ToDictionary(s => s.Id);
        Assert.True(byId["a"].Json.IsEmpty);
        Assert.Equal(1, byId["a"].Version);
        Assert.Equal([1, 2, 3], byId["a"].Facts.ToArray());
        // The time comes with the row whether its JSON was read or not.
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_001), byId["a"].LastUpdated);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_002), byId["b"].LastUpdated);
        Assert.Equal("b2", Note(byId["b"]));
        Assert.True(byId["b"].Facts.IsEmpty);
        Assert.Equal((await store.ReadAsync("Observation", "b"))!.Sequence, byId["b"].Sequence);
        Assert.Equal("010203", Convert.ToHexString((await store.ListForPatientAsync("Observation", "p3")).Single(s => s.Id == "a").Facts.Span));
    }

    [Fact]
    public async Task A_row_written_before_its_time_and_facts_were_kept_is_listed_from_its_version_row()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        Assert.True(await store.TryWriteAsync(Write("old", 1, "p4", "o1") with { Facts = [5] }));
        using (var connection = new SqliteConnection(ConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // As schema 0007 leaves a row it found.
            command.CommandText = "UPDATE resource SET last_updated = NULL, facts = NULL WHERE id = 'old'";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        var listed = Assert.Single(await store.ListForPatientAsync("Observation", "p4", (_, facts) => !facts.IsEmpty));

        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_001), listed.LastUpdated);
        Assert.True(listed.Json.IsEmpty);
        Assert.True(listed.Facts.IsEmpty);
    }

    public void Dispose() => _folder.Dispose();
}
