using System.Collections.Concurrent;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Evaluation;

/// <summary>
/// The evidence of a block, read from the resource store through the patient compartment. What it makes of a stored
/// version (a parsed Procedure or Condition, the facts of a pain score) is kept, keyed by the version, so evaluating
/// the same patient again reads only which versions are current, not their JSON.
/// </summary>
/// <remarks>
/// A version is never rewritten (an update or a delete makes a new one), so a kept entry cannot go stale; a resource
/// changed since is a different key. The kept Procedures and Conditions are shared between requests: the evaluation
/// only reads them. The cache is emptied whenever it reaches its capacity.
/// </remarks>
public sealed class StoreBlockEvidenceSource(IResourceStore store, FhirSerialization serialization, int capacity = StoreBlockEvidenceSource.DefaultCapacity)
    : IBlockEvidenceSource
{
    /// <summary>Entries kept before the cache is emptied: about 200 patients with a hundred diary entries each.</summary>
    public const int DefaultCapacity = 20_000;

    // Skips the parse of Observations that cannot be pain scores; most of a patient's Observations are not.
    private static readonly byte[] PainScoreCode = System.Text.Encoding.UTF8.GetBytes($"\"{Canonicals.PainScoreLoinc}\"");

    // Kept for an Observation that is not a usable pain score.
    private static readonly object NoScore = new();

    private readonly ConcurrentDictionary<VersionKey, object> _kept = new();
    private int _count;

    private readonly record struct VersionKey(string Type, string Id, int Version, long Sequence)
    {
        public static VersionKey Of(StoredResource stored) => new(stored.Type, stored.Id, stored.Version, stored.Sequence);
    }

    /// <summary>How many versions are kept now (for tests).</summary>
    public int KeptCount => _kept.Count;

    public async Task<Procedure?> GetProcedureAsync(string id, CancellationToken cancellationToken) =>
        await ReadCurrentAsync<Procedure>("Procedure", id, cancellationToken);

    public async Task<Condition?> GetConditionAsync(string id, CancellationToken cancellationToken) =>
        await ReadCurrentAsync<Condition>("Condition", id, cancellationToken);

    public async Task<IReadOnlyList<Procedure>> GetPatientProceduresAsync(string patientId, CancellationToken cancellationToken) =>
        await ListAsync<Procedure>("Procedure", patientId, ParseStored, cancellationToken);

    public async Task<IReadOnlyList<Condition>> GetPatientConditionsAsync(string patientId, CancellationToken cancellationToken) =>
        await ListAsync<Condition>("Condition", patientId, ParseStored, cancellationToken);

    /// <summary>Read from the stored JSON directly (<see cref="PainScoreJson"/>); the object model only for shapes it leaves to Firely.</summary>
    public async Task<IReadOnlyList<PainScore>> GetPatientPainScoresAsync(string patientId, CancellationToken cancellationToken) =>
        await ListAsync<PainScore>("Observation", patientId, ReadPainScore, cancellationToken);

    private object ReadPainScore(StoredResource stored)
    {
        var json = stored.Json.Span;
        if (json.IndexOf(PainScoreCode) < 0) return NoScore;
        var reading = PainScoreJson.Read(json);
        var score = reading.NeedsObjectModel ? ClinicalFactReader.UsablePainScore((Observation)serialization.ParseStored(json)) : reading.Score;
        return score ?? NoScore;
    }

    private object ParseStored(StoredResource stored) => serialization.ParseStored(stored.Json.Span);

    /// <summary>What is made of each current version of the type in the compartment; the JSON is read only for versions not kept.</summary>
    private async Task<List<T>> ListAsync<T>(string type, string patientId, Func<StoredResource, object> make, CancellationToken cancellationToken) where T : class
    {
        var listed = await store.ListForPatientAsync(type, patientId, stored => !_kept.ContainsKey(VersionKey.Of(stored)), cancellationToken);
        var made = new List<T>(listed.Count);
        foreach (var stored in listed)
            if (await KeepAsync(stored, make, cancellationToken) is T item) made.Add(item);
        return made;
    }

    private async Task<T?> ReadCurrentAsync<T>(string type, string id, CancellationToken cancellationToken) where T : Resource
    {
        if (!Rest.FhirId.IsValid(id)) return null;
        var stored = await store.ReadAsync(type, id, cancellationToken);
        return stored is null || stored.Deleted ? null : await KeepAsync(stored, ParseStored, cancellationToken) as T;
    }

    /// <summary>
    /// What was made of this version before, or <paramref name="make"/> of it now. A version listed without its JSON was
    /// kept when it was listed; should the cache have been emptied since, its JSON is read again (null if it is gone).
    /// </summary>
    private async ValueTask<object?> KeepAsync(StoredResource stored, Func<StoredResource, object> make, CancellationToken cancellationToken)
    {
        var key = VersionKey.Of(stored);
        if (_kept.TryGetValue(key, out var kept)) return kept;
        if (stored.Json.IsEmpty)
        {
            var reread = await store.ReadVersionAsync(stored.Type, stored.Id, stored.Version, cancellationToken);
            if (reread is null || reread.Json.IsEmpty) return null;
            stored = reread;
        }
        var made = make(stored);
        if (Interlocked.Increment(ref _count) > capacity)
        {
            _kept.Clear();
            Interlocked.Exchange(ref _count, 1);
        }
        _kept[key] = made;
        return made;
    }
}
