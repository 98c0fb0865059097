using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FhirMbb.Core.Search;

public enum SearchPrefix { Eq, Ne, Gt, Lt, Ge, Le, Sa, Eb, Ap }

public enum TotalMode { None, Accurate }

public enum SummaryMode { None, True, Count, Data, Text }

/// <summary>One criterion of a search; all criteria of a query must hold (repeated parameters AND).</summary>
public abstract record SearchCondition;

/// <summary>A parameter with its values; any value may match (commas OR). Modifiers that change matching live on the values.</summary>
public sealed record ParameterCondition(SearchParameterDefinition Parameter, IReadOnlyList<SearchValue> AnyOf) : SearchCondition;

/// <summary>Resources with no value for a parameter (Missing) or at least one.</summary>
public sealed record MissingCondition(SearchParameterDefinition Parameter, bool Missing) : SearchCondition;

/// <summary>:not — resources with no value matching the inner condition, including those with no value at all.</summary>
public sealed record NotCondition(ParameterCondition Inner) : SearchCondition;

/// <summary>A composite parameter: some alternative (commas OR) whose conditions all hold.</summary>
public sealed record AnyOfCondition(IReadOnlyList<IReadOnlyList<SearchCondition>> Alternatives) : SearchCondition;

/// <summary>The resource's own id is one of <see cref="Ids"/> (or, with <see cref="Not"/>, none of them). Ids have no index rows.</summary>
public sealed record IdCondition(IReadOnlyList<string> Ids, bool Not = false) : SearchCondition;

/// <summary>subject:Patient.name=x — the reference points to a resource of one of the target types meeting the inner condition.</summary>
public sealed record ChainCondition(SearchParameterDefinition Reference, IReadOnlyList<string> TargetTypes, SearchCondition Inner) : SearchCondition;

/// <summary>_has:Observation:patient:code=x — some resource of the source type refers to this one and meets the inner condition.</summary>
public sealed record HasCondition(string SourceType, SearchParameterDefinition Reference, SearchCondition Inner) : SearchCondition;

public abstract record SearchValue;

/// <summary>code (any system), |code (no system), system|code, system| (any code of the system).</summary>
public sealed record TokenValue(string? System, bool SystemGiven, string? Code) : SearchValue;

public sealed record TokenTextValue(string Text) : SearchValue;

public enum StringMatch { StartsWith, Exact, Contains }

public sealed record StringValue(string Value, StringMatch Match) : SearchValue;

public sealed record DateValue(SearchPrefix Prefix, DateRange Range) : SearchValue;

/// <summary>A reference by id (Type null: any type), by Type/id, or by absolute URL.</summary>
public sealed record ReferenceValue(string? Type, string? Id, string? Url) : SearchValue;

public sealed record ReferenceIdentifierValue(string? System, string? Value) : SearchValue;

/// <summary>A number with the range its written precision implies: 100 is [99.5, 100.5).</summary>
public sealed record NumberValue(SearchPrefix Prefix, decimal Value, decimal Low, decimal High) : SearchValue;

public sealed record QuantityValue(SearchPrefix Prefix, decimal Value, decimal Low, decimal High, string? System, string? Code) : SearchValue;

public sealed record UriValue(string Value, bool Below) : SearchValue;

/// <summary>A sort key; a null parameter sorts by the logical id.</summary>
public sealed record SearchSort(SearchParameterDefinition? Parameter, bool Descending);

/// <summary>_include (SourceType:param[:Target]) or, when Reverse, _revinclude.</summary>
public sealed record IncludeSpec(string SourceType, SearchParameterDefinition Parameter, string? TargetType, bool Iterate, bool Reverse);

public sealed record SearchQuery(
    string Type,
    IReadOnlyList<SearchCondition> Conditions,
    string? CompartmentPatient,
    IReadOnlyList<SearchSort> Sort,
    int Count,
    TotalMode Total,
    SummaryMode Summary,
    IReadOnlyList<string>? Elements,
    IReadOnlyList<IncludeSpec> Includes,
    PageCursor? Cursor,
    string? BaseUrl);

/// <summary>
/// Where a page starts: the snapshot (largest resource row id visible on the first page, so rows created
/// later never shift pages) and the sort key values plus row id of the last (or, going back, first) entry.
/// </summary>
public sealed record PageCursor(long Snapshot, bool Backward, IReadOnlyList<object?> Keys)
{
    public string Encode()
    {
        var parts = new List<string> { Snapshot.ToString(CultureInfo.InvariantCulture), Backward ? "b" : "f" };
        foreach (var key in Keys)
        {
            parts.Add(key switch
            {
                null => "n",
                long l => "l" + l.ToString(CultureInfo.InvariantCulture),
                int i => "l" + i.ToString(CultureInfo.InvariantCulture),
                double d => "d" + d.ToString("R", CultureInfo.InvariantCulture),
                decimal m => "d" + ((double)m).ToString("R", CultureInfo.InvariantCulture),
                string s => "s" + s,
                _ => throw new InvalidOperationException($"A sort key of type {key.GetType().Name} cannot be put in a cursor"),
            });
        }
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(parts))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static PageCursor? TryDecode(string text)
    {
        try
        {
            var base64 = text.Replace('-', '+').Replace('_', '/');
            base64 += new string('=', (4 - base64.Length % 4) % 4);
            var parts = JsonSerializer.Deserialize<List<string>>(Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
            if (parts is null || parts.Count < 3) return null;
            var keys = new List<object?>();
            foreach (var part in parts.Skip(2))
            {
                keys.Add(part[0] switch
                {
                    'n' => null,
                    'l' => long.Parse(part[1..], CultureInfo.InvariantCulture),
                    'd' => double.Parse(part[1..], CultureInfo.InvariantCulture),
                    's' => part[1..],
                    _ => throw new FormatException(),
                });
            }
            return new PageCursor(long.Parse(parts[0], CultureInfo.InvariantCulture), parts[1] == "b", keys);
        }
        catch (Exception e) when (e is FormatException or JsonException or OverflowException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}

/// <summary>One page of results: the matches in order, what _include/_revinclude added, and the cursors around it.</summary>
public sealed record SearchPage(
    IReadOnlyList<Storage.StoredResource> Matches,
    IReadOnlyList<Storage.StoredResource> Included,
    long? Total,
    PageCursor? Next,
    PageCursor? Previous);

/// <summary>Runs a parsed search against the index. Implemented per database provider.</summary>
public interface ISearchStore
{
    Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default);
}
