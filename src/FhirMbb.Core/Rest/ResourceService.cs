using FhirMbb.Core.Search;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Rest;

public sealed record WriteOutcome(StoredResource Stored, bool Created);

/// <summary>
/// The RESTful interactions on the clinical types: versioning, optimistic concurrency and the rules
/// of create, update and delete. Knows nothing of HTTP or SQL.
/// </summary>
public sealed class ResourceService(
    IResourceStore store,
    FhirSerialization serialization,
    IEnumerable<IResourceWriteCheck> checks,
    TimeProvider clock,
    SearchIndexer? indexer = null)
{
    // Without If-Match a writer that loses a race simply reads again; bounded so a storm cannot spin forever.
    private const int MaxConflictRetries = 20;

    private readonly IResourceWriteCheck[] _checks = checks.ToArray();

    public async Task<StoredResource> ReadAsync(string type, string id, CancellationToken ct = default)
    {
        RequireType(type);
        RequireId(id);
        var current = await store.ReadAsync(type, id, ct) ?? throw FhirOperationException.NotFound($"{type}/{id} is not known");
        if (current.Deleted) throw FhirOperationException.Gone($"{type}/{id} was deleted (version {current.Version})");
        return current;
    }

    /// <summary>404 unless the resource exists or once existed.</summary>
    public async Task RequireKnownAsync(string type, string id, CancellationToken ct = default)
    {
        RequireType(type);
        RequireId(id);
        _ = await store.ReadAsync(type, id, ct) ?? throw FhirOperationException.NotFound($"{type}/{id} is not known");
    }

    /// <summary>The current version, deleted or not, for access checks that must run before 404 or 410 is decided.</summary>
    public Task<StoredResource?> FindAsync(string type, string id, CancellationToken ct = default)
    {
        RequireType(type);
        RequireId(id);
        return store.ReadAsync(type, id, ct);
    }

    public async Task<StoredResource> ReadVersionAsync(string type, string id, string versionId, CancellationToken ct = default)
    {
        RequireType(type);
        RequireId(id);
        if (!int.TryParse(versionId, out var version) || version < 1)
            throw VersionNotFound(type, id, versionId);
        var stored = await store.ReadVersionAsync(type, id, version, ct)
            ?? throw VersionNotFound(type, id, versionId);
        if (stored.Deleted) throw FhirOperationException.Gone($"Version {version} of {type}/{id} is a deletion");
        return stored;
    }

    public async Task<WriteOutcome> CreateAsync(string type, Resource resource, CancellationToken ct = default)
    {
        RequireType(type);
        RequireBodyType(type, resource);
        // The server assigns the id of a create; any id in the body is ignored, as the spec says.
        resource.Id = FhirId.NewId();
        await CheckAsync(resource, ct);
        var stored = await WriteVersionAsync(resource, version: 1, expected: null, ct)
            ?? throw new InvalidOperationException("A freshly generated id collided with an existing resource");
        return new WriteOutcome(stored, Created: true);
    }

    public Task<WriteOutcome> UpdateAsync(string type, string id, Resource resource, int? ifMatch, CancellationToken ct = default) =>
        UpdateAsync(type, id, resource, ifMatch, checkReplaced: null, ct);

    /// <param name="checkReplaced">
    /// runs on the version about to be replaced (null: none) and throws to refuse it; it runs again after a lost race,
    /// so the version checked is always the version the store replaces (access checks rely on this).
    /// </param>
    public async Task<WriteOutcome> UpdateAsync(
        string type, string id, Resource resource, int? ifMatch, Action<StoredResource?>? checkReplaced, CancellationToken ct = default)
    {
        RequireType(type);
        RequireId(id);
        RequireBodyType(type, resource);
        if (string.IsNullOrEmpty(resource.Id))
            throw FhirOperationException.BadRequest("The resource in a PUT must carry its id");
        if (!string.Equals(resource.Id, id, StringComparison.Ordinal))
            throw FhirOperationException.BadRequest($"The id in the body ('{resource.Id}') differs from the id in the URL ('{id}')");
        await CheckAsync(resource, ct);

        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            var current = await store.ReadAsync(type, id, ct);
            checkReplaced?.Invoke(current);
            if (ifMatch is { } expectedVersion && (current is null || current.Deleted || current.Version != expectedVersion))
                throw FhirOperationException.PreconditionFailed(
                    $"If-Match W/\"{expectedVersion}\" does not match the current version of {type}/{id} ({Describe(current)})");

            var stored = await WriteVersionAsync(resource, (current?.Version ?? 0) + 1, current?.Version, ct);
            if (stored is not null)
                return new WriteOutcome(stored, Created: current is null || current.Deleted);
            if (ifMatch is not null)
                throw FhirOperationException.PreconditionFailed($"{type}/{id} was changed by another request; version {ifMatch} is no longer current");
        }
        throw new FhirOperationException(409, OperationOutcome.IssueType.Conflict, $"{type}/{id} is being changed too often to update; try again");
    }

    /// <summary>Deletes the resource by storing a deletion version; deleting what is absent or already deleted succeeds.</summary>
    public Task DeleteAsync(string type, string id, int? ifMatch, CancellationToken ct = default) =>
        DeleteAsync(type, id, ifMatch, checkDeleted: null, ct);

    /// <param name="checkDeleted">runs on the current version before it is deleted, again after a lost race; throws to refuse.</param>
    public async Task DeleteAsync(string type, string id, int? ifMatch, Action<StoredResource>? checkDeleted, CancellationToken ct = default)
    {
        RequireType(type);
        RequireId(id);
        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            var current = await store.ReadAsync(type, id, ct);
            if (ifMatch is { } expectedVersion && (current is null || current.Version != expectedVersion))
                throw FhirOperationException.PreconditionFailed($"If-Match W/\"{expectedVersion}\" does not match {type}/{id} ({Describe(current)})");
            if (current is null || current.Deleted) return;
            checkDeleted?.Invoke(current);

            var write = new ResourceWrite(type, id, current.Version + 1, current.Version, clock.GetUtcNow(), Json: null, PatientId: null);
            if (await store.TryWriteAsync(write, ct)) return;
            if (ifMatch is not null)
                throw FhirOperationException.PreconditionFailed($"{type}/{id} was changed by another request");
        }
        throw new FhirOperationException(409, OperationOutcome.IssueType.Conflict, $"{type}/{id} is being changed too often to delete; try again");
    }

    public Task<HistoryPage> HistoryAsync(string? type, string? id, DateTimeOffset? since, int count, long? before, CancellationToken ct = default) =>
        HistoryAsync(type, id, since, count, before, patientId: null, ct);

    /// <summary>History kept to one patient's compartment when <paramref name="patientId"/> is set (a patient-scoped token).</summary>
    public Task<HistoryPage> HistoryAsync(string? type, string? id, DateTimeOffset? since, int count, long? before, string? patientId, CancellationToken ct = default)
    {
        if (type is not null) RequireType(type);
        if (id is not null) RequireId(id);
        return store.HistoryAsync(new HistoryQuery(type, id, since, count, before, patientId), ct);
    }

    private async Task<StoredResource?> WriteVersionAsync(Resource resource, int version, int? expected, CancellationToken ct)
    {
        var write = PrepareVersion(resource, version, expected, clock.GetUtcNow());
        return await store.TryWriteAsync(write, ct) ? Stored(write) : null;
    }

    /// <summary>Stamps the version onto the resource and serializes it once: the bytes stored are the bytes served.</summary>
    public ResourceWrite PrepareVersion(Resource resource, int version, int? expected, DateTimeOffset now)
    {
        now = TruncateToMilliseconds(now);
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = now;
        var json = serialization.ToJsonBytes(resource);
        return new ResourceWrite(resource.TypeName, resource.Id!, version, expected, now, json, PatientCompartment.PatientIdOf(resource),
            indexer?.Index(resource));
    }

    /// <summary>What a write looks like once stored, before the store has been asked again.</summary>
    public static StoredResource Stored(ResourceWrite write) =>
        new(write.Type, write.Id, write.Version, write.LastUpdated, write.IsDelete, write.Json ?? ReadOnlyMemory<byte>.Empty, Sequence: 0);

    /// <summary>Runs every registered write check (profile validation among them) on a resource about to be stored.</summary>
    public ValueTask CheckBeforeWriteAsync(Resource resource, CancellationToken ct) => CheckAsync(resource, ct);

    private async ValueTask CheckAsync(Resource resource, CancellationToken ct)
    {
        foreach (var check in _checks) await check.CheckAsync(resource, ct);
    }

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset t) =>
        new(t.Ticks - t.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    private static string Describe(StoredResource? current) => current switch
    {
        null => "it does not exist",
        { Deleted: true } => $"it was deleted at version {current.Version}",
        _ => $"current version is {current.Version}",
    };

    /// <summary>The 404 of a vread; access checks answer with the same words so hidden and absent look alike.</summary>
    public static FhirOperationException VersionNotFound(string type, string id, string versionId) =>
        FhirOperationException.NotFound(int.TryParse(versionId, out var version) && version >= 1
            ? $"{type}/{id} has no version {version}"
            : $"{type}/{id} has no version '{versionId}'");

    public static void RequireType(string type)
    {
        if (!ResourceTypes.IsWritable(type))
            throw FhirOperationException.NotFound($"Resource type '{type}' is not supported by this server");
    }

    public static void RequireId(string id)
    {
        if (!FhirId.IsValid(id))
            throw FhirOperationException.BadRequest($"'{id}' is not a valid FHIR id (1-64 characters of A-Z, a-z, 0-9, '-', '.')");
    }

    private static void RequireBodyType(string type, Resource resource)
    {
        if (!string.Equals(resource.TypeName, type, StringComparison.Ordinal))
            throw FhirOperationException.BadRequest($"The body is a {resource.TypeName} but the URL is for {type}");
    }
}
