using Hl7.Fhir.Model;

namespace FhirMbb.Core.Bundles;

/// <summary>One entry of a batch or transaction, with its request URL taken apart.</summary>
public sealed record BundleEntryRequest(
    int Index,
    string? FullUrl,
    Bundle.HTTPVerb Method,
    string Type,
    string? Id,
    string? VersionId,
    string? Query,
    Resource? Resource,
    int? IfMatch,
    Rest.ConditionalCriteria? Criteria = null,
    int MaxDeletes = 1,
    int? IfNoneMatch = null,
    DateTimeOffset? IfModifiedSince = null)
{
    /// <summary>The entry's resource; a transaction drops it once the version it stores is prepared (see BundleService).</summary>
    public Resource? Resource { get; set; } = Resource;

    /// <summary>"entry 3 (urn:uuid:...)": how an OperationOutcome names the entry that failed.</summary>
    public string Label => FullUrl is null ? $"entry {Index}" : $"entry {Index} ({FullUrl})";

    public string? Target => Id is null ? null : $"{Type}/{Id}";

    /// <summary>A conditional create (ifNoneExist), update or delete (Type?criteria) rather than one by id.</summary>
    public bool IsConditional => Criteria is not null;

    /// <summary>A GET of Type?params: a search, answered with a searchset Bundle.</summary>
    public bool IsSearch => Method == Bundle.HTTPVerb.GET && Id is null;

    public static BundleEntryRequest Parse(int index, Bundle.EntryComponent entry)
    {
        var label = entry.FullUrl is null ? $"entry {index}" : $"entry {index} ({entry.FullUrl})";
        var request = entry.Request ?? throw FhirOperationException.BadRequest($"{label} has no request");
        var method = request.Method ?? throw FhirOperationException.BadRequest($"{label} has no request.method");
        var url = request.Url;
        if (string.IsNullOrWhiteSpace(url)) throw FhirOperationException.BadRequest($"{label} has no request.url");

        string? query = null;
        var questionMark = url.IndexOf('?');
        if (questionMark >= 0)
        {
            query = url[(questionMark + 1)..];
            url = url[..questionMark];
        }
        var segments = url.Split('/', StringSplitOptions.RemoveEmptyEntries);
        // An absolute URL is read from its end: [..]/Type[/id[/_history/vid]].
        var typeAt = Array.FindLastIndex(segments, s => Rest.ResourceTypes.IsWritable(s));
        if (typeAt < 0)
            throw FhirOperationException.NotFound($"{label}: '{request.Url}' does not name a resource type this server supports");
        var type = segments[typeAt];
        var rest = segments[(typeAt + 1)..];
        string? id = rest.Length >= 1 ? rest[0] : null;
        string? versionId = rest.Length == 3 && rest[1] == "_history" ? rest[2] : null;
        if (rest.Length is 2 or > 3 || (rest.Length == 3 && versionId is null))
            throw FhirOperationException.BadRequest($"{label}: '{request.Url}' is not a URL this server answers in a bundle");
        if (id is not null && !Rest.FhirId.IsValid(id))
            throw FhirOperationException.BadRequest($"{label}: '{id}' is not a valid FHIR id");

        int? Version(string? etag, string name)
        {
            if (string.IsNullOrWhiteSpace(etag)) return null;
            var raw = etag.Trim();
            if (raw.StartsWith("W/", StringComparison.OrdinalIgnoreCase)) raw = raw[2..];
            return int.TryParse(raw.Trim('"'), out var v) && v > 0
                ? v
                : throw FhirOperationException.BadRequest($"{label}: {name} '{etag}' does not name a version");
        }
        var ifMatch = Version(request.IfMatch, "ifMatch");
        // A read's conditions (a 304 when met); the other methods ignore them, as the specification has them for GET only.
        var ifNoneMatch = method == Bundle.HTTPVerb.GET ? Version(request.IfNoneMatch, "ifNoneMatch") : null;
        var ifModifiedSince = method == Bundle.HTTPVerb.GET ? request.IfModifiedSince : null;

        var resource = entry.Resource;
        switch (method)
        {
            case Bundle.HTTPVerb.POST when resource is null:
            case Bundle.HTTPVerb.PUT when resource is null:
                throw FhirOperationException.BadRequest($"{label}: a {method} needs a resource");
            case Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT when resource!.TypeName != type:
                throw FhirOperationException.BadRequest($"{label}: the resource is a {resource.TypeName} but the URL is for {type}");
            case Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.DELETE when id is null && query is null:
                throw FhirOperationException.BadRequest($"{label}: a {method} needs Type/id in its URL");
            case Bundle.HTTPVerb.PUT when id is not null && resource!.Id != id:
                throw FhirOperationException.BadRequest($"{label}: the resource id '{resource.Id}' differs from the URL's '{id}'");
            case Bundle.HTTPVerb.PATCH when resource is null:
                throw FhirOperationException.BadRequest($"{label}: a PATCH needs the patch as its resource: a Binary (JSON Patch) or a Parameters (FHIRPath Patch)");
            case Bundle.HTTPVerb.PATCH when id is null && query is null:
                throw FhirOperationException.BadRequest($"{label}: a PATCH needs Type/id or Type?criteria in its URL");
            case Bundle.HTTPVerb.HEAD:
                throw new FhirOperationException(405, OperationOutcome.IssueType.NotSupported, $"{label}: {method} is not supported in bundles");
            case Bundle.HTTPVerb.POST when query is not null:
                throw FhirOperationException.BadRequest($"{label}: a POST URL takes no search parameters; a conditional create puts them in request.ifNoneExist");
        }

        // Conditional: a POST with ifNoneExist, a PUT, PATCH or DELETE of Type?criteria. A DELETE may name how many it may remove with _count.
        Rest.ConditionalCriteria? criteria = null;
        var maxDeletes = 1;
        try
        {
            if (method == Bundle.HTTPVerb.POST && !string.IsNullOrWhiteSpace(request.IfNoneExist))
                criteria = Rest.ConditionalCriteria.Parse(type, request.IfNoneExist.Trim());
            else if (method is Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.PATCH or Bundle.HTTPVerb.DELETE && id is null && query is not null)
            {
                var pairs = Rest.ConditionalCriteria.QueryPairs(query);
                if (method == Bundle.HTTPVerb.DELETE && pairs.FirstOrDefault(p => p.Key == "_count") is { Key: not null } count)
                {
                    maxDeletes = int.TryParse(count.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 1
                        ? n
                        : throw FhirOperationException.BadRequest($"_count '{count.Value}' of a conditional delete is not a positive whole number");
                    pairs = pairs.Where(p => p.Key != "_count").ToList();
                }
                criteria = Rest.ConditionalCriteria.FromPairs(type, pairs);
            }
        }
        catch (FhirOperationException e)
        {
            throw new FhirOperationException(e.Status, e.IssueType, $"{label}: {e.Message}");
        }
        return new BundleEntryRequest(index, entry.FullUrl, method, type, id, versionId, query, resource, ifMatch, criteria, maxDeletes, ifNoneMatch, ifModifiedSince);
    }
}

/// <summary>The response of one entry; <see cref="Found"/> is the page a search entry answers with (a searchset Bundle).</summary>
public sealed record BundleEntryResult(
    string Status,
    string? Location = null,
    Storage.StoredResource? Stored = null,
    OperationOutcome? Outcome = null,
    Search.SearchOutcome? Found = null);

public sealed record BundleResult(Bundle.BundleType Type, IReadOnlyList<BundleEntryResult> Entries);
