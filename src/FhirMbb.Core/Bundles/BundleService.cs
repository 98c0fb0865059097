using System.Collections;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Search;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Bundles;

/// <summary>
/// Batch and transaction Bundles. A transaction is validated and prepared whole, then stored in one
/// database transaction: it all lands or none of it does.
/// </summary>
/// <param name="search">
/// the search behind conditional entries, conditional references and search entries; resolved on first use, so a
/// provider without search still serves bundles that need none. Bundles are sent with unrestricted tokens only
/// (the endpoint refuses the others), so these searches are unrestricted.
/// </param>
/// <param name="maxConditionalDeletes">the most a conditional DELETE entry may remove (its <c>_count</c>).</param>
public sealed class BundleService(
    ResourceService resources, IResourceStore store, TimeProvider clock, int maxEntries,
    Func<SearchService>? search = null, int maxConditionalDeletes = 10)
{
    // A transaction re-reads and retries when a concurrent writer moved one of its resources meanwhile.
    private const int MaxConflictRetries = 10;

    private SearchService Search => search?.Invoke()
        ?? throw new FhirOperationException(501, OperationOutcome.IssueType.NotSupported, "Searches are not available on this server's storage");

    private Task<IReadOnlyList<StoredResource>> MatchAsync(ConditionalCriteria criteria, int limit, CancellationToken ct) =>
        Search.MatchAsync(criteria.Type, criteria.Parameters, limit, null, ct);

    public Task<BundleResult> ProcessAsync(Bundle bundle, CancellationToken ct) => ProcessAsync(bundle, requireSearch: null, ct);

    /// <param name="requireSearch">called with the type of every conditional reference before it is searched; throws to refuse.</param>
    public async Task<BundleResult> ProcessAsync(Bundle bundle, Action<string>? requireSearch, CancellationToken ct)
    {
        if (bundle.Entry.Count > maxEntries)
            throw FhirOperationException.BadRequest($"The Bundle has {bundle.Entry.Count} entries; this server takes at most {maxEntries}");
        return bundle.Type switch
        {
            Bundle.BundleType.Transaction => await TransactionAsync(bundle, requireSearch, ct),
            Bundle.BundleType.Batch => await BatchAsync(bundle, requireSearch, ct),
            _ => throw FhirOperationException.BadRequest($"POST to the base takes a Bundle of type batch or transaction, not {bundle.Type?.ToString() ?? "none"}"),
        };
    }

    private async Task<BundleResult> BatchAsync(Bundle bundle, Action<string>? requireSearch, CancellationToken ct)
    {
        var results = new BundleEntryResult[bundle.Entry.Count];
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            try
            {
                var entry = BundleEntryRequest.Parse(i, bundle.Entry[i]);
                if (entry.Resource is not null)
                {
                    var conditional = new List<ResourceReference>();
                    RewriteReferences(entry.Resource, new Dictionary<string, string>(), conditional);
                    await ResolveConditionalReferencesAsync(conditional, new Dictionary<string, string>(StringComparer.Ordinal), requireSearch, ct);
                }
                results[i] = await BatchEntryAsync(entry, ct);
            }
            catch (FhirOperationException e)
            {
                results[i] = Failed(e, e.Message);
            }
        }
        return new BundleResult(Bundle.BundleType.BatchResponse, results);
    }

    private async Task<BundleEntryResult> BatchEntryAsync(BundleEntryRequest entry, CancellationToken ct)
    {
        switch (entry.Method)
        {
            case Bundle.HTTPVerb.POST:
                return Written(entry.Criteria is { } ifNoneExist
                    ? await resources.CreateAsync(entry.Type, entry.Resource!, ifNoneExist, MatchAsync, ct)
                    : await resources.CreateAsync(entry.Type, entry.Resource!, ct));
            case Bundle.HTTPVerb.PUT:
                return Written(entry.Criteria is { } criteria
                    ? await resources.UpdateAsync(entry.Type, criteria, entry.Resource!, entry.IfMatch, MatchAsync, null, ct)
                    : await resources.UpdateAsync(entry.Type, entry.Id!, entry.Resource!, entry.IfMatch, ct));
            case Bundle.HTTPVerb.PATCH:
                return Written(await resources.PatchAsync(entry.Type,
                    entry.Criteria is { } patching ? await ResourceService.PatchTargetAsync(patching, MatchAsync, ct) : entry.Id!,
                    entry.IfMatch, current => resources.ApplyPatch(current, entry.Resource!), guard: null, ct));
            case Bundle.HTTPVerb.DELETE:
                if (entry.Criteria is { } deleting)
                    await resources.DeleteAsync(entry.Type, deleting, RequireDeleteLimit(entry), entry.IfMatch, MatchAsync, null, ct);
                else
                    await resources.DeleteAsync(entry.Type, entry.Id!, entry.IfMatch, ct);
                return new BundleEntryResult("204 No Content");
            default:
                return await ReadAsync(entry, ct);
        }
    }

    private int RequireDeleteLimit(BundleEntryRequest entry) => entry.MaxDeletes <= maxConditionalDeletes
        ? entry.MaxDeletes
        : throw FhirOperationException.BadRequest($"_count {entry.MaxDeletes} exceeds the {maxConditionalDeletes} resources one conditional delete may remove");

    /// <summary>
    /// A transaction. When it holds a conditional create (ifNoneExist, or a conditional PUT that creates) and a
    /// concurrent request claims the same criteria first, the criteria now match: the transaction is prepared
    /// again from the bundle as sent, and that entry then finds the other request's resource.
    /// </summary>
    private async Task<BundleResult> TransactionAsync(Bundle bundle, Action<string>? requireSearch, CancellationToken ct)
    {
        var claims = bundle.Entry.Any(e => e.Request is { } r
            && ((r.Method == Bundle.HTTPVerb.POST && !string.IsNullOrWhiteSpace(r.IfNoneExist)) || (r.Method == Bundle.HTTPVerb.PUT && r.Url?.Contains('?') == true)));
        for (var attempt = 0; ; attempt++)
        {
            var working = claims ? (Bundle)bundle.DeepCopy() : bundle;
            if (await TransactionOnceAsync(working, requireSearch, ct) is { } result) return result;
            if (attempt >= MaxConflictRetries)
                throw new FhirOperationException(409, OperationOutcome.IssueType.Conflict,
                    "Other requests kept creating resources that match this transaction's conditional creates; try again");
        }
    }

    /// <summary>An entry of a transaction as resolved before anything is written.</summary>
    private sealed class Step(BundleEntryRequest request)
    {
        public BundleEntryRequest Request { get; } = request;

        /// <summary>The id written (POST, PUT); for a conditional entry the one its criteria resolved to.</summary>
        public string? Id { get; set; } = request.Id;

        /// <summary>A conditional create whose criteria matched this resource: nothing is written.</summary>
        public StoredResource? Existing { get; set; }

        /// <summary>An earlier conditional create of this transaction with the same criteria: this entry answers with its resource.</summary>
        public Step? SameAs { get; set; }

        /// <summary>The claim of a conditional create (or a conditional PUT that creates).</summary>
        public ConditionalClaim? Claim { get; set; }

        /// <summary>The resources a DELETE removes: its id, or whatever its criteria selected.</summary>
        public List<StoredResource> Deletes { get; } = [];

        /// <summary>The version this step stores (POST, PUT), once prepared.</summary>
        public ResourceWrite? Prepared { get; set; }

        public bool Writes => Existing is null && SameAs is null;

        public string Label => Request.Label;
    }

    /// <returns>null when a conditional create lost its claim to a concurrent request: the caller starts again.</returns>
    private async Task<BundleResult?> TransactionOnceAsync(Bundle bundle, Action<string>? requireSearch, CancellationToken ct)
    {
        var entries = new List<BundleEntryRequest>(bundle.Entry.Count);
        for (var i = 0; i < bundle.Entry.Count; i++) entries.Add(BundleEntryRequest.Parse(i, bundle.Entry[i]));
        RefuseDuplicateFullUrls(entries);

        // Conditional entries resolve against the database as it was before this transaction. Entries of the same
        // transaction are not seen by those searches, with one exception: a conditional create whose criteria equal
        // (once normalized) an earlier conditional create's is that same resource (200, nothing more written).
        var steps = entries.Select(e => new Step(e)).ToList();
        var creates = new Dictionary<(string Type, string Key), Step>();
        foreach (var step in steps)
        {
            var entry = step.Request;
            if (entry.Criteria is not { } criteria) continue;
            if (entry.Method == Bundle.HTTPVerb.POST && creates.TryGetValue((criteria.Type, criteria.Key), out var first))
            {
                step.SameAs = first;
                continue;
            }
            await Guard(entry, () => ResolveConditionalAsync(step, criteria, ct));
            if (entry.Method == Bundle.HTTPVerb.POST && step.Existing is null) creates[(criteria.Type, criteria.Key)] = step;
        }
        RefuseOverlaps(steps);

        // Ids next, so every reference to another entry can point at the id it will have.
        var assigned = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            var entry = step.Request;
            if (entry.Method == Bundle.HTTPVerb.POST && step.Writes && step.Id is null) step.Id = FhirId.NewId();
            // A PATCH entry's resource is the patch, not the resource it changes.
            if (step.Writes && entry.Resource is not null && entry.Method != Bundle.HTTPVerb.PATCH) entry.Resource.Id = step.Id;
            var id = step.SameAs?.Id ?? step.Existing?.Id ?? step.Id;
            if (entry.FullUrl is not null && entry.Method is Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.PATCH && id is not null)
                assigned[entry.FullUrl] = $"{entry.Type}/{id}";
        }
        // A conditional reference equal to a conditional create of this transaction points at that entry's resource.
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var ((type, key), step) in creates) resolved[$"{type}?{key}"] = $"{type}/{step.Id}";
        var links = BundleLinks.Temporary(assigned);
        foreach (var step in steps.Where(s => s.Writes && s.Request.Resource is not null))
        {
            var resource = step.Request.Resource!;
            var conditional = new List<ResourceReference>();
            RewriteReferences(resource, assigned, conditional, links, RestBase(step.Request.FullUrl));
            if (conditional.Count > 0) await Guard(step.Request, () => ResolveConditionalReferencesAsync(conditional, resolved, requireSearch, ct));
            // A patch is checked once applied (PrepareAsync), as the resource it makes.
            if (step.Request.Method != Bundle.HTTPVerb.PATCH) await Guard(step.Request, () => resources.CheckBeforeWriteAsync(resource, ct).AsTask());
        }

        // The order the specification gives: DELETE, POST, PUT and PATCH, then GET once everything is written.
        var writing = steps.Where(s => s.Request.Method is Bundle.HTTPVerb.DELETE).Concat(steps.Where(s => s.Request.Method is Bundle.HTTPVerb.POST))
            .Concat(steps.Where(s => s.Request.Method is Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.PATCH)).Where(s => s.Writes).ToList();
        var results = new BundleEntryResult[entries.Count];
        // Plain creates cannot conflict, so they are never prepared a second time: once a create's version is serialized
        // and indexed, its parsed resource is dropped (here and in the bundle). The parsed bundle is several times the
        // size of its JSON, and the garbage collections that run while the transaction waits for its commit copied it.
        var releasable = writing.All(s => s.Request.Method == Bundle.HTTPVerb.POST && s.Claim is null);
        for (var attempt = 0; ; attempt++)
        {
            var now = clock.GetUtcNow();
            var batch = new List<(Step Step, ResourceWrite Write)>();
            foreach (var step in writing)
            {
                // A released create keeps the version it was prepared with, should the write be tried again.
                var writes = step.Request.Resource is null && step.Prepared is { } prepared
                    ? [prepared]
                    : await Guard(step.Request, () => PrepareAsync(step, now, ct));
                foreach (var write in writes) batch.Add((step, write));
                if (!releasable) continue;
                step.Request.Resource = null;
                bundle.Entry[step.Request.Index].Resource = null;
            }
            var conflict = await store.TryWriteAllAsync(batch.Select(b => b.Write).ToList(), ct);
            if (conflict < 0) break;
            var (loser, refused) = batch[conflict];
            if (refused.Claim is not null) return null;
            if (loser.Request.IfMatch is not null || attempt >= MaxConflictRetries)
                throw FhirOperationException.PreconditionFailed(
                    $"{loser.Label}: {refused.Type}/{refused.Id} was changed by another request while this transaction ran");
        }

        foreach (var step in steps.Where(s => s.Request.Method != Bundle.HTTPVerb.GET))
        {
            var source = step.SameAs ?? step;
            results[step.Request.Index] = step.Request.Method switch
            {
                Bundle.HTTPVerb.DELETE => new BundleEntryResult("204 No Content"),
                _ when source.Existing is { } existing => Written(new WriteOutcome(existing, Created: false)),
                _ when step.SameAs is not null => Written(new WriteOutcome(ResourceService.Stored(source.Prepared!), Created: false)),
                _ => Written(new WriteOutcome(ResourceService.Stored(step.Prepared!), Created: step.Prepared!.ExpectedVersion is null)),
            };
        }
        foreach (var entry in entries.Where(e => e.Method == Bundle.HTTPVerb.GET))
            results[entry.Index] = await Guard(entry, () => ReadAsync(entry, ct));
        return new BundleResult(Bundle.BundleType.TransactionResponse, results);
    }

    /// <summary>Runs an entry's criteria: the resource it updates or deletes, the match a conditional create answers with, or the claim of a create.</summary>
    private async Task ResolveConditionalAsync(Step step, ConditionalCriteria criteria, CancellationToken ct)
    {
        var entry = step.Request;
        if (entry.Method == Bundle.HTTPVerb.DELETE)
        {
            var limit = RequireDeleteLimit(entry);
            var found = await MatchAsync(criteria, limit + 1, ct);
            if (found.Count > limit)
                throw limit == 1 ? ResourceService.SeveralMatch(criteria)
                    : FhirOperationException.PreconditionFailed($"The criteria {criteria} select more than {limit} resources");
            if (entry.IfMatch is not null && found.Count > 1)
                throw FhirOperationException.PreconditionFailed($"ifMatch names one version but the criteria {criteria} select {found.Count} resources");
            step.Deletes.AddRange(found);
            return;
        }

        if (entry.Method == Bundle.HTTPVerb.PATCH)
        {
            step.Id = await ResourceService.PatchTargetAsync(criteria, MatchAsync, ct);
            return;
        }

        // As for a single conditional create: the key's owner is read before the search, so an owner the search
        // misses no longer matches and its claim may be taken over.
        var owner = await store.ConditionalKeyOwnerAsync(criteria.Type, criteria.ClaimKey, ct);
        var matches = await MatchAsync(criteria, 2, ct);
        if (matches.Count > 1) throw ResourceService.SeveralMatch(criteria);
        var bodyId = string.IsNullOrEmpty(entry.Resource!.Id) ? null : entry.Resource.Id;
        if (entry.Method == Bundle.HTTPVerb.POST)
        {
            if (matches.Count == 1) step.Existing = matches[0];
            else step.Claim = new ConditionalClaim(criteria.ClaimKey, owner);
            return;
        }
        // PUT Type?criteria: update the match, or create (with the body's id if it has one) claiming the criteria.
        if (matches.Count == 1)
        {
            if (bodyId is not null && bodyId != matches[0].Id)
                throw FhirOperationException.BadRequest($"The criteria {criteria} select {criteria.Type}/{matches[0].Id} but the resource's id is '{bodyId}'");
            step.Id = matches[0].Id;
            return;
        }
        if (bodyId is not null) ResourceService.RequireId(bodyId);
        step.Id = bodyId ?? FhirId.NewId();
        step.Claim = new ConditionalClaim(criteria.ClaimKey, owner);
    }

    /// <summary>The versions a step stores: none for a delete of something already gone.</summary>
    private async Task<IReadOnlyList<ResourceWrite>> PrepareAsync(Step step, DateTimeOffset now, CancellationToken ct)
    {
        var entry = step.Request;
        if (entry.Method == Bundle.HTTPVerb.POST)
        {
            step.Prepared = resources.PrepareVersion(entry.Resource!, 1, null, now) with { Claim = step.Claim };
            return [step.Prepared];
        }

        if (entry.Method == Bundle.HTTPVerb.DELETE)
        {
            var targets = entry.IsConditional ? step.Deletes.Select(d => d.Id).ToList() : [entry.Id!];
            var writes = new List<ResourceWrite>();
            foreach (var id in targets)
            {
                var current = await store.ReadAsync(entry.Type, id, ct);
                RequireIfMatch(entry, current, $"{entry.Type}/{id}");
                if (current is null || current.Deleted) continue;
                writes.Add(new ResourceWrite(entry.Type, id, current.Version + 1, current.Version, now, Json: null, PatientId: null));
            }
            return writes;
        }

        if (entry.Method == Bundle.HTTPVerb.PATCH)
        {
            // Applied to the version read here (404 or 410 as a read), again on every retry, so a lost race patches what won it.
            var current = await resources.ReadAsync(entry.Type, step.Id!, ct);
            RequireIfMatch(entry, current, $"{entry.Type}/{step.Id}");
            var patched = resources.ApplyPatch(current, entry.Resource!);
            await resources.CheckBeforeWriteAsync(patched, ct);
            step.Prepared = resources.PrepareVersion(patched, current.Version + 1, current.Version, now);
            return [step.Prepared];
        }

        var existing = await store.ReadAsync(entry.Type, step.Id!, ct);
        RequireIfMatch(entry, existing, $"{entry.Type}/{step.Id}");
        if (step.Claim is not null && existing is { Deleted: false })
            throw new FhirOperationException(409, OperationOutcome.IssueType.Conflict,
                $"The criteria select no resource, but the resource's id names {entry.Type}/{step.Id}, which exists and does not match them");
        step.Prepared = resources.PrepareVersion(entry.Resource!, (existing?.Version ?? 0) + 1, existing?.Version, now) with { Claim = step.Claim };
        return [step.Prepared];
    }

    private static void RequireIfMatch(BundleEntryRequest entry, StoredResource? current, string target)
    {
        if (entry.IfMatch is { } expected && (current is null || current.Version != expected || (current.Deleted && entry.Method == Bundle.HTTPVerb.PUT)))
            throw FhirOperationException.PreconditionFailed($"ifMatch W/\"{expected}\" does not match the current version of {target}");
    }

    private async Task<BundleEntryResult> ReadAsync(BundleEntryRequest entry, CancellationToken ct)
    {
        if (entry.Id is null)
        {
            var outcome = await Search.SearchAsync(entry.Type, ConditionalCriteria.QueryPairs(entry.Query ?? ""), strict: false, new SearchLimits(), null, null, ct);
            return new BundleEntryResult("200 OK", Found: outcome);
        }
        var stored = entry.VersionId is null
            ? await resources.ReadAsync(entry.Type, entry.Id, ct)
            : await resources.ReadVersionAsync(entry.Type, entry.Id, entry.VersionId, ct);
        // request.ifNoneMatch / ifModifiedSince: the client's copy is current, so the resource is left out.
        if (stored.Version == entry.IfNoneMatch || (entry.IfModifiedSince is { } since && stored.LastUpdated <= since))
            return new BundleEntryResult("304 Not Modified");
        return new BundleEntryResult("200 OK", Stored: stored);
    }

    private static void RefuseDuplicateFullUrls(List<BundleEntryRequest> entries)
    {
        var fullUrls = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
            if (entry.FullUrl is not null && !fullUrls.Add(entry.FullUrl))
                throw FhirOperationException.BadRequest($"{entry.Label}: the fullUrl appears twice in the transaction");
    }

    /// <summary>A resource may be changed by one entry only, counting the ids conditional entries resolved to (the spec's rule).</summary>
    private static void RefuseOverlaps(List<Step> steps)
    {
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            var entry = step.Request;
            if (entry.Method is Bundle.HTTPVerb.GET || !step.Writes) continue;
            var ids = entry.Method == Bundle.HTTPVerb.DELETE && entry.IsConditional ? step.Deletes.Select(d => d.Id).ToList() : [step.Id ?? entry.Id ?? ""];
            foreach (var id in ids)
            {
                if (id.Length == 0) continue;
                var target = $"{entry.Type}/{id}";
                if (!targets.Add(target))
                    throw FhirOperationException.BadRequest($"{entry.Label}: {target} is changed by more than one entry of the transaction");
            }
        }
    }

    /// <summary>
    /// Points references to other entries (urn:uuid: or their fullUrl) at the ids they were given, and collects the
    /// conditional ones (Type?criteria) into <paramref name="conditional"/>: one walk over the resource for both. The
    /// same walk rewrites uri and url elements and narrative links that name an entry by a urn (see <see cref="BundleLinks"/>).
    /// </summary>
    /// <param name="links">the urn entries of <paramref name="assigned"/> (<see cref="BundleLinks.Temporary"/>), taken once per transaction.</param>
    /// <param name="restBase">
    /// the base of the entry's fullUrl when it is a RESTful URL ([base]/Type/id): a relative reference (Type/id) then names
    /// [base]/Type/id, which may be another entry's fullUrl (R4 bundle.html, resolving references in Bundles). In an entry
    /// under a urn, a relative reference names a resource on this server and is left as it is.
    /// </param>
    internal static void RewriteReferences(Base element, IReadOnlyDictionary<string, string> assigned, List<ResourceReference>? conditional = null,
        IReadOnlyDictionary<string, string>? links = null, string? restBase = null)
    {
        if (assigned.Count == 0 && conditional is null) return;
        Visit(element, target =>
        {
            var reference = target.Reference!;
            if (assigned.TryGetValue(reference, out var local)
                || (restBase is not null && IsRelative(reference) && assigned.TryGetValue($"{restBase}/{reference}", out local)))
                target.Reference = local;
            else if (conditional is not null && reference.Contains('?')) conditional.Add(target);
        }, links is { Count: > 0 } ? links : null);
    }

    // Type/id (optionally /_history/v): no scheme, not a contained (#) or conditional (?) reference.
    private static bool IsRelative(string reference) =>
        reference.Length > 0 && reference[0] != '#' && !reference.Contains(':') && !reference.Contains('?');

    /// <summary>[base] of a fullUrl of the form [base]/Type/id with a known resource type; null for a urn or anything else.</summary>
    internal static string? RestBase(string? fullUrl)
    {
        // A prefix test, not a Uri: most transactions name every entry by a urn.
        if (fullUrl is null || !(fullUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || fullUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase))) return null;
        var idSlash = fullUrl.LastIndexOf('/');
        var typeSlash = idSlash > 0 ? fullUrl.LastIndexOf('/', idSlash - 1) : -1;
        if (typeSlash < 0 || idSlash == fullUrl.Length - 1) return null;
        return ModelInfo.IsKnownResource(fullUrl[(typeSlash + 1)..idSlash]) ? fullUrl[..typeSlash] : null;
    }

    /// <summary>
    /// Replaces every conditional reference (<c>Patient?identifier=sys|val</c>) with the one resource it selects:
    /// none is 400 and several 412, both naming the reference. <paramref name="resolved"/> caches answers by criteria.
    /// </summary>
    private async Task ResolveConditionalReferencesAsync(
        List<ResourceReference> references, Dictionary<string, string> resolved, Action<string>? requireSearch, CancellationToken ct)
    {
        foreach (var target in references)
        {
            if (ConditionalCriteria.FromReference(target.Reference!) is not { } criteria) continue; // an absolute URL with a query, say
            requireSearch?.Invoke(criteria.Type);
            var key = criteria.ToString();
            if (!resolved.TryGetValue(key, out var local))
            {
                var matches = await MatchAsync(criteria, 2, ct);
                if (matches.Count > 1)
                    throw FhirOperationException.PreconditionFailed($"The conditional reference '{target.Reference}' selects more than one resource");
                if (matches.Count == 0)
                    throw FhirOperationException.BadRequest($"The conditional reference '{target.Reference}' selects no resource");
                resolved[key] = local = $"{criteria.Type}/{matches[0].Id}";
            }
            target.Reference = local;
        }
    }

    /// <param name="links">the temporary fullUrls (urn:) and their ids, for links other than references; null for none.</param>
    private static void Visit(Base element, Action<ResourceReference> visit, IReadOnlyDictionary<string, string>? links)
    {
        if (element is ResourceReference { Reference: not null } target) visit(target);
        // Indexed loops and no local function capturing this call's arguments: Visit meets every element of every entry,
        // and each call allocated a closure, each list a boxed enumerator. The elements are read from their fields
        // (ElementShape), not through EnumerateElements, which allocates an iterator and a dictionary per object.
        if (!element.HasOverflow && ElementShape.Of(element.GetType()) is { } shape)
        {
            foreach (var e in shape.Elements)
            {
                switch (ElementShape.Present(e, element))
                {
                    case Base child:
                        VisitChild(element, e.Name, child, visit, links);
                        break;
                    case IList list:
                        for (var i = 0; i < list.Count; i++)
                            if (list[i] is Base listed) VisitChild(element, e.Name, listed, visit, links);
                        break;
                }
            }
            return;
        }
        foreach (var (name, value) in element.EnumerateElements())
        {
            switch (value)
            {
                case Base child:
                    VisitChild(element, name, child, visit, links);
                    break;
                case IList list:
                    for (var i = 0; i < list.Count; i++)
                        if (list[i] is Base listed) VisitChild(element, name, listed, visit, links);
                    break;
                case IEnumerable list and not string:
                    foreach (var item in list)
                        if (item is Base listed) VisitChild(element, name, listed, visit, links);
                    break;
            }
        }
    }

    private static void VisitChild(Base parent, string name, Base child, Action<ResourceReference> visit, IReadOnlyDictionary<string, string>? links)
    {
        if (links is not null && child is PrimitiveType) BundleLinks.Rewrite(parent, name, child, links);
        if (MayHoldReferences(child)) Visit(child, visit, links);
    }

    // Most elements of a resource are primitives, and a primitive holds a reference only inside an extension.
    private static bool MayHoldReferences(Base element) => element is not PrimitiveType primitive || ElementShape.HasExtensions(primitive);

    private static async Task<T> Guard<T>(BundleEntryRequest entry, Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (FhirOperationException e)
        {
            if (e.Message.StartsWith(entry.Label + ":", StringComparison.Ordinal)) throw; // already named
            throw new FhirOperationException(e.Status, e.IssueType, $"{entry.Label}: {e.Message}", Name(e.Outcome, entry));
        }
    }

    private static async Task Guard(BundleEntryRequest entry, Func<Task> work) =>
        await Guard(entry, async () => { await work(); return true; });

    private static OperationOutcome? Name(OperationOutcome? outcome, BundleEntryRequest entry)
    {
        if (outcome is null) return null;
        var named = (OperationOutcome)outcome.DeepCopy();
        foreach (var issue in named.Issue) issue.Diagnostics = $"{entry.Label}: {issue.Diagnostics}";
        return named;
    }

    private static BundleEntryResult Written(WriteOutcome outcome) =>
        new(outcome.Created ? "201 Created" : "200 OK", $"{outcome.Stored.Type}/{outcome.Stored.Id}/_history/{outcome.Stored.Version}", outcome.Stored);

    private static BundleEntryResult Failed(FhirOperationException e, string message)
    {
        var outcome = e.Outcome ?? new OperationOutcome
        {
            Issue = [new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = e.IssueType, Diagnostics = message }],
        };
        return new BundleEntryResult($"{e.Status} {ReasonPhrase(e.Status)}", Outcome: outcome);
    }

    private static string ReasonPhrase(int status) => status switch
    {
        400 => "Bad Request", 403 => "Forbidden", 404 => "Not Found", 405 => "Method Not Allowed", 409 => "Conflict", 410 => "Gone",
        412 => "Precondition Failed", 422 => "Unprocessable Entity", 501 => "Not Implemented", _ => "Error",
    };
}
