using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Security;

/// <summary>
/// Checks a resource against the restriction of a granular scope (<c>?category=survey</c>) by evaluating the
/// search parameter's FHIRPath from the SDK. Only token parameters without modifiers are understood; any
/// other restriction matches nothing, so a scope we cannot enforce grants nothing rather than everything.
/// </summary>
public static class ScopeRestrictionMatcher
{
    public static bool Matches(Resource resource, IReadOnlyList<ScopeRestriction> restrictions) =>
        restrictions.All(r => Matches(resource, r));

    public static bool Matches(Resource resource, ScopeRestriction restriction)
    {
        var definition = ModelInfo.SearchParameters.FirstOrDefault(p =>
            p.Resource == resource.TypeName && p.Name == restriction.Parameter);
        if (definition is not { Type: SearchParamType.Token, Expression: { Length: > 0 } expression }) return false;

        var values = resource.Select(expression).OfType<Base>().ToList();
        return restriction.Values.Any(wanted => values.Any(value => TokenMatches(value, wanted)));
    }

    public static bool IsEnforceable(string resourceType, ScopeRestriction restriction) =>
        resourceType != SmartScope.AnyType && ModelInfo.SearchParameters.Any(p =>
            p.Resource == resourceType && p.Name == restriction.Parameter && p.Type == SearchParamType.Token);

    /// <summary>FHIR token syntax: "code", "system|code", "|code" (no system) or "system|" (any code of the system).</summary>
    private static bool TokenMatches(Base value, string wanted)
    {
        string? system = null;
        var code = wanted;
        var bar = wanted.IndexOf('|');
        if (bar >= 0)
        {
            system = wanted[..bar];
            code = wanted[(bar + 1)..];
        }
        return value switch
        {
            CodeableConcept concept => concept.Coding.Any(c => CodingMatches(c.System, c.Code, system, code)),
            Coding coding => CodingMatches(coding.System, coding.Code, system, code),
            Identifier identifier => CodingMatches(identifier.System, identifier.Value, system, code),
            PrimitiveType primitive when system is null or "" => string.Equals(primitive.ToString(), code, StringComparison.Ordinal),
            _ => false,
        };
    }

    private static bool CodingMatches(string? actualSystem, string? actualCode, string? system, string code)
    {
        if (system is not null)
        {
            var systemMatches = system.Length == 0 ? string.IsNullOrEmpty(actualSystem) : system == actualSystem;
            if (!systemMatches) return false;
            if (code.Length == 0) return true;
        }
        return code == actualCode;
    }
}
