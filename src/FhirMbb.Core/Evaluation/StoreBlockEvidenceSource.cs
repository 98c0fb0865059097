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
/// only reads them. What is kept lives in two generations of half the capacity each: when the young one is full, the
/// old one is dropped and the young one becomes old; a version found in the old generation moves back to the young.
/// A patient's versions are kept only from the patient's second evaluation among the last <see cref="RecentPatients"/>:
/// evaluating many patients once each (more than the capacity holds) would otherwise only churn the cache, which cost
/// more than it saved (benchmark README).
/// </remarks>
public sealed class StoreBlockEvidenceSource(IResourceStore store, FhirSerialization serialization, int capacity = StoreBlockEvidenceSource.DefaultCapacity)
    : IBlockEvidenceSource
{
    /// <summary>Versions kept at most: about 200 patients with a hundred diary entries each.</summary>
    public const int DefaultCapacity = 20_000;

    // Skips the parse of Observations that cannot be pain scores; most of a patient's Observations are not.
    private static readonly byte[] PainScoreCode = System.Text.Encoding.UTF8.GetBytes($"\"{Canonicals.PainScoreLoinc}\"");

    // Kept for an Observation that is not a usable pain score.
    private static readonly object NoScore = new();

    /// <summary>How many of the latest evaluations' patients are remembered: about the capacity over a patient's versions.</summary>
    public const int RecentPatients = 128;

    private readonly int _generation = Math.Max(1, capacity / 2);
    private readonly Queue<string> _recent = new(RecentPatients);
    private readonly Dictionary<string, int> _recentCounts = new(StringComparer.Ordinal);
    private readonly Lock _turn = new();
    private ConcurrentDictionary<StoredVersionKey, object> _young = new();
    private ConcurrentDictionary<StoredVersionKey, object> _old = new();
    private int _youngCount;

    /// <summary>How many versions are kept now, in both generations (for tests).</summary>
    public int KeptCount => _young.Count + _old.Count;

    public async Task<Procedure?> GetProcedureAsync(string id, CancellationToken cancellationToken) =>
        await ReadCurrentAsync<Procedure>("Procedure", id, cancellationToken);

    public async Task<Condition?> GetConditionAsync(string id, CancellationToken cancellationToken) =>
        await ReadCurrentAsync<Condition>("Condition", id, cancellationToken);

    public async Task<IReadOnlyList<Procedure>> GetPatientProceduresAsync(string patientId, CancellationToken cancellationToken) =>
        await ListAsync<Procedure>("Procedure", patientId, ParseStored, WasRecent(patientId), readsFacts: false, cancellationToken);

    /// <summary>The service asks for a patient's Conditions last; that is when the evaluation of the patient is counted.</summary>
    public async Task<IReadOnlyList<Condition>> GetPatientConditionsAsync(string patientId, CancellationToken cancellationToken) =>
        await ListAsync<Condition>("Condition", patientId, ParseStored, CountEvaluation(patientId), readsFacts: false, cancellationToken);

    /// <summary>
    /// Read from the facts stored with each version (<see cref="PainScoreFacts"/>); for versions without them, from the
    /// stored JSON directly (<see cref="PainScoreJson"/>), and the object model only for shapes that leaves to Firely.
    /// </summary>
    public async Task<IReadOnlyList<PainScore>> GetPatientPainScoresAsync(string patientId, CancellationToken cancellationToken) =>
        await ListAsync<PainScore>("Observation", patientId, ReadPainScore, WasRecent(patientId), readsFacts: true, cancellationToken);

    private bool WasRecent(string patientId)
    {
        lock (_recent) return _recentCounts.ContainsKey(patientId);
    }

    /// <summary>Remembers this evaluation of the patient; true when the patient was among the recent ones already.</summary>
    private bool CountEvaluation(string patientId)
    {
        lock (_recent)
        {
            var seen = _recentCounts.TryGetValue(patientId, out var count);
            _recentCounts[patientId] = count + 1;
            _recent.Enqueue(patientId);
            if (_recent.Count > RecentPatients)
            {
                var oldest = _recent.Dequeue();
                if (--_recentCounts[oldest] == 0) _recentCounts.Remove(oldest);
            }
            return seen;
        }
    }

    private object ReadPainScore(StoredResource stored)
    {
        if (PainScoreFacts.TryRead(stored.Facts.Span, stored.Id, out var fromFacts)) return fromFacts ?? NoScore;
        var json = stored.Json.Span;
        if (json.IndexOf(PainScoreCode) < 0) return NoScore;
        var reading = PainScoreJson.Read(json);
        var score = reading.NeedsObjectModel ? ClinicalFactReader.UsablePainScore((Observation)serialization.ParseStored(json)) : reading.Score;
        return score ?? NoScore;
    }

    private object ParseStored(StoredResource stored) => serialization.ParseStored(stored.Json.Span);

    /// <summary>
    /// What is made of each current version of the type in the compartment; the JSON is read only for versions neither kept
    /// nor readable from their stored facts. Should a version listed as kept have been dropped before it is used, the
    /// compartment is listed again with every JSON.
    /// </summary>
    /// <param name="readsFacts">whether <paramref name="make"/> reads a version's <see cref="PainScoreFacts"/> when it has them</param>
    private async Task<List<T>> ListAsync<T>(
        string type, string patientId, Func<StoredResource, object> make, bool admit, bool readsFacts, CancellationToken cancellationToken) where T : class
    {
        var asked = false;
        var listed = await store.ListForPatientAsync(type, patientId, (key, facts) =>
        {
            asked = true;
            return !(readsFacts && PainScoreFacts.CanRead(facts)) && !IsKept(key);
        }, cancellationToken);
        // A store that asked read the JSON only of versions not kept a moment ago: those, and versions read from their
        // facts, are made, not looked up again.
        var made = Make<T>(listed, make, admit, readsFacts, withJsonIsNew: asked);
        return made ?? Make<T>(await store.ListForPatientAsync(type, patientId, cancellationToken), make, admit, readsFacts, withJsonIsNew: false)!;
    }

    /// <summary>What is made of each version, or null when a version without its JSON is no longer kept.</summary>
    private List<T>? Make<T>(IReadOnlyList<StoredResource> listed, Func<StoredResource, object> make, bool admit, bool readsFacts, bool withJsonIsNew) where T : class
    {
        var made = new List<T>(listed.Count);
        foreach (var stored in listed)
        {
            var item = withJsonIsNew && CanMake(stored, readsFacts) ? Made(stored, make, admit) : Keep(stored, make, admit, readsFacts);
            if (item is null) return null;
            if (item is T value) made.Add(value);
        }
        return made;
    }

    private async Task<T?> ReadCurrentAsync<T>(string type, string id, CancellationToken cancellationToken) where T : Resource
    {
        if (!Rest.FhirId.IsValid(id)) return null;
        var stored = await store.ReadAsync(type, id, cancellationToken);
        return stored is null || stored.Deleted || stored.Json.IsEmpty ? null : Keep(stored, ParseStored, admit: true) as T;
    }

    private bool IsKept(StoredVersionKey key) => _young.ContainsKey(key) || _old.ContainsKey(key);

    /// <summary>
    /// What was made of this version before, or <paramref name="make"/> of it now (kept if <paramref name="admit"/>); null
    /// when it has no JSON and is not kept.
    /// </summary>
    private object? Keep(StoredResource stored, Func<StoredResource, object> make, bool admit, bool readsFacts = false)
    {
        var key = stored.Key;
        if (_young.TryGetValue(key, out var kept)) return kept;
        if (_old.TryGetValue(key, out kept))
        {
            Add(key, kept);
            return kept;
        }
        return CanMake(stored, readsFacts) ? Made(stored, make, admit) : null;
    }

    /// <summary>Whether the version came with what it is made from: its JSON, or facts that stand in for it.</summary>
    private static bool CanMake(StoredResource stored, bool readsFacts) =>
        !stored.Json.IsEmpty || (readsFacts && PainScoreFacts.CanRead(stored.Facts.Span));

    private object Made(StoredResource stored, Func<StoredResource, object> make, bool admit)
    {
        var made = make(stored);
        if (admit) Add(stored.Key, made);
        return made;
    }

    private void Add(StoredVersionKey key, object value)
    {
        if (!_young.TryAdd(key, value)) return;
        if (Interlocked.Increment(ref _youngCount) < _generation) return;
        lock (_turn)
        {
            if (Volatile.Read(ref _youngCount) < _generation) return;
            _old = _young;
            _young = new ConcurrentDictionary<StoredVersionKey, object>();
            Volatile.Write(ref _youngCount, 0);
        }
    }
}
