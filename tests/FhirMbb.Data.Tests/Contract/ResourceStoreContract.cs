using System.Text;
using FhirMbb.Core.Storage;

namespace FhirMbb.Data.Tests.Contract;

/// <summary>
/// What every resource store must do, written once and run per provider: each derived class supplies a
/// fresh database per test. A provider that cannot run here (no server) reports every case as skipped.
/// </summary>
public abstract class ResourceStoreContract : IAsyncLifetime
{
    private readonly List<IResourceStore> _open = [];

    /// <summary>Null when the provider can run on this machine; otherwise why not, shown as the skip reason.</summary>
    protected abstract string? SkipReason { get; }

    protected abstract Task CreateDatabaseAsync();

    protected abstract Task DropDatabaseAsync();

    /// <summary>A new store instance on this test's database; opening it applies migrations, as at start-up.</summary>
    protected abstract Task<IResourceStore> OpenStoreAsync();

    protected abstract Task<int> CountMigrationRowsAsync();

    protected abstract int ScriptCount { get; }

    /// <summary>Called after a store was closed, so a provider can drop pooled connections.</summary>
    protected virtual void AfterClose() { }

    public async Task InitializeAsync()
    {
        if (SkipReason is null) await CreateDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _open) (store as IDisposable)?.Dispose();
        _open.Clear();
        AfterClose();
        if (SkipReason is null) await DropDatabaseAsync();
    }

    protected async Task<IResourceStore> StoreAsync()
    {
        Skip.If(SkipReason is not null, SkipReason);
        var store = await OpenStoreAsync();
        lock (_open) _open.Add(store);
        return store;
    }

    private void Close(IResourceStore store)
    {
        (store as IDisposable)?.Dispose();
        _open.Remove(store);
        AfterClose();
    }

    protected static ResourceWrite Write(string id, int version, int? expected, string? json = "{}", string? patient = null, string type = "Observation") =>
        new(type, id, version, expected, DateTimeOffset.UnixEpoch.AddDays(version), json is null ? null : Encoding.UTF8.GetBytes(json), patient);

    private static string Text(StoredResource? stored) => Encoding.UTF8.GetString(Assert.IsType<StoredResource>(stored).Json.Span);

    [SkippableFact]
    public async Task A_written_version_reads_back_byte_for_byte()
    {
        var store = await StoreAsync();
        var bytes = Encoding.UTF8.GetBytes("{\"resourceType\":\"Observation\",\"id\":\"a\",\"note\":[{\"text\":\"douleur lombaire \u00e9\u00e8 \u2014 L4/L5\"}]}");
        Assert.True(await store.TryWriteAsync(new ResourceWrite("Observation", "a", 1, null, DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_123), bytes, "p1")));

        var read = await store.ReadAsync("Observation", "a");

        Assert.NotNull(read);
        Assert.Equal(bytes, read.Json.ToArray());
        Assert.Equal(1, read.Version);
        Assert.False(read.Deleted);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_123), read.LastUpdated);
        Assert.True(read.Sequence > 0);
    }

    [SkippableFact]
    public async Task A_resource_that_never_existed_reads_as_null()
    {
        var store = await StoreAsync();
        Assert.Null(await store.ReadAsync("Observation", "nobody"));
        Assert.Null(await store.ReadVersionAsync("Observation", "nobody", 1));
    }

    [SkippableFact]
    public async Task A_second_create_of_the_same_id_is_refused()
    {
        var store = await StoreAsync();
        Assert.True(await store.TryWriteAsync(Write("a", 1, null, "{\"first\":true}")));
        Assert.False(await store.TryWriteAsync(Write("a", 1, null, "{\"second\":true}")));
        Assert.Equal("{\"first\":true}", Text(await store.ReadAsync("Observation", "a")));
    }

    [SkippableFact]
    public async Task Ids_that_differ_only_in_case_are_different_resources()
    {
        // FHIR ids are case-sensitive; a case-insensitive collation would merge these two.
        var store = await StoreAsync();
        Assert.True(await store.TryWriteAsync(Write("abc", 1, null, "{\"lower\":1}")));
        Assert.True(await store.TryWriteAsync(Write("ABC", 1, null, "{\"upper\":1}")));
        Assert.Equal("{\"lower\":1}", Text(await store.ReadAsync("Observation", "abc")));
        Assert.Equal("{\"upper\":1}", Text(await store.ReadAsync("Observation", "ABC")));
    }

    [SkippableFact]
    public async Task An_update_against_a_stale_version_is_refused_and_leaves_no_trace()
    {
        var store = await StoreAsync();
        await store.TryWriteAsync(Write("a", 1, null, "{\"v\":1}"));
        Assert.True(await store.TryWriteAsync(Write("a", 2, 1, "{\"v\":2}")));

        Assert.False(await store.TryWriteAsync(Write("a", 3, 1, "{\"v\":\"stale\"}")));

        var history = await store.HistoryAsync(new HistoryQuery("Observation", "a", null, 10, null));
        Assert.Equal([2, 1], history.Entries.Select(e => e.Version));
        Assert.Equal("{\"v\":2}", Text(await store.ReadAsync("Observation", "a")));
        Assert.Null(await store.ReadVersionAsync("Observation", "a", 3));
    }

    [SkippableFact]
    public async Task Concurrent_creates_of_one_id_let_exactly_one_through()
    {
        var store = await StoreAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(() => store.TryWriteAsync(Write("same", 1, null, $"{{\"writer\":{i}}}")))));
        Assert.Equal(1, results.Count(r => r));
        var history = await store.HistoryAsync(new HistoryQuery("Observation", "same", null, 100, null));
        Assert.Single(history.Entries);
    }

    [SkippableFact]
    public async Task Concurrent_updates_from_the_same_version_let_exactly_one_through()
    {
        var store = await StoreAsync();
        await store.TryWriteAsync(Write("a", 1, null));
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => store.TryWriteAsync(Write("a", 2, 1, $"{{\"writer\":{i}}}")))));
        Assert.Equal(1, results.Count(r => r));
        Assert.Equal(2, (await store.ReadAsync("Observation", "a"))!.Version);
    }

    [SkippableFact]
    public async Task A_delete_is_a_version_and_keeps_the_earlier_ones()
    {
        var store = await StoreAsync();
        await store.TryWriteAsync(Write("a", 1, null, "{\"v\":1}", patient: "p1"));
        Assert.True(await store.TryWriteAsync(Write("a", 2, 1, json: null)));

        var current = await store.ReadAsync("Observation", "a");
        Assert.True(current!.Deleted);
        Assert.Equal(2, current.Version);
        Assert.True(current.Json.IsEmpty);
        Assert.Equal("{\"v\":1}", Text(await store.ReadVersionAsync("Observation", "a", 1)));
        Assert.False((await store.ReadVersionAsync("Observation", "a", 1))!.Deleted);
        Assert.Empty(await store.ListForPatientAsync("Observation", "p1"));
    }

    [SkippableFact]
    public async Task A_deleted_resource_can_be_written_again_as_the_next_version()
    {
        var store = await StoreAsync();
        await store.TryWriteAsync(Write("a", 1, null, patient: "p1"));
        await store.TryWriteAsync(Write("a", 2, 1, json: null));

        Assert.True(await store.TryWriteAsync(Write("a", 3, 2, "{\"back\":true}", patient: "p1")));

        Assert.Equal("{\"back\":true}", Text(await store.ReadAsync("Observation", "a")));
        Assert.Equal(["a"], (await store.ListForPatientAsync("Observation", "p1")).Select(r => r.Id));
    }

    [SkippableFact]
    public async Task The_facts_written_with_a_version_come_back_with_it_in_the_compartment_list()
    {
        var store = await StoreAsync();
        await store.TryWriteAsync(Write("a", 1, null, patient: "p1") with { Facts = [1, 0] });
        await store.TryWriteAsync(Write("a", 2, 1, "{\"v\":2}", patient: "p1") with { Facts = [1, 1, 7] });
        await store.TryWriteAsync(Write("b", 1, null, patient: "p1"));

        var listed = (await store.ListForPatientAsync("Observation", "p1")).ToDictionary(r => r.Id);

        Assert.Equal([1, 1, 7], listed["a"].Facts.ToArray());
        Assert.Equal("{\"v\":2}", Text(listed["a"]));
        Assert.True(listed["b"].Facts.IsEmpty);
    }

    [SkippableFact]
    public async Task Acknowledged_writes_survive_closing_and_reopening_the_store()
    {
        var store = await StoreAsync();
        for (var i = 1; i <= 5; i++) Assert.True(await store.TryWriteAsync(Write($"r{i}", 1, null)));
        Close(store);

        var reopened = await StoreAsync();
        for (var i = 1; i <= 5; i++) Assert.NotNull(await reopened.ReadAsync("Observation", $"r{i}"));
    }

    [SkippableFact]
    public async Task Migrations_run_once_when_several_instances_start_on_one_database_at_once()
    {
        Skip.If(SkipReason is not null, SkipReason);
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(StoreAsync)));
        var again = await StoreAsync();

        Assert.All(stores.Append(again), s => Assert.True(s.IsReadyAsync().GetAwaiter().GetResult()));
        Assert.Equal(ScriptCount, await CountMigrationRowsAsync());
        Assert.True(await stores[0].TryWriteAsync(Write("after-migration", 1, null)));
        Assert.NotNull(await again.ReadAsync("Observation", "after-migration"));
    }

    [SkippableFact]
    public async Task History_pages_newest_first_with_a_cursor()
    {
        var store = await StoreAsync();
        for (var i = 1; i <= 5; i++) await store.TryWriteAsync(Write($"h{i}", 1, null));
        await store.TryWriteAsync(Write("other-type", 1, null, type: "Procedure"));

        var first = await store.HistoryAsync(new HistoryQuery("Observation", null, null, 2, null));
        var second = await store.HistoryAsync(new HistoryQuery("Observation", null, null, 2, first.NextBeforeSequence));
        var third = await store.HistoryAsync(new HistoryQuery("Observation", null, null, 2, second.NextBeforeSequence));

        Assert.Equal(["h5", "h4", "h3", "h2", "h1"], first.Entries.Concat(second.Entries).Concat(third.Entries).Select(e => e.Id));
        Assert.NotNull(first.NextBeforeSequence);
        Assert.Null(third.NextBeforeSequence);
    }

    [SkippableFact]
    public async Task Whole_server_history_covers_every_type_and_since_filters_by_last_updated()
    {
        var store = await StoreAsync();
        await store.TryWriteAsync(Write("o", 1, null));
        await store.TryWriteAsync(Write("o", 2, 1));
        await store.TryWriteAsync(Write("p", 1, null, type: "Procedure"));

        var all = await store.HistoryAsync(new HistoryQuery(null, null, null, 10, null));
        var since = await store.HistoryAsync(new HistoryQuery(null, null, DateTimeOffset.UnixEpoch.AddDays(2), 10, null));

        Assert.Equal(["Procedure/p/1", "Observation/o/2", "Observation/o/1"], all.Entries.Select(e => $"{e.Type}/{e.Id}/{e.Version}"));
        Assert.Equal(["Observation/o/2"], since.Entries.Select(e => $"{e.Type}/{e.Id}/{e.Version}"));
    }

    [SkippableFact]
    public async Task Patient_compartment_lists_current_resources_of_that_patient_only()
    {
        var store = await StoreAsync();
        await store.TryWriteAsync(Write("mine", 1, null, "{\"v\":1}", patient: "p1"));
        await store.TryWriteAsync(Write("mine", 2, 1, "{\"v\":2}", patient: "p1"));
        await store.TryWriteAsync(Write("theirs", 1, null, patient: "p2"));
        await store.TryWriteAsync(Write("my-procedure", 1, null, patient: "p1", type: "Procedure"));

        var listed = await store.ListForPatientAsync("Observation", "p1");

        Assert.Equal(["mine"], listed.Select(r => r.Id));
        Assert.Equal("{\"v\":2}", Text(listed[0]));
    }

    [SkippableFact]
    public async Task A_multi_write_stores_every_version_in_one_go()
    {
        var store = await StoreAsync();
        await store.TryWriteAsync(Write("existing", 1, null));

        var result = await store.TryWriteAllAsync([Write("new", 1, null), Write("existing", 2, 1), Write("gone", 1, null)]);

        Assert.Equal(-1, result);
        Assert.Equal(2, (await store.ReadAsync("Observation", "existing"))!.Version);
        Assert.NotNull(await store.ReadAsync("Observation", "new"));
        Assert.NotNull(await store.ReadAsync("Observation", "gone"));
    }

    [SkippableFact]
    public async Task A_multi_write_with_one_conflict_stores_none_of_it_and_names_the_conflict()
    {
        var store = await StoreAsync();
        await store.TryWriteAsync(Write("existing", 1, null, "{\"v\":1}"));
        await store.TryWriteAsync(Write("taken", 1, null));
        var before = await store.HistoryAsync(new HistoryQuery(null, null, null, 100, null));

        var result = await store.TryWriteAllAsync([Write("new", 1, null), Write("existing", 2, 1, "{\"v\":2}"), Write("taken", 1, null), Write("later", 1, null)]);

        Assert.Equal(2, result);
        Assert.Null(await store.ReadAsync("Observation", "new"));
        Assert.Null(await store.ReadAsync("Observation", "later"));
        Assert.Equal("{\"v\":1}", Text(await store.ReadAsync("Observation", "existing")));
        var after = await store.HistoryAsync(new HistoryQuery(null, null, null, 100, null));
        Assert.Equal(before.Entries.Select(e => e.Sequence), after.Entries.Select(e => e.Sequence));
        // The store stays usable after the rollback.
        Assert.True(await store.TryWriteAsync(Write("new", 1, null)));
    }

    [SkippableFact]
    public async Task History_with_a_patient_keeps_only_that_patients_resources_including_their_deletions()
    {
        var store = await StoreAsync();
        await store.TryWriteAsync(Write("p1", 1, null, patient: "p1", type: "Patient"));
        await store.TryWriteAsync(Write("p2", 1, null, patient: "p2", type: "Patient"));
        await store.TryWriteAsync(Write("o1", 1, null, patient: "p1"));
        await store.TryWriteAsync(Write("o2", 1, null, patient: "p2"));
        await store.TryWriteAsync(Write("o1", 2, 1, json: null));
        await store.TryWriteAsync(Write("orphan", 1, null));

        var system = await store.HistoryAsync(new HistoryQuery(null, null, null, 100, null, PatientId: "p1"));
        var type = await store.HistoryAsync(new HistoryQuery("Observation", null, null, 100, null, PatientId: "p1"));

        Assert.Equal(["Observation/o1/2", "Observation/o1/1", "Patient/p1/1"], system.Entries.Select(e => $"{e.Type}/{e.Id}/{e.Version}"));
        Assert.Equal(["o1", "o1"], type.Entries.Select(e => e.Id));
        Assert.All(system.Entries, e => Assert.Equal("p1", e.PatientId));
        Assert.Equal(6, (await store.HistoryAsync(new HistoryQuery(null, null, null, 100, null))).Entries.Count);
    }

    [SkippableFact]
    public async Task Reads_carry_the_compartment_owner_even_after_a_delete()
    {
        var store = await StoreAsync();
        await store.TryWriteAsync(Write("o1", 1, null, patient: "p1"));
        await store.TryWriteAsync(Write("o1", 2, 1, json: null));

        var current = await store.ReadAsync("Observation", "o1");

        Assert.True(current!.Deleted);
        Assert.Equal("p1", current.PatientId);
        Assert.Equal("p1", (await store.ReadVersionAsync("Observation", "o1", 1))!.PatientId);
    }

    private static ResourceWrite Claiming(string id, string key, string? staleOwner = null, string type = "Patient") =>
        Write(id, 1, null, type: type) with { Claim = new ConditionalClaim(key, staleOwner) };

    [SkippableFact]
    public async Task A_conditional_key_has_one_owner_and_a_second_claim_stores_nothing()
    {
        var store = await StoreAsync();
        Assert.True(await store.TryWriteAsync(Claiming("first", "identifier=sys%7C1")));

        Assert.False(await store.TryWriteAsync(Claiming("second", "identifier=sys%7C1")));

        Assert.Equal("first", await store.ConditionalKeyOwnerAsync("Patient", "identifier=sys%7C1"));
        Assert.Null(await store.ReadAsync("Patient", "second"));
        Assert.Null(await store.ConditionalKeyOwnerAsync("Patient", "identifier=sys%7C2"));
        // Keys are per type.
        Assert.True(await store.TryWriteAsync(Claiming("obs", "identifier=sys%7C1", type: "Observation")));
        Assert.Equal("obs", await store.ConditionalKeyOwnerAsync("Observation", "identifier=sys%7C1"));
    }

    [SkippableFact]
    public async Task Concurrent_claims_of_one_conditional_key_let_exactly_one_resource_through()
    {
        var store = await StoreAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(() => store.TryWriteAsync(Claiming($"racer{i}", "identifier=race")))));

        Assert.Equal(1, results.Count(r => r));
        var owner = await store.ConditionalKeyOwnerAsync("Patient", "identifier=race");
        Assert.Equal($"racer{Array.IndexOf(results, true)}", owner);
        var history = await store.HistoryAsync(new HistoryQuery("Patient", null, null, 100, null));
        Assert.Equal([owner], history.Entries.Select(e => e.Id));
    }

    [SkippableFact]
    public async Task Deleting_the_owner_releases_its_conditional_key()
    {
        var store = await StoreAsync();
        await store.TryWriteAsync(Claiming("owner", "identifier=k"));
        Assert.True(await store.TryWriteAsync(Write("owner", 2, 1, json: null, type: "Patient")));

        Assert.Null(await store.ConditionalKeyOwnerAsync("Patient", "identifier=k"));
        Assert.True(await store.TryWriteAsync(Claiming("successor", "identifier=k")));
        Assert.Equal("successor", await store.ConditionalKeyOwnerAsync("Patient", "identifier=k"));
    }

    [SkippableFact]
    public async Task An_update_keeps_the_key_and_only_a_claim_naming_the_stale_owner_takes_it_over()
    {
        var store = await StoreAsync();
        await store.TryWriteAsync(Claiming("old", "identifier=k"));
        Assert.True(await store.TryWriteAsync(Write("old", 2, 1, "{\"changed\":true}", type: "Patient")));
        Assert.Equal("old", await store.ConditionalKeyOwnerAsync("Patient", "identifier=k"));

        Assert.False(await store.TryWriteAsync(Claiming("wrong", "identifier=k", staleOwner: "someone-else")));
        Assert.True(await store.TryWriteAsync(Claiming("new", "identifier=k", staleOwner: "old")));
        // A second taker that also saw "old" as the owner loses: the key moved on.
        Assert.False(await store.TryWriteAsync(Claiming("late", "identifier=k", staleOwner: "old")));

        Assert.Equal("new", await store.ConditionalKeyOwnerAsync("Patient", "identifier=k"));
        Assert.Null(await store.ReadAsync("Patient", "wrong"));
        Assert.Null(await store.ReadAsync("Patient", "late"));
        Assert.NotNull(await store.ReadAsync("Patient", "old"));
    }

    [SkippableFact]
    public async Task A_multi_write_whose_claim_is_taken_stores_none_of_it()
    {
        var store = await StoreAsync();
        await store.TryWriteAsync(Claiming("holder", "identifier=k"));

        var result = await store.TryWriteAllAsync([Write("plain", 1, null), Claiming("claimer", "identifier=k"), Claiming("other", "identifier=free")]);

        Assert.Equal(1, result);
        Assert.Null(await store.ReadAsync("Observation", "plain"));
        Assert.Null(await store.ReadAsync("Patient", "claimer"));
        Assert.Null(await store.ConditionalKeyOwnerAsync("Patient", "identifier=free"));
        Assert.Equal("holder", await store.ConditionalKeyOwnerAsync("Patient", "identifier=k"));
    }
}
