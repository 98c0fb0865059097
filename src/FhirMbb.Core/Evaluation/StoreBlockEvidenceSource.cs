using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Evaluation;

/// <summary>The evidence of a block, read from the resource store through the patient compartment.</summary>
public sealed class StoreBlockEvidenceSource(IResourceStore store, FhirSerialization serialization) : IBlockEvidenceSource
{
    // Skips the parse of Observations that cannot be pain scores; most of a patient's Observations are not.
    private static readonly byte[] PainScoreCode = System.Text.Encoding.UTF8.GetBytes($"\"{Canonicals.PainScoreLoinc}\"");

    public async Task<Procedure?> GetProcedureAsync(string id, CancellationToken cancellationToken) =>
        await ReadCurrentAsync<Procedure>("Procedure", id, cancellationToken);

    public async Task<Condition?> GetConditionAsync(string id, CancellationToken cancellationToken) =>
        await ReadCurrentAsync<Condition>("Condition", id, cancellationToken);

    public async Task<IReadOnlyList<Procedure>> GetPatientProceduresAsync(string patientId, CancellationToken cancellationToken) =>
        Parse<Procedure>(await store.ListForPatientAsync("Procedure", patientId, cancellationToken));

    public async Task<IReadOnlyList<Condition>> GetPatientConditionsAsync(string patientId, CancellationToken cancellationToken) =>
        Parse<Condition>(await store.ListForPatientAsync("Condition", patientId, cancellationToken));

    /// <summary>Read from the stored JSON directly (<see cref="PainScoreJson"/>); the object model only for shapes it leaves to Firely.</summary>
    public async Task<IReadOnlyList<PainScore>> GetPatientPainScoresAsync(string patientId, CancellationToken cancellationToken)
    {
        var observations = await store.ListForPatientAsync("Observation", patientId, cancellationToken);
        var scores = new List<PainScore>(observations.Count);
        foreach (var stored in observations)
        {
            var json = stored.Json.Span;
            if (json.IndexOf(PainScoreCode) < 0) continue;
            var reading = PainScoreJson.Read(json);
            var score = reading.NeedsObjectModel ? ClinicalFactReader.UsablePainScore((Observation)serialization.ParseStored(json)) : reading.Score;
            if (score is not null) scores.Add(score);
        }
        return scores;
    }

    private async Task<T?> ReadCurrentAsync<T>(string type, string id, CancellationToken cancellationToken) where T : Resource
    {
        if (!Rest.FhirId.IsValid(id)) return null;
        var stored = await store.ReadAsync(type, id, cancellationToken);
        return stored is null || stored.Deleted ? null : (T)serialization.ParseStored(stored.Json.Span);
    }

    private IReadOnlyList<T> Parse<T>(IEnumerable<StoredResource> stored) where T : Resource =>
        stored.Select(s => (T)serialization.ParseStored(s.Json.Span)).ToList();
}
