using FhirMbb.Core;
using FhirMbb.Core.Evaluation;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Tests;

/// <summary>
/// $evaluate-block's diary comes from the facts stored with each pain score when they are there, and from the JSON
/// when they are not (versions written before schema 0007) or are of another format. The facts are changed behind the
/// store's back here, so that which of the two was read shows in the value.
/// </summary>
public sealed class PainScoreFactsStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fhirmbb-data-tests", Guid.NewGuid().ToString("N"));

    private string ConnectionString => $"Data Source={Path.Combine(_directory, "fhir.db")}";

    public PainScoreFactsStoreTests() => Directory.CreateDirectory(_directory);

    private static ResourceWrite PainScore(string id, int value)
    {
        var observation = new Observation
        {
            Id = id,
            Meta = new Meta { VersionId = "1" },
            Status = ObservationStatus.Final,
            Code = new CodeableConcept(Canonicals.CodeSystems.Loinc, Canonicals.PainScoreLoinc),
            Subject = new ResourceReference("Patient/p1"),
            Effective = new FhirDateTime("2026-10-01T09:30:00Z"),
            Value = new Integer(value),
        };
        observation.PartOf.Add(new ResourceReference("Procedure/block-1"));
        var json = FhirSerialization.Shared.ToJsonBytes(observation);
        return new ResourceWrite("Observation", id, 1, null, DateTimeOffset.UnixEpoch, json, "p1", Facts: PainScoreFacts.Of(observation, json));
    }

    private async Task<Dictionary<string, decimal?>> DiaryAsync(SqliteResourceStore store) =>
        // A new source each time: nothing kept from the previous reading.
        (await new StoreBlockEvidenceSource(store, FhirSerialization.Shared).GetPatientPainScoresAsync("p1", CancellationToken.None))
            .ToDictionary(s => s.Id, s => s.Value);

    private void SetFacts(string id, byte[]? facts)
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE resource SET facts = $facts WHERE type = 'Observation' AND id = $id";
        command.Parameters.AddWithValue("$facts", (object?)facts ?? DBNull.Value);
        command.Parameters.AddWithValue("$id", id);
        Assert.Equal(1, command.ExecuteNonQuery());
    }

    [Fact]
    public async Task The_diary_is_read_from_the_facts_when_they_are_there_and_from_the_json_otherwise()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        Assert.Equal(-1, await store.TryWriteAllAsync([PainScore("a", 7), PainScore("b", 7), PainScore("c", 7), PainScore("d", 7)]));
        Assert.Equal(new Dictionary<string, decimal?> { ["a"] = 7, ["b"] = 7, ["c"] = 7, ["d"] = 7 }, await DiaryAsync(store));

        var saysTwo = PainScoreFacts.Encode(new Core.Evaluation.PainScore("ignored", DateTimeOffset.UnixEpoch, 2, AssessmentPhase.PostBlock, "block-1"));
        SetFacts("a", saysTwo);
        SetFacts("b", null);
        SetFacts("c", [.. saysTwo.Select((b, i) => i == 0 ? (byte)(PainScoreFacts.Format + 1) : b)]);
        SetFacts("d", PainScoreFacts.Encode(null));

        // a: its facts (2, not the JSON's 7); b: no facts, its JSON; c: facts of another format, its JSON; d: "not a score".
        Assert.Equal(new Dictionary<string, decimal?> { ["a"] = 2, ["b"] = 7, ["c"] = 7 }, await DiaryAsync(store));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { /* cleaned with the temp folder */ }
    }
}
