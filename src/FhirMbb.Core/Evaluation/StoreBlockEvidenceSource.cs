using System.Collections.Concurrent;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Evaluation;

/// <summary>
/// The evidence of a block, read from the resource store through the patient compartment. Each current version is
/// read from the facts stored beside it when it was written (<see cref="EvidenceFacts"/>), else from its JSON. What
/// is made of a version is kept, keyed by the version, so evaluating the same patient again reads only which versions
/// are current.
/// </summary>
/// <remarks>
/// A version is never rewritten (an update or a delete makes a new one), so a kept entry cannot go stale; a resource
/// changed since is a different key. The kept facts are immutable and shared between requests. What is kept lives in
/// two generations of half the capacity each: when the young one is full, the old one is dropped and the young one
/// becomes old; a version found in the old generation moves back to the young. A patient's versions are kept only
/// from the patient's second evaluation among the last <see cref="RecentPatients"/>: evaluating many patients once
/// each (more than the capacity holds) would otherwise only churn the cache, which cost more than it saved (benchmark
/// README). Versions written before facts were stored (schema 0007), or whose facts are of an older format, are read
/// from their JSON as before.
/// </remarks>
public sealed class StoreBlockEvidenceSource(IResourceStore store, FhirSerialization serialization, int capacity = StoreBlockEvidenceSource.DefaultCapacity)
    : IBlockEvidenceSource
{
    /// <summary>Versions kept at most: about 200 patients with a hundred diary entries each.</summary>
    public const int DefaultCapacity = 20_000;

    // Kept for a version that is none of what was asked for: an Observation that is not a usable pain score, a
    // Procedure that is not a medial branch block.
    private static readonly object Nothing = new();

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

    private static readonly Reading Blocks = new("Procedure", BlockFacts.IsCurrent);
    private static readonly Reading Conditions = new("Condition", ConditionFacts.IsCurrent);
    private static readonly Reading PainScores = new("Observation", PainScoreFacts.IsCurrent);

    /// <summary>
    /// A type the evidence is read from, and whether a version's stored facts are of the format read here (a cheap look at
    /// their first bytes: facts that then do not read make the compartment be listed again with every JSON).
    /// </summary>
    private sealed record Reading(string Type, FactsCheck IsCurrent);

    private delegate bool FactsCheck(ReadOnlySpan<byte> facts);

    public async Task<ProcedureFacts?> GetProcedureAsync(string id, CancellationToken cancellationToken) =>
        await ReadCurrentAsync(Blocks, id, MakeBlock, cancellationToken) switch
        {
            null => null,
            MedialBranchBlock block => new ProcedureFacts(block),
            _ => new ProcedureFacts(null),
        };

    public async Task<PainCondition?> GetConditionAsync(string id, CancellationToken cancellationToken) =>
        await ReadCurrentAsync(Conditions, id, MakeCondition, cancellationToken) as PainCondition;

    public async Task<IReadOnlyList<MedialBranchBlock>> GetPatientBlocksAsync(string patientId, CancellationToken cancellationToken) =>
        await ListAsync<MedialBranchBlock>(Blocks, patientId, MakeBlock, WasRecent(patientId), cancellationToken);

    /// <summary>The service asks for a patient's Conditions last; that is when the evaluation of the patient is counted.</summary>
    public async Task<IReadOnlyList<PainCondition>> GetPatientConditionsAsync(string patientId, CancellationToken cancellationToken) =>
        await ListAsync<PainCondition>(Conditions, patientId, MakeCondition, CountEvaluation(patientId), cancellationToken);

    /// <summary>
    /// Read from the facts stored with each version (<see cref="PainScoreFacts"/>); for versions without them, from the
    /// stored JSON directly (<see cref="PainScoreJson"/>), and the object model only for shapes that leaves to Firely.
    /// </summary>
    public async Task<IReadOnlyList<PainScore>> GetPatientPainScoresAsync(string patientId, CancellationToken cancellationToken) =>
        await ListAsync<PainScore>(PainScores, patientId, MakePainScore, WasRecent(patientId), cancellationToken);

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

    // Each Make* gives what the version is (Nothing when it is none of what was asked for), from its facts when they
    // can be read, else from its JSON; null when it has neither (unreadable facts listed without the JSON).

    private object? MakePainScore(StoredResource stored)
    {
        if (PainScoreFacts.TryRead(stored.Facts.Span, stored.Id, out var fromFacts)) return fromFacts ?? Nothing;
        if (stored.Json.IsEmpty) return null;
        return PainScoreJson.ReadUsable(stored.Json.Span, () => (Observation)serialization.ParseStored(stored.Json.Span)) ?? Nothing;
    }

    private object? MakeBlock(StoredResource stored)
    {
        if (BlockFacts.TryRead(stored.Facts.Span, out var fromFacts)) return fromFacts ?? Nothing;
        if (stored.Json.IsEmpty) return null;
        var procedure = (Procedure)serialization.ParseStored(stored.Json.Span);
        return ClinicalFactReader.IsMedialBranchBlock(procedure) ? ClinicalFactReader.ReadBlock(procedure) : Nothing;
    }

    private object? MakeCondition(StoredResource stored)
    {
        // A Condition's facts always hold one; "none" would not be facts this code wrote.
        if (ConditionFacts.TryRead(stored.Facts.Span, out var fromFacts) && fromFacts is not null) return fromFacts;
        if (stored.Json.IsEmpty) return null;
        return ClinicalFactReader.ReadConditionRecord((Condition)serialization.ParseStored(stored.Json.Span));
    }

    /// <summary>
    /// What is made of each current version of the type in the compartment; the JSON is read only for versions neither kept
    /// nor readable from their stored facts. Should a version listed without its JSON turn out unusable (dropped from
    /// what is kept before it is used, or facts that do not read), the compartment is listed again with every JSON.
    /// </summary>
    private async Task<List<T>> ListAsync<T>(Reading reading, string patientId, Func<StoredResource, object?> make, bool admit, CancellationToken cancellationToken)
        where T : class
    {
        var asked = false;
        var listed = await store.ListForPatientAsync(reading.Type, patientId, (key, facts) =>
        {
            asked = true;
            return !reading.IsCurrent(facts) && !IsKept(key);
        }, cancellationToken);
        // A store that asked read the JSON only of versions not kept a moment ago: those, and versions read from their
        // facts, are made, not looked up again.
        var made = Make<T>(reading, listed, make, admit, withJsonIsNew: asked);
        // Listed with every JSON, each version can be made (a current version that is not deleted has its JSON).
        return made
            ?? Make<T>(reading, await store.ListForPatientAsync(reading.Type, patientId, cancellationToken), make, admit, withJsonIsNew: false)
            ?? throw new InvalidOperationException($"A current {reading.Type} of Patient/{patientId} came without its JSON");
    }

    /// <summary>What is made of each version, or null when one cannot be made from what was listed.</summary>
    private List<T>? Make<T>(Reading reading, IReadOnlyList<StoredResource> listed, Func<StoredResource, object?> make, bool admit, bool withJsonIsNew)
        where T : class
    {
        var made = new List<T>(listed.Count);
        foreach (var stored in listed)
        {
            // Listed with what it is made from: not kept a moment ago. Otherwise it was listed as kept.
            var item = withJsonIsNew && (!stored.Json.IsEmpty || reading.IsCurrent(stored.Facts.Span))
                ? Made(stored, make, admit)
                : Keep(stored, make, admit);
            if (item is null) return null;
            if (item is T value) made.Add(value);
        }
        return made;
    }

    /// <summary>What the current version of the resource is, or null when there is none (or it is deleted).</summary>
    private async Task<object?> ReadCurrentAsync(Reading reading, string id, Func<StoredResource, object?> make, CancellationToken cancellationToken)
    {
        if (!Rest.FhirId.IsValid(id)) return null;
        var stored = await store.ReadAsync(reading.Type, id, cancellationToken);
        return stored is null || stored.Deleted || stored.Json.IsEmpty ? null : Keep(stored, make, admit: true);
    }

    private bool IsKept(StoredVersionKey key) => _young.ContainsKey(key) || _old.ContainsKey(key);

    /// <summary>
    /// What was made of this version before, or <paramref name="make"/> of it now (kept if <paramref name="admit"/>); null
    /// when it is not kept and cannot be made from what was listed.
    /// </summary>
    private object? Keep(StoredResource stored, Func<StoredResource, object?> make, bool admit)
    {
        var key = stored.Key;
        if (_young.TryGetValue(key, out var kept)) return kept;
        if (_old.TryGetValue(key, out kept))
        {
            Add(key, kept);
            return kept;
        }
        return Made(stored, make, admit);
    }

    private object? Made(StoredResource stored, Func<StoredResource, object?> make, bool admit)
    {
        var made = make(stored);
        if (made is not null && admit) Add(stored.Key, made);
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
