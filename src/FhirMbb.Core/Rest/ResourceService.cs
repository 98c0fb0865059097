using FhirMbb.Core.Patch;
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

    /// <summary>
    /// Conditional create (If-None-Exist): no match creates, one match answers with that resource unchanged
    /// (<see cref="WriteOutcome.Created"/> false, nothing written), several are 412. Race-safe: the create claims
    /// the normalized criteria in the database in its own transaction, so of concurrent equivalent creates one
    /// commits and the others are refused, search again, and answer with it.
    /// </summary>
    public async Task<WriteOutcome> CreateAsync(string type, Resource resource, ConditionalCriteria ifNoneExist, CriteriaSearch search, CancellationToken ct = default)
    {
        RequireType(type);
        RequireBodyType(type, resource);
        RequireCriteriaType(type, ifNoneExist);
        resource.Id = null;
        return await CreateUnlessMatchedAsync(resource, ifNoneExist, search, existing => Task.FromResult(new WriteOutcome(existing, Created: false)), null, ct);
    }

    /// <summary>
    /// Conditional update (PUT Type?criteria): one match is updated (400 when the body names another id), several
    /// are 412, none creates: with the body's id if it has one (409 if that id is a live resource the criteria did
    /// not select), else a new id; the create claims the criteria as a conditional create does. If-Match applies to
    /// the match (and fails with none).
    /// </summary>
    public async Task<WriteOutcome> UpdateAsync(
        string type, ConditionalCriteria criteria, Resource resource, int? ifMatch, CriteriaSearch search, Action<StoredResource?>? checkReplaced,
        CancellationToken ct = default)
    {
        RequireType(type);
        RequireBodyType(type, resource);
        RequireCriteriaType(type, criteria);
        var bodyId = string.IsNullOrEmpty(resource.Id) ? null : resource.Id;
        if (bodyId is not null) RequireId(bodyId);
        return await CreateUnlessMatchedAsync(resource, criteria, search, existing =>
        {
            if (bodyId is not null && bodyId != existing.Id)
                throw FhirOperationException.BadRequest($"The criteria {criteria} select {type}/{existing.Id} but the body's id is '{bodyId}'");
            resource.Id = existing.Id;
            return UpdateAsync(type, existing.Id, resource, ifMatch, checkReplaced, ct);
        }, created =>
        {
            if (ifMatch is { } expected)
                throw FhirOperationException.PreconditionFailed($"If-Match W/\"{expected}\": the criteria {criteria} select no resource");
            if (created is { Deleted: false })
                throw new FhirOperationException(409, OperationOutcome.IssueType.Conflict,
                    $"The criteria {criteria} select no resource, but the body's id names {type}/{created.Id}, which exists and does not match them");
            checkReplaced?.Invoke(created);
        }, ct, bodyId);
    }

    /// <param name="beforeCreate">runs on the version the create replaces (null, or a deletion), and throws to refuse.</param>
    /// <param name="bodyId">the id to create under; null: a new one.</param>
    private async Task<WriteOutcome> CreateUnlessMatchedAsync(
        Resource resource, ConditionalCriteria criteria, CriteriaSearch search, Func<StoredResource, Task<WriteOutcome>> onMatch,
        Action<StoredResource?>? beforeCreate, CancellationToken ct, string? bodyId = null)
    {
        var type = criteria.Type;
        var checkedBody = false;
        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            // The key's owner is read before the search: if the search then misses it, it no longer matches (or the
            // caller may not see it), and its claim is stale and may be taken over.
            var owner = await store.ConditionalKeyOwnerAsync(type, criteria.ClaimKey, ct);
            var matches = await search(criteria, 2, ct);
            if (matches.Count > 1) throw SeveralMatch(criteria);
            if (matches.Count == 1) return await onMatch(matches[0]);

            resource.Id = bodyId ?? FhirId.NewId();
            var current = bodyId is null ? null : await store.ReadAsync(type, bodyId, ct);
            beforeCreate?.Invoke(current);
            if (!checkedBody)
            {
                await CheckAsync(resource, ct);
                checkedBody = true;
            }
            var write = PrepareVersion(resource, (current?.Version ?? 0) + 1, current?.Version, clock.GetUtcNow())
                with { Claim = new ConditionalClaim(criteria.ClaimKey, owner) };
            // Refused: an equivalent create (or a writer of the body's id) got there first; the next search sees it.
            if (await store.TryWriteAsync(write, ct)) return new WriteOutcome(Stored(write), Created: true);
        }
        throw new FhirOperationException(409, OperationOutcome.IssueType.Conflict, $"Resources matching {criteria} are being created too often to decide; try again");
    }

    /// <summary>
    /// Conditional delete (DELETE Type?criteria): deletes every match in one database transaction, as long as there
    /// are at most <paramref name="maxDeletes"/> (1: a single delete), else 412. No match deletes nothing and succeeds.
    /// If-Match needs exactly one match at that version. Returns what was deleted.
    /// </summary>
    /// <param name="checkDeleted">runs on each match before it is deleted (again after a lost race); throws to refuse.</param>
    public async Task<IReadOnlyList<StoredResource>> DeleteAsync(
        string type, ConditionalCriteria criteria, int maxDeletes, int? ifMatch, CriteriaSearch search, Action<StoredResource>? checkDeleted,
        CancellationToken ct = default)
    {
        RequireType(type);
        RequireCriteriaType(type, criteria);
        if (maxDeletes < 1) throw new ArgumentOutOfRangeException(nameof(maxDeletes), maxDeletes, "At least one resource must be deletable");
        for (var attempt = 0; attempt < MaxConflictRetries; attempt++)
        {
            var matches = await search(criteria, maxDeletes + 1, ct);
            if (matches.Count > maxDeletes)
                throw maxDeletes == 1
                    ? SeveralMatch(criteria)
                    : FhirOperationException.PreconditionFailed($"The criteria {criteria} select more than {maxDeletes} resources, the most one conditional delete may remove");
            if (matches.Count == 0) return [];
            if (ifMatch is { } expected && (matches.Count > 1 || matches[0].Version != expected))
                throw FhirOperationException.PreconditionFailed(matches.Count > 1
                    ? $"If-Match W/\"{expected}\" names one version but the criteria {criteria} select {matches.Count} resources"
                    : $"If-Match W/\"{expected}\" does not match {type}/{matches[0].Id} (current version is {matches[0].Version})");
            foreach (var match in matches) checkDeleted?.Invoke(match);

            var now = clock.GetUtcNow();
            var writes = matches.Select(m => new ResourceWrite(type, m.Id, m.Version + 1, m.Version, now, Json: null, PatientId: null)).ToList();
            if (await store.TryWriteAllAsync(writes, ct) < 0) return matches;
            if (ifMatch is not null)
                throw FhirOperationException.PreconditionFailed($"{type}/{matches[0].Id} was changed by another request");
        }
        throw new FhirOperationException(409, OperationOutcome.IssueType.Conflict, $"Resources matching {criteria} are being changed too often to delete; try again");
    }

    /// <summary>The 412 of criteria that select more than the one resource the interaction needs.</summary>
    public static FhirOperationException SeveralMatch(ConditionalCriteria criteria) =>
        FhirOperationException.PreconditionFailed($"The criteria {criteria} select more than one resource; they must select at most one");

    private static void RequireCriteriaType(string type, ConditionalCriteria criteria)
    {
        if (!string.Equals(criteria.Type, type, StringComparison.Ordinal))
            throw new ArgumentException($"Criteria for {criteria.Type} used on {type}", nameof(criteria));
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
            indexer?.Index(resource), Facts: Evaluation.EvidenceFacts.Of(resource, json));
    }

    /// <summary>What a write looks like once stored, before the store has been asked again.</summary>
    public static StoredResource Stored(ResourceWrite write) =>
        new(write.Type, write.Id, write.Version, write.LastUpdated, write.IsDelete, write.Json ?? ReadOnlyMemory<byte>.Empty, Sequence: 0,
            Facts: write.Facts);

    /// <summary>
    /// PATCH: <paramref name="patch"/> is applied to the current version and the result stored over it, as an update
    /// checked against that version. A lost race applies the patch again to the winner, unless If-Match named the version
    /// (412). <paramref name="guard"/> (null: none) sees each patched resource and returns the check an update runs on
    /// the version it replaces (access checks); it throws to refuse.
    /// </summary>
    public async Task<WriteOutcome> PatchAsync(
        string type, string id, int? ifMatch, Func<StoredResource, Resource> patch, Func<Resource, Action<StoredResource?>?>? guard,
        CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var current = await ReadAsync(type, id, ct);
            if (ifMatch is { } expected && current.Version != expected)
                throw FhirOperationException.PreconditionFailed($"If-Match W/\"{expected}\" does not match the current version of {type}/{id} (current version is {current.Version})");
            var patched = patch(current);
            try
            {
                return await UpdateAsync(type, id, patched, current.Version, guard?.Invoke(patched), ct);
            }
            catch (FhirOperationException e) when (e.Status == 412 && ifMatch is null && attempt < MaxConflictRetries)
            {
                // Someone else wrote in between; apply the patch again to what they wrote.
            }
        }
    }

    /// <summary>The id of the one resource a conditional PATCH's criteria select: none is 404, several 412.</summary>
    public static async Task<string> PatchTargetAsync(ConditionalCriteria criteria, CriteriaSearch search, CancellationToken ct = default)
    {
        var matches = await search(criteria, 2, ct);
        return matches.Count switch
        {
            0 => throw FhirOperationException.NotFound($"The criteria {criteria} select no {criteria.Type} to patch"),
            1 => matches[0].Id,
            _ => throw SeveralMatch(criteria),
        };
    }

    /// <summary>
    /// The resource <paramref name="current"/> becomes under a bundle entry's patch: a Binary whose contentType is
    /// application/json-patch+json holds a JSON Patch, a Parameters resource is a FHIRPath Patch. Both refuse a change
    /// of the resource's type or id (422). Nothing is checked or stored here.
    /// </summary>
    public Resource ApplyPatch(StoredResource current, Resource patch) => patch switch
    {
        Binary { Data: { } data } binary when JsonPatch.IsMediaType(binary.ContentType) => ApplyJsonPatch(current, data),
        Binary => throw FhirOperationException.BadRequest($"A PATCH entry's Binary must have contentType {JsonPatch.MediaType} and the patch as its data"),
        Parameters parameters => FhirPathPatch.Apply(serialization.ParseStored(current.Json.Span), parameters),
        _ => throw FhirOperationException.BadRequest($"A PATCH entry takes a Binary (JSON Patch) or a Parameters resource (FHIRPath Patch) as its resource; this one holds a {patch.TypeName} resource"),
    };

    /// <summary>A JSON Patch applied to the stored JSON, and the result parsed as any body is.</summary>
    public Resource ApplyJsonPatch(StoredResource current, ReadOnlySpan<byte> patch) => serialization.ParseJson(JsonPatch.Apply(current.Json.Span, patch));

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
