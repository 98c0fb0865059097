using System.Globalization;
using System.Text.Json;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Http;

/// <summary>
/// Writes resources to the response in the negotiated format. Stored JSON goes out as stored, byte for
/// byte; only XML (or _pretty) needs work.
/// </summary>
public sealed class FhirResponses(FhirSerialization serialization)
{
    public static string ETag(int version) => $"W/\"{version}\"";

    public static string LastModified(DateTimeOffset t) => t.ToString("R", CultureInfo.InvariantCulture);

    public static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}{FhirRoutes.Base}";

    public void SetVersionHeaders(HttpResponse response, StoredResource stored)
    {
        response.Headers.ETag = ETag(stored.Version);
        response.Headers.LastModified = LastModified(stored.LastUpdated);
    }

    public async Task WriteStoredAsync(HttpContext context, StoredResource stored, int status = StatusCodes.Status200OK)
    {
        SetVersionHeaders(context.Response, stored);
        await WriteJsonBytesAsync(context, stored.Json, status);
    }

    /// <summary>Sends a resource already serialized as compact JSON.</summary>
    public async Task WriteJsonBytesAsync(HttpContext context, ReadOnlyMemory<byte> json, int status = StatusCodes.Status200OK)
    {
        var format = FhirNegotiation.ResponseFormat(context);
        var pretty = FhirNegotiation.IsPretty(context.Request);
        ReadOnlyMemory<byte> body = format switch
        {
            FhirFormat.Xml => serialization.JsonToXml(json.Span, pretty),
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

    private static async Task WriteBytesAsync(HttpContext context, ReadOnlyMemory<byte> body, FhirFormat format, int status)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = FhirNegotiation.ContentType(format);
        response.ContentLength = body.Length;
        if (HttpMethods.IsHead(context.Request.Method)) return;
        await response.Body.WriteAsync(body, context.RequestAborted);
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
