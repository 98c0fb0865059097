using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Bundles;

/// <summary>
/// The links of a transaction's resources that are not references but still name another entry: elements of type uri
/// or url, and href / src attributes in the narrative (R4 http.html, transaction processing rules). Only temporary
/// names are followed, <c>urn:uuid:</c> and <c>urn:oid:</c> fullUrls, which mean nothing outside the bundle. An entry
/// whose fullUrl is an http URL is often a conformance resource sent under its canonical URL, and a Coding.system or
/// ValueSet include.system (type uri) that names it must keep that URL. Canonical elements are never changed (the
/// rules say so), nor are oid and uuid ones: a Type/id there would not be an oid or a uuid any more.
/// </summary>
internal static partial class BundleLinks
{
    /// <summary>The entries of <paramref name="assigned"/> (fullUrl to Type/id) whose fullUrl is a urn.</summary>
    public static Dictionary<string, string> Temporary(IReadOnlyDictionary<string, string> assigned)
    {
        var temporary = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (fullUrl, local) in assigned)
            if (fullUrl.StartsWith("urn:uuid:", StringComparison.Ordinal) || fullUrl.StartsWith("urn:oid:", StringComparison.Ordinal))
                temporary[fullUrl] = local;
        return temporary;
    }

    /// <summary>Rewrites <paramref name="element"/> (a child named <paramref name="name"/> of <paramref name="parent"/>) when it is such a link.</summary>
    public static void Rewrite(Base parent, string name, Base element, IReadOnlyDictionary<string, string> temporary)
    {
        switch (element)
        {
            // Extension.url is the extension's definition, not a link to an entry.
            case FhirUri uri when IsUrn(uri.Value) && !(parent is Extension && name == "url") && temporary.TryGetValue(uri.Value, out var local):
                uri.Value = local;
                break;
            case FhirUrl url when IsUrn(url.Value) && temporary.TryGetValue(url.Value, out var local):
                url.Value = local;
                break;
            case XHtml { Value: { } div } narrative when div.Contains("urn:", StringComparison.Ordinal):
                narrative.Value = RewriteNarrative(div, temporary);
                break;
        }
    }

    // Apart from Rewrite, which meets every element of every entry: the lambda's closure would otherwise be built on each call.
    private static string RewriteNarrative(string div, IReadOnlyDictionary<string, string> temporary) =>
        Attribute().Replace(div, m => temporary.TryGetValue(m.Groups["value"].Value, out var target)
            ? m.Groups["head"].Value + target + m.Groups["quote"].Value
            : m.Value);

    // Most uri elements are code systems and profiles (http URLs): only a urn is looked up.
    private static bool IsUrn([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? value) => value is not null && value.StartsWith("urn:", StringComparison.Ordinal);

    // An href or src attribute in either quotes; the value as written (a urn has nothing XML would escape).
    [GeneratedRegex("""(?<head>\b(?:href|src)\s*=\s*(?<quote>["']))(?<value>urn:[^"']*)\k<quote>""")]
    private static partial Regex Attribute();
}
