using System.Buffers;
using System.Globalization;
using System.Text.Json;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Http;

public sealed record BundleLink(string Relation, string Url);

/// <summary>One entry: the stored JSON of its resource (if any) and the request/response/search parts.</summary>
public sealed record BundleEntry(
    string? FullUrl,
    ReadOnlyMemory<byte> ResourceJson,
    string? RequestMethod = null,
    string? RequestUrl = null,
    string? ResponseStatus = null,
    string? ResponseEtag = null,
    DateTimeOffset? ResponseLastModified = null,
    string? SearchMode = null,
    string? ResponseLocation = null,
    ReadOnlyMemory<byte> ResponseOutcomeJson = default);

public sealed record BundlePage(string Type, long? Total, IReadOnlyList<BundleLink> Links, IReadOnlyList<BundleEntry> Entries);

/// <summary>The entries of a searchset: its matches and included resources, then what the search left out and why.</summary>
public static class SearchsetEntries
{
    /// <param name="ignored">
    /// Parameters left out of the search under handling=lenient (the default); the client is told which and why in an
    /// OperationOutcome entry (search.mode "outcome"), as the searchset allows.
    /// </param>
    public static List<BundleEntry> Of(string baseUrl, IEnumerable<FhirMbb.Core.Storage.StoredResource> matches,
        IEnumerable<FhirMbb.Core.Storage.StoredResource> included, IReadOnlyList<string> ignored, FhirSerialization serialization)
    {
        var entries = matches.Select(m => new BundleEntry($"{baseUrl}/{m.Type}/{m.Id}", m.Json, SearchMode: "match"))
            .Concat(included.Select(m => new BundleEntry($"{baseUrl}/{m.Type}/{m.Id}", m.Json, SearchMode: "include")))
            .ToList();
        if (ignored.Count == 0) return entries;
        var outcome = new OperationOutcome();
        foreach (var issue in ignored)
            outcome.Issue.Add(new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Warning,
                Code = OperationOutcome.IssueType.NotSupported,
                Diagnostics = $"Left out of the search (under Prefer: handling=strict the request is refused): {issue}",
            });
        entries.Add(new BundleEntry($"urn:uuid:{Guid.NewGuid()}", serialization.ToJsonBytes(outcome), SearchMode: "outcome"));
        return entries;
    }
}

/// <summary>
/// Writes Bundles without rebuilding the resources in them: in JSON, each entry's stored bytes are
/// copied into the Bundle as they are. XML goes through the object model.
/// </summary>
public sealed class BundleWriter(FhirSerialization serialization)
{
    public async Task WriteAsync(HttpContext context, BundlePage page, int status = StatusCodes.Status200OK)
    {
        var format = FhirNegotiation.ResponseFormat(context);
        var pretty = FhirNegotiation.IsPretty(context.Request);
        if (format == FhirFormat.Json && !pretty)
        {
            // Written once into a rented buffer sized for the page, then sent from there.
            using var buffer = new PooledBuffer(EstimateJsonLength(page));
            WriteJson(page, buffer);
            await SendAsync(context, status, format, buffer.WrittenMemory);
            return;
        }
        byte[] body;
        if (format == FhirFormat.Xml)
        {
            body = serialization.ToXmlBytes(ToPoco(page), pretty);
        }
        else
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            WriteJson(page, buffer);
            body = FhirResponses.Indent(buffer.WrittenMemory);
        }
        await SendAsync(context, status, format, body);
    }

    private static async Task SendAsync(HttpContext context, int status, FhirFormat format, ReadOnlyMemory<byte> body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = FhirNegotiation.ContentType(format);
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>The resources' bytes plus room for each entry's own elements: most pages need no second buffer.</summary>
    private static int EstimateJsonLength(BundlePage page)
    {
        long length = 512;
        foreach (var entry in page.Entries)
            length += 384 + entry.ResourceJson.Length + entry.ResponseOutcomeJson.Length;
        return (int)Math.Min(length, 64 * 1024 * 1024);
    }

    public static void WriteJson(BundlePage page, IBufferWriter<byte> output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("resourceType", "Bundle");
        w.WriteString("id", Guid.NewGuid().ToString());
        w.WriteStartObject("meta");
        w.WriteString("lastUpdated", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        w.WriteEndObject();
        w.WriteString("type", page.Type);
        if (page.Total is { } total) w.WriteNumber("total", total);
        if (page.Links.Count > 0)
        {
            w.WriteStartArray("link");
            foreach (var link in page.Links)
            {
                w.WriteStartObject();
                w.WriteString("relation", link.Relation);
                w.WriteString("url", link.Url);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (page.Entries.Count > 0)
        {
            w.WriteStartArray("entry");
            foreach (var entry in page.Entries)
            {
                w.WriteStartObject();
                if (entry.FullUrl is not null) w.WriteString("fullUrl", entry.FullUrl);
                if (!entry.ResourceJson.IsEmpty)
                {
                    w.WritePropertyName("resource");
                    w.WriteRawValue(entry.ResourceJson.Span, skipInputValidation: true);
                }
                if (entry.SearchMode is not null)
                {
                    w.WriteStartObject("search");
                    w.WriteString("mode", entry.SearchMode);
                    w.WriteEndObject();
                }
                if (entry.RequestMethod is not null)
                {
                    w.WriteStartObject("request");
                    w.WriteString("method", entry.RequestMethod);
                    w.WriteString("url", entry.RequestUrl);
                    w.WriteEndObject();
                }
                if (entry.ResponseStatus is not null)
                {
                    w.WriteStartObject("response");
                    w.WriteString("status", entry.ResponseStatus);
                    if (entry.ResponseLocation is not null) w.WriteString("location", entry.ResponseLocation);
                    if (entry.ResponseEtag is not null) w.WriteString("etag", entry.ResponseEtag);
                    if (entry.ResponseLastModified is { } modified)
                        w.WriteString("lastModified", modified.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
                    if (!entry.ResponseOutcomeJson.IsEmpty)
                    {
                        w.WritePropertyName("outcome");
                        w.WriteRawValue(entry.ResponseOutcomeJson.Span, skipInputValidation: true);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private Bundle ToPoco(BundlePage page)
    {
        var bundle = new Bundle
        {
            Id = Guid.NewGuid().ToString(),
            Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow },
            Type = EnumUtilityParse(page.Type),
            Total = page.Total is { } t ? (int)t : null,
        };
        foreach (var link in page.Links) bundle.Link.Add(new Bundle.LinkComponent { Relation = link.Relation, Url = link.Url });
        foreach (var entry in page.Entries)
        {
            var component = new Bundle.EntryComponent { FullUrl = entry.FullUrl };
            if (!entry.ResourceJson.IsEmpty) component.Resource = serialization.ParseJson(entry.ResourceJson.Span);
            if (entry.SearchMode is not null)
                component.Search = new Bundle.SearchComponent
                {
                    Mode = entry.SearchMode switch
                    {
                        "include" => Bundle.SearchEntryMode.Include,
                        "outcome" => Bundle.SearchEntryMode.Outcome,
                        _ => Bundle.SearchEntryMode.Match,
                    },
                };
            if (entry.RequestMethod is not null)
                component.Request = new Bundle.RequestComponent { Method = Enum.Parse<Bundle.HTTPVerb>(entry.RequestMethod, ignoreCase: true), Url = entry.RequestUrl };
            if (entry.ResponseStatus is not null)
                component.Response = new Bundle.ResponseComponent
                {
                    Status = entry.ResponseStatus,
                    Location = entry.ResponseLocation,
                    Etag = entry.ResponseEtag,
                    LastModified = entry.ResponseLastModified,
                    Outcome = entry.ResponseOutcomeJson.IsEmpty ? null : serialization.ParseJson(entry.ResponseOutcomeJson.Span),
                };
            bundle.Entry.Add(component);
        }
        return bundle;
    }

    private static Bundle.BundleType EnumUtilityParse(string type) => type switch
    {
        "history" => Bundle.BundleType.History,
        "searchset" => Bundle.BundleType.Searchset,
        "batch-response" => Bundle.BundleType.BatchResponse,
        "transaction-response" => Bundle.BundleType.TransactionResponse,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a Bundle type this server writes"),
    };
}
