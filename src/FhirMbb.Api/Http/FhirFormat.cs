using FhirMbb.Core;
using Microsoft.Net.Http.Headers;

namespace FhirMbb.Api.Http;

public enum FhirFormat { Json, Xml }

/// <summary>Content negotiation: _format, Accept and Content-Type, as the FHIR RESTful API defines them.</summary>
public static class FhirNegotiation
{
    public const string JsonMediaType = "application/fhir+json";
    public const string XmlMediaType = "application/fhir+xml";
    public const string JsonContentType = JsonMediaType + "; charset=utf-8";
    public const string XmlContentType = XmlMediaType + "; charset=utf-8";

    private const string FormatKey = "fhir.format";

    public static string ContentType(FhirFormat format) => format == FhirFormat.Xml ? XmlContentType : JsonContentType;

    /// <summary>The format of the response: _format wins over Accept; JSON when neither says.</summary>
    public static FhirFormat ResponseFormat(HttpContext context)
    {
        if (context.Items.TryGetValue(FormatKey, out var cached) && cached is FhirFormat known) return known;
        var format = Negotiate(context.Request);
        context.Items[FormatKey] = format;
        return format;
    }

    /// <summary>The same negotiation, but never failing: for writing an error about the negotiation itself.</summary>
    public static FhirFormat ResponseFormatOrJson(HttpContext context)
    {
        try { return ResponseFormat(context); }
        catch (FhirOperationException)
        {
            context.Items[FormatKey] = FhirFormat.Json;
            return FhirFormat.Json;
        }
    }

    // A request without a query string has no _format or _pretty: the query is not parsed for them.
    public static bool IsPretty(HttpRequest request) =>
        request.QueryString.HasValue && string.Equals(request.Query["_pretty"], "true", StringComparison.OrdinalIgnoreCase);

    private static FhirFormat Negotiate(HttpRequest request)
    {
        var formatParameter = request.QueryString.HasValue ? request.Query["_format"].ToString() : "";
        if (formatParameter.Length > 0)
        {
            return FromMediaType(formatParameter)
                ?? throw new FhirOperationException(406, Hl7.Fhir.Model.OperationOutcome.IssueType.NotSupported,
                    $"_format '{formatParameter}' is not supported; use json or xml");
        }

        var accept = request.Headers.Accept;
        if (accept.Count == 0) return FhirFormat.Json;
        // The common Accept of FHIR clients, one exact media type, needs no parsing.
        if (accept.Count == 1 && ExactMediaType(accept[0]) is { } exact) return exact;
        if (!MediaTypeHeaderValue.TryParseList(accept, out var mediaTypes) || mediaTypes.Count == 0) return FhirFormat.Json;
        foreach (var mediaType in mediaTypes.OrderByDescending(m => m.Quality ?? 1.0))
        {
            if (mediaType.Quality == 0) continue;
            var value = mediaType.MediaType.Value ?? "";
            if (value is "*/*" or "application/*") return FhirFormat.Json;
            if (FromMediaType(value) is { } format) return format;
        }
        throw new FhirOperationException(406, Hl7.Fhir.Model.OperationOutcome.IssueType.NotSupported,
            $"None of the accepted media types ({accept}) can be produced; use {JsonMediaType} or {XmlMediaType}");
    }

    /// <summary>The format of a request body, from its Content-Type; null when it is neither JSON nor XML.</summary>
    public static FhirFormat? RequestFormat(HttpRequest request)
    {
        var contentType = request.ContentType;
        if (string.IsNullOrEmpty(contentType)) return null;
        return MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? FromMediaType(parsed.MediaType.Value ?? "") : null;
    }

    private static FhirFormat? ExactMediaType(string? value) => value switch
    {
        JsonMediaType or "application/json" or JsonContentType => FhirFormat.Json,
        XmlMediaType or "application/xml" or XmlContentType => FhirFormat.Xml,
        _ => null,
    };

    private static FhirFormat? FromMediaType(string value) => value.Trim().ToLowerInvariant() switch
    {
        "json" or "application/json" or "application/fhir+json" or "application/json+fhir" or "text/json" => FhirFormat.Json,
        "xml" or "application/xml" or "application/fhir+xml" or "application/xml+fhir" or "text/xml" => FhirFormat.Xml,
        _ => null,
    };
}
