using System.Globalization;
using Dapper;
using FhirMbb.Core.Search;
using Hl7.Fhir.Model;

namespace FhirMbb.Data.SqlServer;

/// <summary>
/// Builds the T-SQL conditions of a search from the parsed query and the parameter registry, mirroring the
/// SQLite builder condition for condition. Table and column names come only from the fixed fragments below,
/// chosen by the parameter's type; every value from the request is a parameter (@p0, @p1, ...).
/// Every condition is a correlated EXISTS on the index table, which SQL Server turns into a semi-join and
/// can drive from whichever side is more selective; it needs no planner hints.
/// </summary>
public sealed class SqlServerSearchSql(string? baseUrl)
{
    // LIKE's escape character; '[' is escaped too, since T-SQL's LIKE reads [a-z] as a character class.
    private const string Escape = " ESCAPE '\\'";

    private readonly List<KeyValuePair<string, object?>> _bound = [];
    private int _next;
    private int _aliases;

    public DynamicParameters Parameters { get; } = new();

    /// <summary>Every value bound so far, by parameter name: what the request contributed to the statement.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> Bound => _bound;

    public string Bind(object? value)
    {
        var name = "@p" + _next++.ToString(CultureInfo.InvariantCulture);
        Parameters.Add(name, value);
        _bound.Add(new(name, value));
        return name;
    }

    /// <summary>A parenthesised list of one parameter per value, e.g. (@p3, @p4): plain T-SQL, no driver-side list expansion.</summary>
    public string BindList(IEnumerable<object?> values) => "(" + string.Join(", ", values.Select(Bind)) + ")";

    private string NextAlias(string prefix) => prefix + (++_aliases).ToString(CultureInfo.InvariantCulture);

    /// <summary>A condition on the resources of <paramref name="alias"/> (a dbo.resource row of type <paramref name="aliasType"/>).</summary>
    public string Condition(string alias, string aliasType, SearchCondition condition) => condition switch
    {
        // T-SQL has no empty IN list.
        IdCondition { Ids.Count: 0 } id => id.Not ? "1 = 1" : "1 = 0",
        IdCondition id => $"{alias}.id {(id.Not ? "NOT IN" : "IN")} {BindList(id.Ids)}",
        ParameterCondition p => $"EXISTS ({Probe(alias, p.Parameter, p.AnyOf)})",
        NotCondition not => $"NOT EXISTS ({Probe(alias, not.Inner.Parameter, not.Inner.AnyOf)})",
        AnyOfCondition any => "(" + string.Join(" OR ", any.Alternatives.Select(all => "(" + string.Join(" AND ", all.Select(c => Condition(alias, aliasType, c))) + ")")) + ")",
        MissingCondition { Parameter.Code: "_id" } m => m.Missing ? "1 = 0" : "1 = 1",
        MissingCondition m => $"{(m.Missing ? "NOT EXISTS" : "EXISTS")} ({Probe(alias, m.Parameter, [])})",
        ChainCondition chain => Chain(alias, chain),
        HasCondition has => Has(alias, aliasType, has),
        _ => throw new NotSupportedException($"{condition.GetType().Name} has no SQL"),
    };

    private string Chain(string alias, ChainCondition chain)
    {
        var x = NextAlias("x");
        var t = NextAlias("t");
        return $"EXISTS (SELECT 1 FROM dbo.idx_reference AS {x} JOIN dbo.resource AS {t} ON {t}.type = {x}.target_type AND {t}.id = {x}.target_id " +
            $"WHERE {x}.rid = {alias}.rid AND {RowsOf(x, chain.Reference)} AND {t}.deleted = 0 AND {t}.type IN {BindList(chain.TargetTypes)} " +
            $"AND {Condition(t, chain.TargetTypes[0], chain.Inner)})";
    }

    private string Has(string alias, string aliasType, HasCondition has)
    {
        var x = NextAlias("x");
        var o = NextAlias("o");
        return $"EXISTS (SELECT 1 FROM dbo.idx_reference AS {x} JOIN dbo.resource AS {o} ON {o}.rid = {x}.rid " +
            $"WHERE {RowsOf(x, has.Reference)} AND {x}.target_id = {alias}.id AND {x}.target_type = {Bind(aliasType)} " +
            $"AND {o}.type = {Bind(has.SourceType)} AND {o}.deleted = 0 AND {Condition(o, has.SourceType, has.Inner)})";
    }

    private string Probe(string alias, SearchParameterDefinition parameter, IReadOnlyList<SearchValue> anyOf)
    {
        var x = NextAlias("x");
        var values = anyOf.Count == 0 ? "" : " AND (" + string.Join(" OR ", anyOf.Select(v => "(" + Value(x, v) + ")")) + ")";
        return $"SELECT 1 FROM {Table(parameter.Type)} AS {x} WHERE {x}.rid = {alias}.rid AND {RowsOf(x, parameter)}{values}";
    }

    /// <summary>
    /// Selects a parameter's rows in the index table <paramref name="x"/>: its <see cref="SearchParameterDefinition.Stored"/>
    /// param ids and, for a derived reference, the target type.
    /// </summary>
    private string RowsOf(string x, SearchParameterDefinition parameter)
    {
        var ids = parameter.Stored.ParamIds;
        var rows = ids.Count == 1 ? $"{x}.param_id = {Bind(ids[0])}" : $"{x}.param_id IN {BindList(ids.Cast<object?>())}";
        return parameter.Stored.TargetType is { } target ? $"{rows} AND {x}.target_type = {Bind(target)}" : rows;
    }

    public static string Table(SearchParamType type) => type switch
    {
        SearchParamType.Token => "dbo.idx_token",
        SearchParamType.String => "dbo.idx_string",
        SearchParamType.Date => "dbo.idx_date",
        SearchParamType.Reference => "dbo.idx_reference",
        SearchParamType.Quantity => "dbo.idx_quantity",
        SearchParamType.Number => "dbo.idx_number",
        SearchParamType.Uri => "dbo.idx_uri",
        _ => throw new NotSupportedException($"{type} parameters are not indexed"),
    };

    private string Value(string x, SearchValue value) => value switch
    {
        TokenValue { SystemGiven: false } t => $"{x}.code = {Bind(t.Code)}",
        TokenValue { System: null } t => $"{x}.code = {Bind(t.Code)} AND {x}.system IS NULL",
        TokenValue { Code: null } t => $"{x}.system = {Bind(t.System)}",
        TokenValue t => $"{x}.code = {Bind(t.Code)} AND {x}.system = {Bind(t.System)}",
        TokenTextValue t => $"({x}.text LIKE {Bind(EscapeLike(t.Text) + "%")}{Escape} OR {x}.text LIKE {Bind("% " + EscapeLike(t.Text) + "%")}{Escape})",
        // The folded value finds the rows through the index; the exact text (same length, so trailing blanks count) decides.
        StringValue { Match: StringMatch.Exact } s => Exact(x, s.Value),
        StringValue { Match: StringMatch.Contains } s => $"{x}.normalized LIKE {Bind("%" + EscapeLike(s.Value) + "%")}{Escape}",
        StringValue s => $"{x}.normalized LIKE {Bind(EscapeLike(s.Value) + "%")}{Escape}",
        DateValue d => Date(x, d),
        NumberValue n => Number(x, n.Prefix, n.Value, n.Low, n.High),
        QuantityValue q => Number(x, q.Prefix, q.Value, q.Low, q.High) + Unit(x, q),
        ReferenceValue r => Reference(x, r),
        ReferenceIdentifierValue { System: null } i => $"{x}.identifier_value = {Bind(i.Value)}",
        ReferenceIdentifierValue i => $"{x}.identifier_value = {Bind(i.Value)} AND {x}.identifier_system = {Bind(i.System)}",
        UriValue { Below: true } u => $"{x}.value LIKE {Bind(EscapeLike(u.Value) + "%")}{Escape}",
        UriValue u => $"{x}.value = {Bind(u.Value)}",
        _ => throw new NotSupportedException($"{value.GetType().Name} has no SQL"),
    };

    private string Exact(string x, string value)
    {
        var exact = Bind(value);
        return $"{x}.normalized = {Bind(Cut(TextNormalizer.Normalize(value), SqlServerIndexRows.NormalizedLength))} AND {x}.exact = {exact} AND DATALENGTH({x}.exact) = DATALENGTH({exact})";
    }

    /// <summary>The R4 prefixes over ranges: the target [start_ms, end_ms) against the search value's [lo, hi), as on SQLite.</summary>
    private string Date(string x, DateValue d)
    {
        var lo = d.Range.Start;
        var hi = d.Range.End;
        switch (d.Prefix)
        {
            case SearchPrefix.Eq: return $"{x}.start_ms >= {Bind(lo)} AND {x}.end_ms <= {Bind(hi)}";
            case SearchPrefix.Ne: return $"NOT ({x}.start_ms >= {Bind(lo)} AND {x}.end_ms <= {Bind(hi)})";
            case SearchPrefix.Gt: return $"{x}.end_ms > {Bind(hi)}";
            case SearchPrefix.Lt: return $"{x}.start_ms < {Bind(lo)}";
            case SearchPrefix.Ge: return $"({x}.end_ms > {Bind(hi)} OR ({x}.start_ms >= {Bind(lo)} AND {x}.end_ms <= {Bind(hi)}))";
            case SearchPrefix.Le: return $"({x}.start_ms < {Bind(lo)} OR ({x}.start_ms >= {Bind(lo)} AND {x}.end_ms <= {Bind(hi)}))";
            case SearchPrefix.Sa: return $"{x}.start_ms >= {Bind(hi)}";
            case SearchPrefix.Eb: return $"{x}.end_ms <= {Bind(lo)}";
            default:
                // ap: the value widened by a tenth of its distance from now (at least a day), overlapping the target.
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var widen = Math.Max(86_400_000L, Math.Abs(now - lo) / 10);
                return $"{x}.start_ms < {Bind(hi + widen)} AND {x}.end_ms > {Bind(lo - widen)}";
        }
    }

    private string Number(string x, SearchPrefix prefix, decimal value, decimal low, decimal high) => prefix switch
    {
        SearchPrefix.Eq => $"{x}.value >= {Bind((double)low)} AND {x}.value < {Bind((double)high)}",
        SearchPrefix.Ne => $"NOT ({x}.value >= {Bind((double)low)} AND {x}.value < {Bind((double)high)})",
        SearchPrefix.Gt or SearchPrefix.Sa => $"{x}.value > {Bind((double)value)}",
        SearchPrefix.Lt or SearchPrefix.Eb => $"{x}.value < {Bind((double)value)}",
        SearchPrefix.Ge => $"{x}.value >= {Bind((double)value)}",
        SearchPrefix.Le => $"{x}.value <= {Bind((double)value)}",
        _ => $"{x}.value >= {Bind((double)(value - Math.Abs(value) / 10))} AND {x}.value <= {Bind((double)(value + Math.Abs(value) / 10))}",
    };

    private string Unit(string x, QuantityValue q) => (q.System, q.Code) switch
    {
        (null, null) => "",
        (null, { } code) => $" AND ({x}.code = {Bind(code)} OR {x}.unit = {Bind(code)})",
        ({ } system, null) => $" AND {x}.system = {Bind(system)}",
        ({ } system, { } code) => $" AND {x}.system = {Bind(system)} AND {x}.code = {Bind(code)}",
    };

    private string Reference(string x, ReferenceValue r)
    {
        if (r.Url is not null)
        {
            // An absolute URL on this server is the same as Type/id; any other is matched as written.
            var local = baseUrl is not null && r.Type is not null && r.Url.StartsWith(baseUrl.TrimEnd('/') + "/", StringComparison.Ordinal);
            if (!local) return $"{x}.url = {Bind(r.Url)}";
        }
        return r.Type is null
            ? $"{x}.target_id = {Bind(r.Id)}"
            : $"{x}.target_id = {Bind(r.Id)} AND {x}.target_type = {Bind(r.Type)}";
    }

    /// <summary>Makes %, _, [ and the escape character itself literal in a LIKE pattern.</summary>
    public static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_").Replace("[", "\\[");

    private static string Cut(string value, int length) => value.Length <= length ? value : value[..length];

    /// <summary>
    /// The sort value of one resource for one parameter: lowest ascending, highest descending, missing last.
    /// Typed sentinels keep the column's type (bigint dates, float numbers, BIN2 text), so cursor values
    /// round-trip and compare the way ORDER BY sorted them.
    /// </summary>
    public string SortExpression(string alias, SearchSort key)
    {
        if (key.Parameter is null) return $"{alias}.id";
        var parameter = key.Parameter;
        var (column, missingLow, missingHigh) = parameter.Type switch
        {
            SearchParamType.Date => ("start_ms", "CAST(-9000000000000000000 AS bigint)", "CAST(9000000000000000000 AS bigint)"),
            SearchParamType.Quantity or SearchParamType.Number => ("value", "CAST(-9E18 AS float)", "CAST(9E18 AS float)"),
            SearchParamType.String => ("normalized", "N''", "REPLICATE(NCHAR(65535), 8)"),
            SearchParamType.Token => ("code", "N''", "REPLICATE(NCHAR(65535), 8)"),
            SearchParamType.Reference => ("target_id", "N''", "REPLICATE(NCHAR(65535), 8)"),
            SearchParamType.Uri => ("value", "N''", "REPLICATE(NCHAR(65535), 8)"),
            _ => throw new NotSupportedException($"cannot sort by {parameter.Type}"),
        };
        var s = NextAlias("s");
        var aggregate = key.Descending ? "MAX" : "MIN";
        var missing = key.Descending ? missingLow : missingHigh;
        return $"COALESCE((SELECT {aggregate}({s}.{column}) FROM {Table(parameter.Type)} AS {s} WHERE {s}.rid = {alias}.rid AND {RowsOf(s, parameter)}), {missing})";
    }
}
