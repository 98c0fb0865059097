using System.Buffers;

namespace FhirMbb.Core.Security;

/// <summary>One restriction of a SMART v2 granular scope: a search parameter and the values it must match (any of them).</summary>
public sealed record ScopeRestriction(string Parameter, IReadOnlyList<string> Values)
{
    public override string ToString() => $"{Parameter}={string.Join(',', Values)}";
}

/// <summary>
/// A parsed resource scope, e.g. <c>patient/Observation.rs?category=survey</c>. <see cref="ResourceType"/> is
/// "*" for every type. Scopes that are not about resources (openid, launch, offline_access) never parse.
/// </summary>
public sealed record SmartScope(
    ScopeContext Context,
    string ResourceType,
    ScopePermissions Permissions,
    IReadOnlyList<ScopeRestriction> Restrictions,
    bool IsV2,
    string Text)
{
    public const string AnyType = "*";

    public bool Covers(string resourceType) => ResourceType == AnyType || ResourceType == resourceType;

    public override string ToString() => Text;
}

/// <summary>Parses SMART App Launch v1 and v2 scopes; anything it does not understand grants nothing.</summary>
public static class SmartScopeParser
{
    private static readonly SearchValues<char> TypeCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>Every resource scope among the values; each value may hold several scopes separated by spaces.</summary>
    public static IReadOnlyList<SmartScope> ParseAll(IEnumerable<string?> values)
    {
        var scopes = new List<SmartScope>();
        foreach (var value in values)
        {
            if (string.IsNullOrWhiteSpace(value)) continue;
            foreach (var text in value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (TryParse(text, out var scope)) scopes.Add(scope);
        }
        return scopes;
    }

    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SmartScope? scope)
    {
        scope = null;
        var slash = text.IndexOf('/');
        var contextText = slash > 0 ? text[..slash] : DottedContext(text);
        if (contextText is null) return false;
        var rest = text[(contextText.Length + 1)..];
        var dottedForm = slash <= 0;

        ScopeContext context;
        switch (contextText)
        {
            case "patient": context = ScopeContext.Patient; break;
            case "user": context = ScopeContext.User; break;
            case "system": context = ScopeContext.System; break;
            default: return false;
        }

        string? query = null;
        var question = rest.IndexOf('?');
        if (question >= 0)
        {
            query = rest[(question + 1)..];
            rest = rest[..question];
        }

        var dot = rest.LastIndexOf('.');
        if (dot <= 0 || dot == rest.Length - 1) return false;
        var type = rest[..dot];
        var permissionText = rest[(dot + 1)..];
        // Entra ID cannot issue "*" or "/" in scope names; its SMART convention is "patient.all.read".
        if (dottedForm && type == "all") type = SmartScope.AnyType;
        if (type != SmartScope.AnyType && (type.AsSpan().ContainsAnyExcept(TypeCharacters) || !char.IsAsciiLetterUpper(type[0]))) return false;

        var (permissions, isV2) = ParsePermissions(permissionText);
        if (permissions == ScopePermissions.None) return false;

        IReadOnlyList<ScopeRestriction> restrictions = [];
        if (query is not null)
        {
            // Granular restrictions exist only in v2; a v1 scope with a query is malformed, so it grants nothing.
            if (!isV2) return false;
            var parsed = ParseRestrictions(query);
            if (parsed is null) return false;
            restrictions = parsed;
        }

        scope = new SmartScope(context, type, permissions, restrictions, isV2, text);
        return true;
    }

    private static string? DottedContext(string text)
    {
        foreach (var candidate in (ReadOnlySpan<string>)["patient", "user", "system"])
            if (text.Length > candidate.Length + 1 && text.StartsWith(candidate, StringComparison.Ordinal) && text[candidate.Length] == '.')
                return candidate;
        return null;
    }

    private static (ScopePermissions, bool IsV2) ParsePermissions(string text)
    {
        switch (text)
        {
            case "read": return (ScopePermissions.Read | ScopePermissions.Search, false);
            case "write": return (ScopePermissions.Create | ScopePermissions.Update | ScopePermissions.Delete, false);
            case "*": return (ScopePermissions.All, false);
        }

        // v2: a non-empty subsequence of "cruds", in that order, each letter at most once.
        const string order = "cruds";
        var permissions = ScopePermissions.None;
        var position = 0;
        foreach (var letter in text)
        {
            var index = order.IndexOf(letter, position);
            if (index < 0) return (ScopePermissions.None, true);
            permissions |= (ScopePermissions)(1 << index);
            position = index + 1;
        }
        return (permissions, true);
    }

    private static List<ScopeRestriction>? ParseRestrictions(string query)
    {
        var restrictions = new List<ScopeRestriction>();
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            if (equals <= 0 || equals == pair.Length - 1) return null;
            var name = Uri.UnescapeDataString(pair[..equals]);
            var values = pair[(equals + 1)..].Split(',').Select(Uri.UnescapeDataString).ToList();
            if (values.Any(string.IsNullOrEmpty)) return null;
            restrictions.Add(new ScopeRestriction(name, values));
        }
        return restrictions.Count == 0 ? null : restrictions;
    }
}
