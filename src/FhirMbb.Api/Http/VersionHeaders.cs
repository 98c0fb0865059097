using FhirMbb.Core;

namespace FhirMbb.Api.Http;

/// <summary>Reads the version a client names in If-Match / If-None-Match: W/"3", "3" or 3.</summary>
public static class VersionHeaders
{
    public static int? IfMatch(HttpRequest request) => Parse(request.Headers.IfMatch.ToString(), "If-Match");

    public static int? IfNoneMatch(HttpRequest request) => Parse(request.Headers.IfNoneMatch.ToString(), "If-None-Match");

    private static int? Parse(string raw, string header)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        var value = raw.Trim();
        if (value.StartsWith("W/", StringComparison.OrdinalIgnoreCase)) value = value[2..];
        value = value.Trim('"');
        if (int.TryParse(value, out var version) && version > 0) return version;
        throw FhirOperationException.BadRequest($"{header} '{raw}' does not name a version; expected W/\"<versionId>\"");
    }
}
