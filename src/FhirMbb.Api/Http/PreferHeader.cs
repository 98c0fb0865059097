namespace FhirMbb.Api.Http;

public enum PreferReturn { Representation, Minimal, OperationOutcome }

/// <summary>The Prefer header's return= and handling= preferences.</summary>
public static class PreferHeader
{
    public static PreferReturn Return(HttpRequest request)
    {
        foreach (var part in Parts(request))
        {
            if (!part.StartsWith("return=", StringComparison.OrdinalIgnoreCase)) continue;
            var value = part["return=".Length..].Trim('"');
            if (value.Equals("minimal", StringComparison.OrdinalIgnoreCase)) return PreferReturn.Minimal;
            if (value.Equals("OperationOutcome", StringComparison.OrdinalIgnoreCase)) return PreferReturn.OperationOutcome;
        }
        return PreferReturn.Representation;
    }

    public static bool IsStrictHandling(HttpRequest request) =>
        Parts(request).Any(p => p.Equals("handling=strict", StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<string> Parts(HttpRequest request) =>
        request.Headers["Prefer"].SelectMany(h => (h ?? "").Split([',', ';'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
