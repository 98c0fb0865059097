namespace FhirMbb.Core.Storage;

/// <summary>
/// One stored version of a resource. <see cref="Json"/> is exactly what goes on the wire; empty for a delete.
/// <see cref="PatientId"/> is the compartment owner the store keeps for the resource (its current one), when the store knows it.
/// <see cref="Facts"/> are what was stored beside the JSON (<see cref="ResourceWrite.Facts"/>); a store keeps them for
/// the current version only and returns them with a read by id and a compartment listing (empty elsewhere).
/// </summary>
public sealed record StoredResource(
    string Type,
    string Id,
    int Version,
    DateTimeOffset LastUpdated,
    bool Deleted,
    ReadOnlyMemory<byte> Json,
    long Sequence,
    string? PatientId = null,
    ReadOnlyMemory<byte> Facts = default)
{
    /// <summary>What identifies this version for anything kept per version (it never changes once stored).</summary>
    public StoredVersionKey Key => new(Type, Id, Version, Sequence);
}

/// <summary>
/// One stored version, as a cache key. The sequence is unique per stored version; type, id and version make the key
/// readable and certain.
/// </summary>
public readonly record struct StoredVersionKey(string Type, string Id, int Version, long Sequence);

/// <summary>
/// Asked by a compartment listing for each version before its JSON is read: whether to read it. <paramref name="facts"/>
/// are the bytes stored beside the version (empty when none), valid only during the call.
/// </summary>
public delegate bool NeedsJson(StoredVersionKey key, ReadOnlySpan<byte> facts);

/// <summary>
/// A new version to store. <see cref="ExpectedVersion"/> is the version the writer read (null: the
/// resource must not exist yet); the store refuses the write if another writer got there first.
/// <see cref="Index"/> replaces the resource's search index rows in the same transaction.
/// <see cref="Claim"/>, on a conditional create, claims its criteria in the same transaction (see <see cref="ConditionalClaim"/>).
/// <see cref="Facts"/> are stored beside the JSON as they are: what a reader derived from this version once, so that it
/// need not read the JSON again (see Evaluation.PainScoreFacts). The store does not look inside.
/// </summary>
public sealed record ResourceWrite(
    string Type,
    string Id,
    int Version,
    int? ExpectedVersion,
    DateTimeOffset LastUpdated,
    byte[]? Json,
    string? PatientId,
    Search.SearchIndexSet? Index = null,
    ConditionalClaim? Claim = null,
    byte[]? Facts = null)
{
    public bool IsDelete => Json is null;
}

/// <summary>
/// A conditional create's claim on its normalized criteria: the store keeps at most one owner per (type, key),
/// enforced by a unique key in the database, and refuses the write when another resource holds the key, unless
/// that owner is <see cref="StaleOwnerId"/> (the caller saw it no longer match), whose claim is then taken over.
/// A deletion releases every key its resource held.
/// </summary>
public sealed record ConditionalClaim(string Key, string? StaleOwnerId = null);

/// <summary><see cref="PatientId"/>, when set, keeps only versions of resources in that patient's compartment.</summary>
public sealed record HistoryQuery(string? Type, string? Id, DateTimeOffset? Since, int Count, long? BeforeSequence, string? PatientId = null);

public sealed record HistoryPage(IReadOnlyList<StoredResource> Entries, long? NextBeforeSequence);

/// <summary>The resource store: versioned resources, nothing else. Implemented once per database provider.</summary>
public interface IResourceStore
{
    /// <summary>The current version, deleted or not; null when the resource never existed.</summary>
    Task<StoredResource?> ReadAsync(string type, string id, CancellationToken cancellationToken = default);

    Task<StoredResource?> ReadVersionAsync(string type, string id, int version, CancellationToken cancellationToken = default);

    /// <summary>Stores the version atomically; false when <see cref="ResourceWrite.ExpectedVersion"/> no longer holds.</summary>
    Task<bool> TryWriteAsync(ResourceWrite write, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores every version in one database transaction, or none of them. Returns -1 on success, else
    /// the index of the first write whose <see cref="ResourceWrite.ExpectedVersion"/> no longer held.
    /// </summary>
    Task<int> TryWriteAllAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken = default);

    /// <summary>Versions newest first, across one resource, one type, or the whole server.</summary>
    Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken cancellationToken = default);

    /// <summary>Current, non-deleted resources of one type in a patient's compartment.</summary>
    Task<IReadOnlyList<StoredResource>> ListForPatientAsync(string type, string patientId, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="ListForPatientAsync(string, string, CancellationToken)"/>, but the stored JSON is read only for the
    /// versions <paramref name="needsJson"/> accepts (asked once each, with the version's facts, before the JSON is read);
    /// the others come back with an empty <see cref="StoredResource.Json"/>. For a caller that keeps what it made of a
    /// version, which never changes, or can make it from the facts. A store without the option reads every body and never asks.
    /// </summary>
    Task<IReadOnlyList<StoredResource>> ListForPatientAsync(string type, string patientId, NeedsJson needsJson, CancellationToken cancellationToken = default) =>
        ListForPatientAsync(type, patientId, cancellationToken);

    /// <summary>The id of the resource of <paramref name="type"/> that holds the conditional-create key, or null.</summary>
    Task<string?> ConditionalKeyOwnerAsync(string type, string key, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not support conditional creates");

    /// <summary>True when the database answers and its schema is current.</summary>
    Task<bool> IsReadyAsync(CancellationToken cancellationToken = default);
}
