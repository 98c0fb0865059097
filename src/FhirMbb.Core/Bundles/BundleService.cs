using System.Collections;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Bundles;

/// <summary>
/// Batch and transaction Bundles. A transaction is validated and prepared whole, then stored in one
/// database transaction: it all lands or none of it does.
/// </summary>
public sealed class BundleService(ResourceService resources, IResourceStore store, TimeProvider clock, int maxEntries)
{
    // A transaction re-reads and retries when a concurrent writer moved one of its resources meanwhile.
    private const int MaxConflictRetries = 10;

    public async Task<BundleResult> ProcessAsync(Bundle bundle, CancellationToken ct)
    {
        if (bundle.Entry.Count > maxEntries)
            throw FhirOperationException.BadRequest($"The Bundle has {bundle.Entry.Count} entries; this server takes at most {maxEntries}");
        return bundle.Type switch
        {
            Bundle.BundleType.Transaction => await TransactionAsync(bundle, ct),
            Bundle.BundleType.Batch => await BatchAsync(bundle, ct),
            _ => throw FhirOperationException.BadRequest($"POST to the base takes a Bundle of type batch or transaction, not {bundle.Type?.ToString() ?? "none"}"),
        };
    }

    private async Task<BundleResult> BatchAsync(Bundle bundle, CancellationToken ct)
    {
        var results = new BundleEntryResult[bundle.Entry.Count];
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            try
            {
                var entry = BundleEntryRequest.Parse(i, bundle.Entry[i]);
                results[i] = entry.Method switch
                {
                    Bundle.HTTPVerb.POST => Written(await resources.CreateAsync(entry.Type, entry.Resource!, ct)),
                    Bundle.HTTPVerb.PUT => Written(await resources.UpdateAsync(entry.Type, RequireId(entry), entry.Resource!, entry.IfMatch, ct)),
                    Bundle.HTTPVerb.DELETE => await DeleteInBatchAsync(entry, ct),
                    _ => await ReadAsync(entry, ct),
                };
            }
            catch (FhirOperationException e)
            {
                results[i] = Failed(e, e.Message);
            }
        }
        return new BundleResult(Bundle.BundleType.BatchResponse, results);
    }

    private async Task<BundleEntryResult> DeleteInBatchAsync(BundleEntryRequest entry, CancellationToken ct)
    {
        await resources.DeleteAsync(entry.Type, RequireId(entry), entry.IfMatch, ct);
        return new BundleEntryResult("204 No Content");
    }

    private async Task<BundleResult> TransactionAsync(Bundle bundle, CancellationToken ct)
    {
        var entries = new List<BundleEntryRequest>(bundle.Entry.Count);
        for (var i = 0; i < bundle.Entry.Count; i++) entries.Add(BundleEntryRequest.Parse(i, bundle.Entry[i]));
        RefuseDuplicates(entries);

        // Ids first, so every reference to another entry can point at the id it will have.
        var assigned = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.Query is not null)
                throw new FhirOperationException(501, OperationOutcome.IssueType.NotSupported,
                    $"{entry.Label}: conditional URLs ('{entry.Type}?{entry.Query}') are not supported yet");
            if (entry.Method == Bundle.HTTPVerb.POST) entry.Resource!.Id = FhirId.NewId();
            if (entry.FullUrl is not null && entry.Method is Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT)
                assigned[entry.FullUrl] = $"{entry.Type}/{entry.Resource!.Id}";
        }
        foreach (var entry in entries)
        {
            if (entry.Resource is null) continue;
            RewriteReferences(entry.Resource, assigned);
            await Guard(entry, () => resources.CheckBeforeWriteAsync(entry.Resource, ct).AsTask());
        }

        // The order the specification gives: DELETE, POST, PUT, then GET once everything is written.
        var writes = entries.Where(e => e.Method is Bundle.HTTPVerb.DELETE).Concat(entries.Where(e => e.Method is Bundle.HTTPVerb.POST))
            .Concat(entries.Where(e => e.Method is Bundle.HTTPVerb.PUT)).ToList();
        var results = new BundleEntryResult[entries.Count];
        for (var attempt = 0; ; attempt++)
        {
            var now = clock.GetUtcNow();
            var batch = new List<(BundleEntryRequest Entry, ResourceWrite Write)>();
            foreach (var entry in writes)
            {
                var prepared = await Guard(entry, () => PrepareAsync(entry, now, ct));
                if (prepared is null) results[entry.Index] = new BundleEntryResult("204 No Content");
                else batch.Add((entry, prepared));
            }
            var conflict = await store.TryWriteAllAsync(batch.Select(b => b.Write).ToList(), ct);
            if (conflict < 0)
            {
                foreach (var (entry, write) in batch)
                {
                    results[entry.Index] = write.IsDelete
                        ? new BundleEntryResult("204 No Content")
                        : Written(new WriteOutcome(ResourceService.Stored(write), Created: write.ExpectedVersion is null));
                }
                break;
            }
            var loser = batch[conflict].Entry;
            if (loser.IfMatch is not null || attempt >= MaxConflictRetries)
                throw FhirOperationException.PreconditionFailed($"{loser.Label}: {loser.Target ?? loser.Type} was changed by another request while this transaction ran");
        }

        foreach (var entry in entries.Where(e => e.Method == Bundle.HTTPVerb.GET))
            results[entry.Index] = await Guard(entry, () => ReadAsync(entry, ct));
        return new BundleResult(Bundle.BundleType.TransactionResponse, results);
    }

    /// <summary>The version this entry will store, or null for a delete of something already gone.</summary>
    private async Task<ResourceWrite?> PrepareAsync(BundleEntryRequest entry, DateTimeOffset now, CancellationToken ct)
    {
        if (entry.Method == Bundle.HTTPVerb.POST) return resources.PrepareVersion(entry.Resource!, 1, null, now);

        var current = await store.ReadAsync(entry.Type, entry.Id!, ct);
        if (entry.IfMatch is { } expected && (current is null || current.Version != expected || (current.Deleted && entry.Method == Bundle.HTTPVerb.PUT)))
            throw FhirOperationException.PreconditionFailed($"ifMatch W/\"{expected}\" does not match the current version of {entry.Target}");
        if (entry.Method == Bundle.HTTPVerb.DELETE)
        {
            if (current is null || current.Deleted) return null;
            return new ResourceWrite(entry.Type, entry.Id!, current.Version + 1, current.Version, now, Json: null, PatientId: null);
        }
        return resources.PrepareVersion(entry.Resource!, (current?.Version ?? 0) + 1, current?.Version, now);
    }

    private async Task<BundleEntryResult> ReadAsync(BundleEntryRequest entry, CancellationToken ct)
    {
        if (entry.Id is null)
            throw new FhirOperationException(501, OperationOutcome.IssueType.NotSupported, $"{entry.Label}: searches inside bundles are not supported yet");
        var stored = entry.VersionId is null
            ? await resources.ReadAsync(entry.Type, entry.Id, ct)
            : await resources.ReadVersionAsync(entry.Type, entry.Id, entry.VersionId, ct);
        return new BundleEntryResult("200 OK", Stored: stored);
    }

    private static void RefuseDuplicates(List<BundleEntryRequest> entries)
    {
        var fullUrls = new HashSet<string>(StringComparer.Ordinal);
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.FullUrl is not null && !fullUrls.Add(entry.FullUrl))
                throw FhirOperationException.BadRequest($"{entry.Label}: the fullUrl appears twice in the transaction");
            if (entry.Method is not Bundle.HTTPVerb.GET && entry.Target is { } target && !targets.Add(target))
                throw FhirOperationException.BadRequest($"{entry.Label}: {target} is changed by more than one entry of the transaction");
        }
    }

    /// <summary>Points references to other entries (urn:uuid: or their fullUrl) at the ids they were given.</summary>
    internal static void RewriteReferences(Base element, IReadOnlyDictionary<string, string> assigned)
    {
        if (assigned.Count == 0) return;
        if (element is ResourceReference { Reference: { } reference } target && assigned.TryGetValue(reference, out var local))
            target.Reference = local;
        foreach (var (_, value) in element.EnumerateElements())
        {
            switch (value)
            {
                case Base child:
                    RewriteReferences(child, assigned);
                    break;
                case IEnumerable list and not string:
                    foreach (var item in list)
                        if (item is Base listed) RewriteReferences(listed, assigned);
                    break;
            }
        }
    }

    private static async Task<T> Guard<T>(BundleEntryRequest entry, Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (FhirOperationException e)
        {
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

    private static string RequireId(BundleEntryRequest entry) => entry.Id
        ?? throw new FhirOperationException(501, OperationOutcome.IssueType.NotSupported, $"{entry.Label}: conditional URLs are not supported yet");

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
        400 => "Bad Request", 404 => "Not Found", 405 => "Method Not Allowed", 409 => "Conflict", 410 => "Gone",
        412 => "Precondition Failed", 422 => "Unprocessable Entity", 501 => "Not Implemented", _ => "Error",
    };
}
