using System.Text;
using Dapper;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Tests;

public sealed class SqliteResourceStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fhirmbb-store-tests", Guid.NewGuid().ToString("N"));
    private string ConnectionString => $"Data Source={Path.Combine(_directory, "store.db")}";

    public SqliteResourceStoreTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { /* best effort */ }
    }

    private static ResourceWrite Write(string id, int version, int? expected, string? json = "{}", string? patient = null) =>
        new("Observation", id, version, expected, DateTimeOffset.UnixEpoch.AddDays(version), json is null ? null : Encoding.UTF8.GetBytes(json), patient);

    [Fact]
    public async Task A_written_version_reads_back_byte_for_byte()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        Assert.True(await store.TryWriteAsync(Write("a", 1, null, "{\"resourceType\":\"Observation\",\"id\":\"a\"}")));

        var read = await store.ReadAsync("Observation", "a");

        Assert.NotNull(read);
        Assert.Equal("{\"resourceType\":\"Observation\",\"id\":\"a\"}", Encoding.UTF8.GetString(read.Json.Span));
        Assert.Equal(1, read.Version);
        Assert.False(read.Deleted);
    }

    [Fact]
    public async Task A_second_create_of_the_same_id_is_refused()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        Assert.True(await store.TryWriteAsync(Write("a", 1, null)));
        Assert.False(await store.TryWriteAsync(Write("a", 1, null)));
    }

    [Fact]
    public async Task An_update_against_a_stale_version_is_refused_and_leaves_no_trace()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        await store.TryWriteAsync(Write("a", 1, null, "{\"v\":1}"));
        Assert.True(await store.TryWriteAsync(Write("a", 2, 1, "{\"v\":2}")));

        Assert.False(await store.TryWriteAsync(Write("a", 3, 1, "{\"v\":\"stale\"}")));

        var history = await store.HistoryAsync(new HistoryQuery("Observation", "a", null, 10, null));
        Assert.Equal([2, 1], history.Entries.Select(e => e.Version));
        Assert.Equal("{\"v\":2}", Encoding.UTF8.GetString((await store.ReadAsync("Observation", "a"))!.Json.Span));
    }

    [Fact]
    public async Task Concurrent_creates_of_one_id_let_exactly_one_through()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => store.TryWriteAsync(Write("same", 1, null)))));
        Assert.Equal(1, results.Count(r => r));
    }

    [Fact]
    public async Task A_delete_is_a_version_and_keeps_the_earlier_ones()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        await store.TryWriteAsync(Write("a", 1, null, "{\"v\":1}", patient: "p1"));
        Assert.True(await store.TryWriteAsync(Write("a", 2, 1, json: null)));

        var current = await store.ReadAsync("Observation", "a");
        Assert.True(current!.Deleted);
        Assert.True(current.Json.IsEmpty);
        Assert.False((await store.ReadVersionAsync("Observation", "a", 1))!.Deleted);
        Assert.Empty(await store.ListForPatientAsync("Observation", "p1"));
    }

    [Fact]
    public async Task Acknowledged_writes_survive_closing_and_reopening_the_database()
    {
        using (var store = new SqliteResourceStore(ConnectionString))
        {
            for (var i = 1; i <= 5; i++) Assert.True(await store.TryWriteAsync(Write($"r{i}", 1, null)));
        }
        SqliteConnection.ClearAllPools();

        using var reopened = new SqliteResourceStore(ConnectionString);
        for (var i = 1; i <= 5; i++) Assert.NotNull(await reopened.ReadAsync("Observation", $"r{i}"));
    }

    [Fact]
    public async Task Migrations_run_once_and_a_second_start_on_the_same_file_is_ready()
    {
        using var first = new SqliteResourceStore(ConnectionString);
        using var second = new SqliteResourceStore(ConnectionString);
        Assert.True(await second.IsReadyAsync());
        await using var connection = new SqliteConnection(ConnectionString);
        Assert.Equal(SqliteSchema.Scripts.Count, connection.ExecuteScalar<int>("SELECT COUNT(*) FROM schema_migration"));
        Assert.Equal("wal", connection.ExecuteScalar<string>("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task History_pages_newest_first_with_a_cursor()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        for (var i = 1; i <= 5; i++) await store.TryWriteAsync(Write($"h{i}", 1, null));

        var first = await store.HistoryAsync(new HistoryQuery("Observation", null, null, 2, null));
        var second = await store.HistoryAsync(new HistoryQuery("Observation", null, null, 2, first.NextBeforeSequence));
        var third = await store.HistoryAsync(new HistoryQuery("Observation", null, null, 2, second.NextBeforeSequence));

        Assert.Equal(["h5", "h4", "h3", "h2", "h1"], first.Entries.Concat(second.Entries).Concat(third.Entries).Select(e => e.Id));
        Assert.Null(third.NextBeforeSequence);
    }

    [Fact]
    public async Task Patient_compartment_lists_current_resources_of_that_patient_only()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        await store.TryWriteAsync(Write("mine", 1, null, patient: "p1"));
        await store.TryWriteAsync(Write("theirs", 1, null, patient: "p2"));

        var listed = await store.ListForPatientAsync("Observation", "p1");

        Assert.Equal(["mine"], listed.Select(r => r.Id));
    }
}
