using System.Text;
using FhirMbb.Core.Search;
using FhirMbb.Core.Storage;

namespace FhirMbb.Core.Rest;

/// <summary>
/// The search criteria of a conditional create, update, delete or reference (<c>identifier=sys|val&amp;birthdate=...</c>),
/// with the normalized key under which a conditional create claims them in the database: the same criteria
/// written in another order or encoding give the same key, so equivalent concurrent creates collide.
/// </summary>
public sealed record ConditionalCriteria(string Type, IReadOnlyList<KeyValuePair<string, string>> Parameters, string Key, string? CompartmentPatient = null)
{
    // Parameters that shape a result page rather than select resources: meaningless when resolving one resource.
    private static readonly HashSet<string> ResultParameters = new(StringComparer.Ordinal)
    {
        "_count", "_sort", "_include", "_revinclude", "_include:iterate", "_revinclude:iterate", "_summary", "_elements", "_total", "_cursor", "_contained",
    };

    // Parameters about the request's format, not the search: dropped.
    private static readonly HashSet<string> FormatParameters = new(StringComparer.Ordinal) { "_format", "_pretty" };

    /// <summary>
    /// What the database key is claimed under: the criteria, and the compartment when the caller sees only one
    /// patient (its search sees only that patient's resources, so its criteria mean something narrower).
    /// </summary>
    public string ClaimKey => CompartmentPatient is null ? Key : $"{Key} @Patient/{CompartmentPatient}";

    /// <summary>How messages show the criteria.</summary>
    public override string ToString() => $"{Type}?{Key}";

    /// <summary>Criteria from a raw query string (still percent-encoded); some clients send "Type?criteria", which is read the same.</summary>
    public static ConditionalCriteria Parse(string type, string? query)
    {
        query ??= "";
        var questionMark = query.IndexOf('?');
        if (questionMark > 0 && query[..questionMark] == type) query = query[(questionMark + 1)..];
        return FromPairs(type, QueryPairs(query));
    }

    /// <summary>Criteria from already decoded name/value pairs (an ASP.NET query collection).</summary>
    public static ConditionalCriteria FromPairs(string type, IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var kept = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in pairs)
        {
            if (FormatParameters.Contains(name)) continue;
            if (ResultParameters.Contains(name))
                throw FhirOperationException.BadRequest($"'{name}' shapes search results and cannot be part of conditional criteria ({type}?...)");
            kept.Add(new KeyValuePair<string, string>(name, value));
        }
        if (kept.Count == 0)
            throw FhirOperationException.BadRequest($"A conditional interaction on {type} needs search criteria; none were given");
        return new ConditionalCriteria(type, kept, Normalize(kept));
    }

    /// <summary>
    /// One text per meaning: parameters sorted by name then value, each comma-separated value list sorted, and
    /// everything percent-encoded one way.
    /// </summary>
    internal static string Normalize(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var parts = pairs
            .Select(p => (Name: p.Key.Trim(), Value: string.Join(',', SearchQueryParser.SplitValues(p.Value).Order(StringComparer.Ordinal))))
            .Distinct()
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal);
        var key = new StringBuilder();
        foreach (var (name, value) in parts)
        {
            if (key.Length > 0) key.Append('&');
            key.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }
        return key.ToString();
    }

    /// <summary>The decoded name/value pairs of a raw query string, in order.</summary>
    public static List<KeyValuePair<string, string>> QueryPairs(string query)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=');
            var name = equals < 0 ? part : part[..equals];
            var value = equals < 0 ? "" : part[(equals + 1)..];
            pairs.Add(new KeyValuePair<string, string>(Decode(name), Decode(value)));
        }
        return pairs;
    }

    // As ASP.NET reads a query string: '+' is a space, and a stray '%' stays as it is.
    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));

    /// <summary>
    /// A conditional reference (<c>Patient?identifier=sys|val</c>): its criteria, or null when the reference is
    /// an ordinary one.
    /// </summary>
    public static ConditionalCriteria? FromReference(string reference)
    {
        var questionMark = reference.IndexOf('?');
        if (questionMark <= 0) return null;
        var type = reference[..questionMark];
        if (!ResourceTypes.IsWritable(type)) return null;
        return Parse(type, reference[(questionMark + 1)..]);
    }
}

/// <summary>
/// Finds, as the caller may see them, up to <paramref name="limit"/> current resources that conditional criteria
/// select. The API supplies one that applies the caller's access decision; bundles search unrestricted.
/// </summary>
public delegate Task<IReadOnlyList<StoredResource>> CriteriaSearch(ConditionalCriteria criteria, int limit, CancellationToken ct);
