using System.Globalization;
using System.Text.Json;
using FhirMbb.Api.Hosting;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace FhirMbb.Api.Http;

/// <summary>
/// Writes resources to the response in the negotiated format. Stored JSON goes out as stored, byte for
/// byte; only XML (or _pretty) needs work, and the XML of a stored version is kept in a bounded cache:
/// a version never changes, and converting it costs a parse and a serialization through the object model.
/// </summary>
public sealed class FhirResponses(FhirSerialization serialization, IOptions<FhirServerOptions> options)
{
    private readonly MemoryCache? _xml = options.Value.XmlCacheBytes > 0
        ? new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.XmlCacheBytes })
        : null;

    // Most resources have few versions: their ETags are made once, not per response.
    private static readonly string[] SmallETags = Enumerable.Range(0, 64).Select(v => $"W/\"{v}\"").ToArray();

    public static string ETag(int version) => (uint)version < (uint)SmallETags.Length ? SmallETags[version] : $"W/\"{version}\"";

    public static string LastModified(DateTimeOffset t) => t.ToString("R", CultureInfo.InvariantCulture);

    public static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}{FhirRoutes.Base}";

    public void SetVersionHeaders(HttpResponse response, StoredResource stored)
    {
        response.Headers.ETag = ETag(stored.Version);
        response.Headers.LastModified = LastModified(stored.LastUpdated);
    }

    public Task WriteStoredAsync(HttpContext context, StoredResource stored, int status = StatusCodes.Status200OK)
    {
        SetVersionHeaders(context.Response, stored);
        var format = FhirNegotiation.ResponseFormat(context);
        // The hot read: stored JSON (or cached XML) as it is, no _pretty.
        if (!FhirNegotiation.IsPretty(context.Request))
        {
            if (format == FhirFormat.Json) return WriteBytesAsync(context, stored.Json, FhirFormat.Json, status);
            if (_xml is { } cache) return WriteBytesAsync(context, StoredXml(cache, stored), FhirFormat.Xml, status);
        }
        return WriteJsonBytesAsync(context, stored.Json, status);
    }

    private byte[] StoredXml(MemoryCache cache, StoredResource stored)
    {
        var key = stored.Key;
        if (cache.TryGetValue(key, out byte[]? cached) && cached is not null) return cached;
        var xml = serialization.ToXmlBytes(serialization.ParseStored(stored.Json.Span));
        cache.Set(key, xml, new MemoryCacheEntryOptions { Size = xml.Length + 64 });
        return xml;
    }

    /// <summary>Sends a resource already serialized as compact JSON.</summary>
    public async Task WriteJsonBytesAsync(HttpContext context, ReadOnlyMemory<byte> json, int status = StatusCodes.Status200OK)
    {
        var format = FhirNegotiation.ResponseFormat(context);
        var pretty = FhirNegotiation.IsPretty(context.Request);
        ReadOnlyMemory<byte> body = format switch
        {
            // Only JSON this server produced or published comes here: read back without re-checking it.
            FhirFormat.Xml => serialization.ToXmlBytes(serialization.ParseStored(json.Span), pretty),
            _ when pretty => Indent(json),
            _ => json,
        };
        await WriteBytesAsync(context, body, format, status);
    }

    public async Task WriteResourceAsync(HttpContext context, Base resource, int status = StatusCodes.Status200OK)
    {
        var format = FhirNegotiation.ResponseFormat(context);
        var pretty = FhirNegotiation.IsPretty(context.Request);
        var body = format == FhirFormat.Xml ? serialization.ToXmlBytes(resource, pretty) : serialization.ToJsonBytes(resource, pretty);
        await WriteBytesAsync(context, body, format, status);
    }

    public Task WriteOutcomeAsync(HttpContext context, int status, OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType type, string message)
    {
        var outcome = new OperationOutcome();
        outcome.Issue.Add(new OperationOutcome.IssueComponent { Severity = severity, Code = type, Diagnostics = message });
        return WriteResourceAsync(context, outcome, status);
    }

    private static Task WriteBytesAsync(HttpContext context, ReadOnlyMemory<byte> body, FhirFormat format, int status)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = FhirNegotiation.ContentType(format);
        response.ContentLength = body.Length;
        if (HttpMethods.IsHead(context.Request.Method)) return Task.CompletedTask;
        // One write through the response pipe; Kestrel sends headers and body together.
        var flush = response.BodyWriter.WriteAsync(body, context.RequestAborted);
        return flush.IsCompletedSuccessfully ? Task.CompletedTask : flush.AsTask();
    }

    internal static byte[] Indent(ReadOnlyMemory<byte> json)
    {
        using var document = JsonDocument.Parse(json);
        using var stream = new MemoryStream(json.Length * 2);
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            document.WriteTo(writer);
        }
        return stream.ToArray();
    }
}
