using FhirMbb.Core;
using FhirMbb.Core.Evaluation;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;
using FhirMbb.Testing;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Tests;

/// <summary>
/// $evaluate-block's evidence comes from the facts stored with each version when they are there, and from the JSON
/// when they are not (versions written before schema 0007), are of another format or do not read. The facts are
/// changed behind the store's back here, so that which of the two was read shows in the answer.
/// </summary>
public sealed class EvidenceFactsStoreTests : IDisposable
{
    private readonly SqliteTestFolder _folder = new();

    private string ConnectionString => _folder.ConnectionString();

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

    private void SetFacts(string id, byte[]? facts, string type = "Observation")
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE resource SET facts = $facts WHERE type = $type AND id = $id";
        command.Parameters.AddWithValue("$facts", (object?)facts ?? DBNull.Value);
        command.Parameters.AddWithValue("$type", type);
        command.Parameters.AddWithValue("$id", id);
        Assert.Equal(1, command.ExecuteNonQuery());
    }

    [Fact]
    public async Task The_diary_is_read_from_the_facts_when_they_are_there_and_from_the_json_otherwise()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        Assert.Equal(-1, await store.TryWriteAllAsync([PainScore("a", 7), PainScore("b", 7), PainScore("c", 7), PainScore("d", 7), PainScore("e", 7)]));
        Assert.Equal(new Dictionary<string, decimal?> { ["a"] = 7, ["b"] = 7, ["c"] = 7, ["d"] = 7, ["e"] = 7 }, await DiaryAsync(store));

        var saysTwo = PainScoreFacts.Encode(new Core.Evaluation.PainScore("ignored", DateTimeOffset.UnixEpoch, 2, AssessmentPhase.PostBlock, "block-1"));
        SetFacts("a", saysTwo);
        SetFacts("b", null);
        SetFacts("c", [.. saysTwo.Select((b, i) => i == 0 ? (byte)(PainScoreFacts.Format + 1) : b)]);
        SetFacts("d", PainScoreFacts.Encode(null));
        SetFacts("e", saysTwo[..20]); // the header, the time and part of the value

        // a: its facts (2, not the JSON's 7); b: no facts, its JSON; c: facts of another format, its JSON; d: "not a score";
        // e: facts of this format cut short, listed without the JSON, then read again with it.
        Assert.Equal(new Dictionary<string, decimal?> { ["a"] = 2, ["b"] = 7, ["c"] = 7, ["e"] = 7 }, await DiaryAsync(store));
    }

    private static ResourceWrite Stored(Resource resource)
    {
        var json = FhirSerialization.Shared.ToJsonBytes(resource);
        return new ResourceWrite(resource.TypeName, resource.Id, 1, null, DateTimeOffset.UnixEpoch, json, "p1", Facts: EvidenceFacts.Of(resource, json));
    }

    private static Procedure Block(string id, int number) => MbbBuilders.Block(p =>
    {
        p.Id = id;
        MbbBuilders.ReplaceExtension(p, Canonicals.Extensions.BlockNumber, new PositiveInt(number));
    });

    private static Condition Indication(string id, string code) => MbbBuilders.Indication(c =>
    {
        c.Id = id;
        c.Code = MbbBuilders.Concept(Canonicals.CodeSystems.Icd10Cm, code);
    });

    /// <summary>What a fresh source reads: the block by id, the patient's block numbers, and the patient's condition codes.</summary>
    private async Task<string> EvidenceAsync(SqliteResourceStore store)
    {
        var source = new StoreBlockEvidenceSource(store, FhirSerialization.Shared);
        var byId = await source.GetProcedureAsync("b1", CancellationToken.None);
        var blocks = await source.GetPatientBlocksAsync("p1", CancellationToken.None);
        var conditions = await source.GetPatientConditionsAsync("p1", CancellationToken.None);
        var condition = await source.GetConditionAsync("c1", CancellationToken.None);
        return $"b1={byId?.Block?.BlockNumber}; blocks={string.Join(",", blocks.Select(b => $"{b.Id}:{b.BlockNumber}").Order())}; "
            + $"conditions={string.Join(",", conditions.Select(c => $"{c.Id}:{c.Codes[0].Code}").Order())}; c1={condition?.Codes[0].Code}";
    }

    [Fact]
    public async Task Blocks_and_conditions_are_read_from_their_facts_when_they_are_there_and_from_the_json_otherwise()
    {
        using var store = new SqliteResourceStore(ConnectionString);
        Assert.Equal(-1, await store.TryWriteAllAsync([Stored(Block("b1", 1)), Stored(Block("b2", 2)), Stored(Indication("c1", "M47.816")), Stored(Indication("c2", "M47.812"))]));
        Assert.Equal("b1=1; blocks=b1:1,b2:2; conditions=c1:M47.816,c2:M47.812; c1=M47.816", await EvidenceAsync(store));

        SetFacts("b1", BlockFacts.Of(Block("b1", 9)), "Procedure");
        SetFacts("c1", ConditionFacts.Of(Indication("c1", "M47.899")), "Condition");
        Assert.Equal("b1=9; blocks=b1:9,b2:2; conditions=c1:M47.899,c2:M47.812; c1=M47.899", await EvidenceAsync(store));

        // No facts, facts of another format, facts that do not read: the JSON each time.
        SetFacts("b1", null, "Procedure");
        SetFacts("b2", [BlockFacts.Format + 1, .. BlockFacts.Of(Block("b2", 8))[1..]], "Procedure");
        SetFacts("c1", [ConditionFacts.Format, 1, (byte)'{'], "Condition");
        Assert.Equal("b1=1; blocks=b1:1,b2:2; conditions=c1:M47.816,c2:M47.812; c1=M47.816", await EvidenceAsync(store));

        // A Procedure whose facts say it is not a block is none, whatever its JSON.
        SetFacts("b2", [BlockFacts.Format, 0], "Procedure");
        Assert.Equal("b1=1; blocks=b1:1; conditions=c1:M47.816,c2:M47.812; c1=M47.816", await EvidenceAsync(store));
    }

    public void Dispose() => _folder.Dispose();
}
