using System.Text;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;

namespace FhirMbb.Data.Tests;

/// <summary>The compartment filter a patient-scoped token relies on for type and system history.</summary>
public sealed class PatientFilterTests : IDisposable
{
    private readonly SqliteTestFolder _folder = new();
    private string ConnectionString => _folder.ConnectionString();

    public void Dispose() => _folder.Dispose();

    private static ResourceWrite Write(string type, string id, int version, string? patient, bool delete = false) =>
        new(type, id, version, version == 1 ? null : version - 1, DateTimeOffset.UnixEpoch.AddDays(version),
            delete ? null : Encoding.UTF8.GetBytes("{}"), patient);

    [Fact]
    public async Task History_with_a_patient_keeps_only_that_patients_resources_including_their_deletions()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        await store.TryWriteAsync(Write("Patient", "p1", 1, "p1"));
        await store.TryWriteAsync(Write("Patient", "p2", 1, "p2"));
        await store.TryWriteAsync(Write("Observation", "o1", 1, "p1"));
        await store.TryWriteAsync(Write("Observation", "o2", 1, "p2"));
        await store.TryWriteAsync(Write("Observation", "o1", 2, null, delete: true));
        await store.TryWriteAsync(Write("Observation", "orphan", 1, null));

        var system = await store.HistoryAsync(new HistoryQuery(null, null, null, 100, null, PatientId: "p1"));
        var type = await store.HistoryAsync(new HistoryQuery("Observation", null, null, 100, null, PatientId: "p1"));
        var everyone = await store.HistoryAsync(new HistoryQuery(null, null, null, 100, null));

        Assert.Equal(["Observation/o1/2", "Observation/o1/1", "Patient/p1/1"], system.Entries.Select(e => $"{e.Type}/{e.Id}/{e.Version}"));
        Assert.Equal(["o1", "o1"], type.Entries.Select(e => e.Id));
        Assert.All(system.Entries, e => Assert.Equal("p1", e.PatientId));
        Assert.Equal(6, everyone.Entries.Count);
    }

    [Fact]
    public async Task Reads_carry_the_compartment_owner_even_after_a_delete()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        await store.TryWriteAsync(Write("Observation", "o1", 1, "p1"));
        await store.TryWriteAsync(Write("Observation", "o1", 2, null, delete: true));

        var current = await store.ReadAsync("Observation", "o1");

        Assert.True(current!.Deleted);
        Assert.Equal("p1", current.PatientId);
    }

    [Fact]
    public async Task A_filtered_page_still_pages()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        for (var i = 0; i < 5; i++)
        {
            await store.TryWriteAsync(Write("Observation", $"mine{i}", 1, "p1"));
            await store.TryWriteAsync(Write("Observation", $"theirs{i}", 1, "p2"));
        }

        var ids = new List<string>();
        long? cursor = null;
        do
        {
            var page = await store.HistoryAsync(new HistoryQuery("Observation", null, null, 2, cursor, PatientId: "p1"));
            ids.AddRange(page.Entries.Select(e => e.Id));
            cursor = page.NextBeforeSequence;
        } while (cursor is not null);

        Assert.Equal(["mine4", "mine3", "mine2", "mine1", "mine0"], ids);
    }
}
