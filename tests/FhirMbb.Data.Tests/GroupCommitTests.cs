using System.Text;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Tests;

/// <summary>
/// Concurrent writes share a commit in SqliteResourceStore; these check that grouping changes nothing a
/// caller can observe: every acknowledged write is on disk, and a refused or failing write fails alone.
/// </summary>
public sealed class GroupCommitTests : IDisposable
{
    private readonly SqliteTestFolder _folder = new();

    private string DbPath => Path.Combine(_folder.Path, "fhir.db");

    private string ConnectionString => $"Data Source={DbPath}";


    [Fact]
    public async Task Many_concurrent_creates_are_all_acknowledged_and_all_found_after_reopening_the_database()
    {
        const int writers = 500;
        using (var store = new SqliteResourceStore(ConnectionString))
        {
            var results = await Task.WhenAll(Enumerable.Range(0, writers).Select(i => Task.Run(() => store.TryWriteAsync(Create($"obs-{i}")))));
            Assert.All(results, Assert.True);
        }
        SqliteConnection.ClearAllPools();

        using var reopened = new SqliteResourceStore(ConnectionString);
        for (var i = 0; i < writers; i++)
        {
            var stored = await reopened.ReadAsync("Observation", $"obs-{i}");
            Assert.NotNull(stored);
            Assert.Equal(Json($"obs-{i}", 1), Encoding.UTF8.GetString(stored.Json.Span));
        }
    }

    /// <summary>
    /// Transactions of 100 resources are groups large enough to have their log flushed by the syncer thread while the
    /// writer applies the next; single creates among them flush in their own commits. All are acknowledged, and all
    /// are there after reopening.
    /// </summary>
    [Fact]
    public async Task Concurrent_large_transactions_and_single_creates_are_all_acknowledged_and_all_found_after_reopening()
    {
        const int transactions = 24, perTransaction = 100, singles = 200;
        using (var store = new SqliteResourceStore(ConnectionString))
        {
            var large = Enumerable.Range(0, transactions).Select(t => Task.Run(() =>
                store.TryWriteAllAsync(Enumerable.Range(0, perTransaction).Select(i => Create($"tx{t}-{i}")).ToList())));
            var small = Enumerable.Range(0, singles).Select(i => Task.Run(() => store.TryWriteAsync(Create($"single-{i}"))));
            var results = await Task.WhenAll(large);
            Assert.All(results, r => Assert.Equal(-1, r));
            Assert.All(await Task.WhenAll(small), Assert.True);
            Assert.True(store.DeferredFlushes > 0);
        }
        SqliteConnection.ClearAllPools();

        using var reopened = new SqliteResourceStore(ConnectionString);
        for (var t = 0; t < transactions; t++)
            for (var i = 0; i < perTransaction; i++)
                Assert.Equal(Json($"tx{t}-{i}", 1), Encoding.UTF8.GetString((await reopened.ReadAsync("Observation", $"tx{t}-{i}"))!.Json.Span));
        for (var i = 0; i < singles; i++) Assert.NotNull(await reopened.ReadAsync("Observation", $"single-{i}"));
    }

    [Fact]
    public async Task In_a_large_group_a_refused_transaction_fails_alone_and_the_others_are_acknowledged()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        Assert.True(await store.TryWriteAsync(Create("shared")));
        Assert.Equal(0, store.DeferredFlushes);

        // Three transactions of ~30 resources queued together: one group of 91, large enough for the syncer's flush.
        var (group, release) = await HoldWriterAsync(store);
        var good = store.TryWriteAllAsync(Enumerable.Range(0, 30).Select(i => Create($"good-{i}")).ToList());
        // The update of "shared" expects version 2, which does not exist: the transaction is refused at its last entry.
        var refused = store.TryWriteAllAsync([.. Enumerable.Range(0, 30).Select(i => Create($"refused-{i}")), Update("shared", version: 3, expected: 2, note: "stale")]);
        var after = store.TryWriteAllAsync(Enumerable.Range(0, 30).Select(i => Create($"after-{i}")).ToList());
        release();
        await group;

        Assert.Equal(-1, await good);
        Assert.Equal(30, await refused);
        Assert.Equal(-1, await after);
        Assert.Equal(1, store.DeferredFlushes);
        Assert.NotNull(await store.ReadAsync("Observation", "good-29"));
        Assert.NotNull(await store.ReadAsync("Observation", "after-0"));
        Assert.Null(await store.ReadAsync("Observation", "refused-0"));
        Assert.Equal(1, (await store.ReadAsync("Observation", "shared"))!.Version);
    }

    [Fact]
    public async Task A_conflicting_write_in_a_group_fails_alone_and_leaves_no_version_behind()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        Assert.True(await store.TryWriteAsync(Create("shared")));

        var (group, release) = await HoldWriterAsync(store);
        var creates = Enumerable.Range(0, 20).Select(i => store.TryWriteAsync(Create($"other-{i}"))).ToList();
        var first = store.TryWriteAsync(Update("shared", version: 2, expected: 1, note: "first"));
        var second = store.TryWriteAsync(Update("shared", version: 2, expected: 1, note: "second"));
        var next = store.TryWriteAsync(Update("shared", version: 3, expected: 2, note: "next"));
        // Its version row is new, so only the check on the current row refuses it: that row must be undone too.
        var stale = store.TryWriteAsync(Update("shared", version: 4, expected: 1, note: "stale"));
        release();
        await group;

        Assert.True(await first);
        Assert.False(await second);
        Assert.True(await next); // it expected version 2, which the first write made current in the same group
        Assert.False(await stale);
        Assert.All(await Task.WhenAll(creates), Assert.True);
        var history = await store.HistoryAsync(new HistoryQuery("Observation", "shared", null, 100, null));
        Assert.Equal([3, 2, 1], history.Entries.Select(e => e.Version));
        var v2 = await store.ReadVersionAsync("Observation", "shared", 2);
        Assert.Contains("first", Encoding.UTF8.GetString(v2!.Json.Span));
    }

    [Fact]
    public async Task A_write_that_throws_in_a_group_fails_alone_while_the_others_commit()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        var (group, release) = await HoldWriterAsync(store);
        var good = Enumerable.Range(0, 10).Select(i => store.TryWriteAsync(Create($"good-{i}"))).ToList();
        // A null type breaks a NOT NULL constraint inside the transaction: a fault, not a version conflict.
        var broken = store.TryWriteAsync(Create("broken") with { Type = null! });
        release();
        await group;

        await Assert.ThrowsAsync<SqliteException>(() => broken);
        Assert.All(await Task.WhenAll(good), Assert.True);
        SqliteConnection.ClearAllPools();
        using var reopened = new SqliteResourceStore(ConnectionString);
        for (var i = 0; i < 10; i++) Assert.NotNull(await reopened.ReadAsync("Observation", $"good-{i}"));
    }

    /// <summary>
    /// Holds the database's write lock from a second connection, so the store's writer thread waits on its
    /// current write while the test queues the next ones: those then commit as one group once released.
    /// </summary>
    private async Task<(Task Group, Action Release)> HoldWriterAsync(SqliteResourceStore store)
    {
        var blocker = new SqliteConnection(ConnectionString + ";Pooling=False");
        blocker.Open();
        var transaction = blocker.BeginTransaction(deferred: false);
        var head = store.TryWriteAsync(Create($"head-{Guid.NewGuid():N}"));
        await Task.Delay(200); // lets the writer take the head write and block on the lock; only grouping depends on it
        return (head, () =>
        {
            transaction.Rollback();
            transaction.Dispose();
            blocker.Dispose();
        });
    }

    [Fact]
    public async Task A_writer_idle_after_writing_gives_its_memory_back_once_and_then_writes_and_reads_as_before()
    {
        using var store = new SqliteResourceStore(ConnectionString) { IdleBeforeShrink = TimeSpan.FromMilliseconds(50) };
        await Task.Delay(200);
        Assert.Equal(0, store.Shrinks); // nothing written yet, nothing to give back

        Assert.True(await store.TryWriteAsync(Create("before")));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (store.Shrinks == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(1, store.Shrinks);
        await Task.Delay(300);
        Assert.Equal(1, store.Shrinks); // still idle, but nothing written since

        Assert.True(await store.TryWriteAsync(Create("after")));
        Assert.True(await store.TryWriteAsync(Update("before", version: 2, expected: 1, note: "changed")));
        Assert.False(await store.TryWriteAsync(Update("before", version: 3, expected: 1, note: "stale")));
        Assert.Equal(Json("after", 1), Encoding.UTF8.GetString((await store.ReadAsync("Observation", "after"))!.Json.Span));
        Assert.Equal(Json("before", 2, "changed"), Encoding.UTF8.GetString((await store.ReadAsync("Observation", "before"))!.Json.Span));
        deadline = DateTime.UtcNow.AddSeconds(10);
        while (store.Shrinks == 1 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(2, store.Shrinks);
    }

    private static ResourceWrite Create(string id) =>
        new("Observation", id, 1, null, DateTimeOffset.UnixEpoch, Encoding.UTF8.GetBytes(Json(id, 1)), "p1");

    private static ResourceWrite Update(string id, int version, int expected, string note) =>
        new("Observation", id, version, expected, DateTimeOffset.UnixEpoch, Encoding.UTF8.GetBytes(Json(id, version, note)), "p1");

    private static string Json(string id, int version, string note = "") =>
        $$"""{"resourceType":"Observation","id":"{{id}}","meta":{"versionId":"{{version}}"},"status":"final","note":[{"text":"{{note}}"}]}""";

    public void Dispose() => _folder.Dispose();
}
