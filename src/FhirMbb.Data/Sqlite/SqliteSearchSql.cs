using System.Globalization;
using Dapper;
using FhirMbb.Core.Search;
using Hl7.Fhir.Model;

namespace FhirMbb.Data.Sqlite;

/// <summary>
/// Builds the WHERE fragments of a search. Table and column names come only from the fixed fragments
/// below, chosen by the parameter's type in the registry; every value from the request is a parameter.
/// </summary>
internal sealed class SqliteSearchSql(string? baseUrl)
{
    // U+10FFFF sorts after every other character in SQLite's binary collation: "starts with v" is [v, v + max).
    private const string MaxChar = "\U0010FFFF";

    /// <summary>The values bound, by name, for a statement run without Dapper (SqliteSearchSession).</summary>
    public List<KeyValuePair<string, object?>> Values { get; } = [];

    /// <summary>
    /// The same values for Dapper, built the first time they are asked for (a list value, an include): a search whose
    /// statements run without Dapper builds none.
    /// </summary>
    public DynamicParameters Parameters => _parameters ??= ForDapper();

    private DynamicParameters? _parameters;

    private DynamicParameters ForDapper()
    {
        var parameters = new DynamicParameters();
        foreach (var (name, value) in Values) parameters.Add(name, value);
        return parameters;
    }

    /// <summary>True when a value is a list, which only Dapper expands (into one parameter per element).</summary>
    public bool HasLists { get; private set; }

    private int _next;

    public string Bind(object? value)
    {
        var name = "@p" + _next++.ToString(CultureInfo.InvariantCulture);
        Values.Add(new(name, value));
        _parameters?.Add(name, value);
        HasLists |= value is System.Collections.IEnumerable and not string;
        return name;
    }

    /// <summary>
    /// A condition on the resources of <paramref name="alias"/>. A driving condition is written as
    /// "rid IN (rows of the index)" so SQLite starts from it; the others as a per-row probe of the index's
    /// primary key (rid, param_id). The unary + on param_id keeps the planner off the param_id indexes there.
    /// Probes name the rid through <paramref name="ridAlias"/> (default: <paramref name="alias"/>): a search
    /// that takes its candidates from index rows probes them before it looks up their resource rows.
    /// A token given as system|code is probed in the value index at (param_id, code, system, rid) instead: every
    /// candidate then lands in that one code's slice of the index, which stays in the page cache, where the primary
    /// key spreads them over the whole table (at 1M Observations, ~80 page reads a patient+code search against ~310).
    /// </summary>
    public string Condition(string alias, string aliasType, SearchCondition condition, bool driving = true, string? ridAlias = null)
    {
        var rid = (ridAlias ?? alias) + ".rid";
        return condition switch
        {
            IdCondition id => $"{alias}.id {(id.Not ? "NOT IN" : "IN")} {Bind(id.Ids)}",
            // Quantities and numbers have no value index (0011_no_value_indexes.sql): probed, never driving.
            ParameterCondition { Parameter.Type: not (SearchParamType.Quantity or SearchParamType.Number) } when driving => $"{rid} IN ({DriverRows(condition)})",
            ChainCondition => $"{rid} IN ({DriverRows(condition)})",
            ParameterCondition { Parameter.Type: SearchParamType.Token, AnyOf: [TokenValue { SystemGiven: true, System: { } system, Code: { } code }] } p =>
                $"EXISTS (SELECT 1 FROM idx_token x INDEXED BY ix_idx_token_code WHERE {RowsOf("x", p.Parameter)} " +
                $"AND x.code = {Bind(code)} AND x.system = {Bind(system)} AND x.rid = {rid})",
            ParameterCondition p => $"EXISTS ({Probe(rid, p.Parameter, p.AnyOf)})",
            NotCondition not => $"NOT EXISTS ({Probe(rid, not.Inner.Parameter, not.Inner.AnyOf)})",
            AnyOfCondition any => "(" + string.Join(" OR ", any.Alternatives.Select(all => "(" + string.Join(" AND ", all.Select(c => Condition(alias, aliasType, c, driving: false, ridAlias))) + ")")) + ")",
            MissingCondition { Parameter.Code: "_id" } m => m.Missing ? "0" : "1",
            MissingCondition m => $"{(m.Missing ? "NOT EXISTS" : "EXISTS")} ({Probe(rid, m.Parameter, [])})",
            HasCondition has =>
                $"{alias}.id IN (SELECT x.target_id FROM idx_reference x JOIN resource o ON o.rid = x.rid " +
                $"WHERE {RowsOf("x", has.Reference)} AND x.target_type = {Bind(aliasType)} AND o.type = {Bind(has.SourceType)} AND o.deleted = 0 " +
                $"AND {Condition("o", has.SourceType, has.Inner)})",
            _ => throw new NotSupportedException($"{condition.GetType().Name} has no SQL"),
        };
    }

    /// <summary>True when the condition's SQL refers to the resource only through its rid (index probes), not its row.</summary>
    public static bool NeedsOnlyRid(SearchCondition condition) => condition switch
    {
        ParameterCondition or NotCondition or MissingCondition or ChainCondition => true,
        AnyOfCondition any => any.Alternatives.All(all => all.All(NeedsOnlyRid)),
        _ => false,
    };

    /// <summary>
    /// The rids a driving parameter or chain condition starts from, as a subquery (a rid may appear more than
    /// once); null for a condition that cannot drive by rid.
    /// </summary>
    public string? DriverRows(SearchCondition condition) => condition switch
    {
        ParameterCondition p => Subquery(p),
        ChainCondition chain =>
            $"SELECT x.rid FROM idx_reference x JOIN resource t ON t.type = x.target_type AND t.id = x.target_id " +
            $"WHERE {RowsOf("x", chain.Reference)} AND t.deleted = 0 AND t.type IN {Bind(chain.TargetTypes)} AND {ChainInner(chain)}",
        _ => null,
    };

    /// <summary>
    /// The rows of idx_patient_token (schemas 0008, 0009) for one patient, a type and one of the code condition's tokens,
    /// where a missing system or code is ''. Columns unqualified.
    /// </summary>
    public string PatientTokenFilter(string patientId, string type, ParameterCondition code) =>
        $"pid = {Bind(patientId)} AND type = {Bind(type)} AND param_id = {Bind(code.Parameter.Id)} AND (" +
        string.Join(" OR ", code.AnyOf.Cast<TokenValue>().Select(t => "(" + (t switch
        {
            { SystemGiven: false } => $"code = {Bind(t.Code)}",
            { System: null } => $"code = {Bind(t.Code)} AND system = ''",
            { Code: null } => $"system = {Bind(t.System)}",
            _ => $"code = {Bind(t.Code)} AND system = {Bind(t.System)}",
        }) + ")")) + ")";

    /// <summary>
    /// How good a place a condition is for SQLite to start from, lower is better; null when it is not one
    /// (dates are judged together, see <see cref="DateWindow"/>). Without statistics per value this is a
    /// rule of thumb: ids, then references (a patient's resources), chains and _has, then tokens, strings, uris.
    /// </summary>
    public static int? DriverRank(SearchCondition condition) => condition switch
    {
        IdCondition { Not: false } => 0,
        ParameterCondition { Parameter.Type: SearchParamType.Reference } => 1,
        ChainCondition or HasCondition => 2,
        ParameterCondition { Parameter.Type: SearchParamType.Token } => 4,
        ParameterCondition { Parameter.Type: SearchParamType.String or SearchParamType.Uri } => 5,
        _ => null,
    };

    /// <summary>A date window narrower than this starts the search ahead of a token (code=...) and behind a reference.</summary>
    public static readonly long NarrowDateWindow = TimeSpan.FromDays(31).Ticks / TimeSpan.TicksPerMillisecond;

    /// <summary>Rows no longer than this are "short": their start lies within a day before any instant they cover.</summary>
    private const long ShortRow = 86_400_000;

    /// <summary>
    /// The start_ms window that every short index row meeting all these conditions (one date parameter,
    /// all AND) must lie in: [Lo, Hi), with long.MinValue / long.MaxValue for an open side. How wide it is decides
    /// whether the dates start the search (<see cref="NarrowDateWindow"/>); the rows are then found by day
    /// (<see cref="DayWindow"/>).
    /// </summary>
    public static (long Lo, long Hi) DateWindow(IEnumerable<ParameterCondition> conditions) => Bounds(conditions, ValueWindow);

    /// <summary>
    /// Bounds over conditions that all hold (AND), each met by any of its values (commas OR): the intersection of each
    /// condition's hull of its values' bounds. A value that is not a date bounds nothing.
    /// </summary>
    private static (long Lo, long Hi) Bounds(IEnumerable<ParameterCondition> conditions, Func<DateValue, (long Lo, long Hi)> ofValue)
    {
        var (lo, hi) = (long.MinValue, long.MaxValue);
        foreach (var condition in conditions)
        {
            var (cLo, cHi) = (long.MaxValue, long.MinValue);
            foreach (var value in condition.AnyOf)
            {
                var (vLo, vHi) = value is DateValue d ? ofValue(d) : (long.MinValue, long.MaxValue);
                cLo = Math.Min(cLo, vLo);
                cHi = Math.Max(cHi, vHi);
            }
            lo = Math.Max(lo, cLo);
            hi = Math.Min(hi, cHi);
        }
        return (lo, hi);
    }

    private static (long Lo, long Hi) ValueWindow(DateValue d)
    {
        const long Open = long.MaxValue, OpenLow = long.MinValue;
        var (lo, hi) = (d.Range.Start, d.Range.End);
        return d.Prefix switch
        {
            SearchPrefix.Eq => (lo, hi),
            SearchPrefix.Gt => (hi - ShortRow, Open),
            SearchPrefix.Ge => (lo - ShortRow, Open),
            SearchPrefix.Sa => (hi, Open),
            SearchPrefix.Lt or SearchPrefix.Eb => (OpenLow, lo),
            SearchPrefix.Le => (OpenLow, hi),
            SearchPrefix.Ap => (lo - ApWidening(lo) - ShortRow, hi + ApWidening(lo)),
            _ => (OpenLow, Open),
        };
    }

    /// <summary>ap: the value widened by a tenth of its distance from now, at least a day.</summary>
    private static long ApWidening(long lo) => Math.Max(86_400_000L, Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - lo) / 10);

    /// <summary>
    /// Starts the search from the date index, with exactly the resources that meet every one of the conditions (one date
    /// parameter, all AND): rows within one day (ix_idx_date_day, schema 0010) on the days they allow
    /// (<see cref="DayWindow"/>) that meet them all, rows across days (ix_idx_date_crossing) that meet them all, and the
    /// resources with several rows for the parameter (idx_date_multi) whose rows meet each condition, maybe on different
    /// rows. A resource with one row meets them all on that row, so the conditions need no probe afterwards.
    /// <paramref name="ordered"/>: the rids come once each, ascending, and a one-day search reads its day in that order
    /// (SQLite merges the parts, and the page stops reading when it is full). <paramref name="ridBounds"/> (given a rid
    /// column) narrows each part, so such a page starts at its cursor. <paramref name="codeBits"/> (schema 0012): the rows
    /// of the day and crossing indexes must hold one of these bits, or have none known (NULL), to be taken.
    /// </summary>
    public string DateDriver(SearchParameterDefinition parameter, IReadOnlyList<ParameterCondition> conditions, bool ordered = false, Func<string, string>? ridBounds = null, long? codeBits = null)
    {
        // Date parameters are never derived (the registry keeps them to their own rows), so one param_id is all of them.
        var id = Bind(parameter.Id);
        var all = string.Join(" AND ", conditions.Select(c => "(" + string.Join(" OR ", c.AnyOf.Select(v => "(" + Value(v) + ")")) + ")"));
        var (first, last) = DayWindow(conditions);
        var days = first == last
            ? $" AND {DayOf} = {Bind(first)}"
            : (first == long.MinValue ? "" : $" AND {DayOf} >= {Bind(first)}") + (last == long.MaxValue ? "" : $" AND {DayOf} <= {Bind(last)}");
        var bits = codeBits is { } b ? $" AND (code_bits IS NULL OR code_bits & {Bind(b)} <> 0)" : "";
        string Bounds(string rid) => ridBounds is null ? "" : " AND " + ridBounds(rid);
        var each = string.Join(" AND ", conditions.Select(c => $"EXISTS ({Probe("m.rid", c.Parameter, c.AnyOf)})"));
        string[] parts =
        [
            $"SELECT rid FROM idx_date INDEXED BY ix_idx_date_day WHERE param_id = {id} AND {WithinOneDay}{days} AND {all}{bits}{Bounds("rid")}",
            $"SELECT rid FROM idx_date INDEXED BY ix_idx_date_crossing WHERE param_id = {id} AND {AcrossDays} AND {all}{bits}{Bounds("rid")}",
            $"SELECT m.rid FROM idx_date_multi m WHERE m.param_id = {id} AND {each}{Bounds("m.rid")}",
        ];
        return ordered ? string.Join(" UNION ", parts) + " ORDER BY 1" : string.Join(" UNION ALL ", parts);
    }

    // A date row's day, as ix_idx_date_day and ix_idx_date_crossing (schema 0010) write it: days since 0001-01-01 UTC.
    // The text must stay the index's for SQLite to use it.
    private const string DayOf = "(start_ms + 62135596800000) / 86400000";
    private const string WithinOneDay = DayOf + " = (end_ms - 1 + 62135596800000) / 86400000";
    private const string AcrossDays = DayOf + " <> (end_ms - 1 + 62135596800000) / 86400000";
    private const long DayZero = 62_135_596_800_000;
    private const long Day = 86_400_000;

    /// <summary>The day of an instant, as <see cref="DayOf"/> gives it for a row starting there (the floor).</summary>
    public static long DayNumber(long ms)
    {
        if (ms > long.MaxValue - DayZero) return long.MaxValue;
        var shifted = ms + DayZero;
        var day = shifted / Day;
        return shifted % Day != 0 && shifted < 0 ? day - 1 : day;
    }

    /// <summary>
    /// The days [First, Last] on which a row within one day ([start, end) inside that day) can meet every one of the
    /// conditions, from each prefix's rule in <see cref="Value"/> over the search value's [lo, hi): eq needs start >= lo and
    /// end &lt;= hi; gt end > hi, so the row's day ends after hi; ge either; lt and eb start &lt; lo; le start &lt; hi; sa
    /// start >= hi; ap start &lt; hi + w and end > lo - w. long.MinValue / long.MaxValue for an open side; First > Last
    /// when none can.
    /// </summary>
    public static (long First, long Last) DayWindow(IEnumerable<ParameterCondition> conditions) => Bounds(conditions, ValueDays);

    private static (long First, long Last) ValueDays(DateValue d)
    {
        const long Open = long.MaxValue, OpenLow = long.MinValue;
        var (lo, hi) = (d.Range.Start, d.Range.End);
        return d.Prefix switch
        {
            SearchPrefix.Eq => (DayNumber(lo), DayNumber(hi - 1)),
            SearchPrefix.Gt or SearchPrefix.Sa => (DayNumber(hi), Open),
            SearchPrefix.Ge => (DayNumber(lo), Open),
            SearchPrefix.Lt or SearchPrefix.Eb => (OpenLow, DayNumber(lo - 1)),
            SearchPrefix.Le => (OpenLow, DayNumber(hi - 1)),
            SearchPrefix.Ap => (DayNumber(lo - ApWidening(lo)), DayNumber(hi + ApWidening(lo) - 1)),
            _ => (OpenLow, Open),
        };
    }

    /// <summary>
    /// Selects a parameter's rows in an index table (<paramref name="alias"/>, or unqualified when null): its
    /// <see cref="SearchParameterDefinition.Stored"/> param ids and, for a derived reference, the target type.
    /// In a probe the unary + keeps the planner on the primary key (rid, ...) instead of a param_id index.
    /// </summary>
    public string RowsOf(string? alias, SearchParameterDefinition parameter, bool probe = false)
    {
        var prefix = alias is null ? "" : alias + ".";
        var column = (probe ? "+" : "") + prefix + "param_id";
        var ids = parameter.Stored.ParamIds;
        var rows = ids.Count == 1 ? $"{column} = {Bind(ids[0])}" : $"{column} IN ({string.Join(", ", ids.Select(id => Bind(id)))})";
        return parameter.Stored.TargetType is { } target ? $"{rows} AND {prefix}target_type = {Bind(target)}" : rows;
    }

    private string ChainInner(ChainCondition chain) => Condition("t", chain.TargetTypes[0], chain.Inner);

    private string Probe(string rid, SearchParameterDefinition parameter, IReadOnlyList<SearchValue> anyOf)
    {
        var values = anyOf.Count == 0 ? "" : " AND (" + string.Join(" OR ", anyOf.Select(v => "(" + Value(v) + ")")) + ")";
        return $"SELECT 1 FROM {Table(parameter.Type)} x WHERE x.rid = {rid} AND {RowsOf("x", parameter, probe: true)}{values}";
    }

    private string Subquery(ParameterCondition condition)
    {
        var table = Table(condition.Parameter.Type);
        var any = string.Join(" OR ", condition.AnyOf.Select(v => "(" + Value(v) + ")"));
        return $"SELECT rid FROM {table} WHERE {RowsOf(null, condition.Parameter)} AND ({any})";
    }

    public static string Table(SearchParamType type) => type switch
    {
        SearchParamType.Token => "idx_token",
        SearchParamType.String => "idx_string",
        SearchParamType.Date => "idx_date",
        SearchParamType.Reference => "idx_reference",
        SearchParamType.Quantity => "idx_quantity",
        SearchParamType.Number => "idx_number",
        SearchParamType.Uri => "idx_uri",
        _ => throw new NotSupportedException($"{type} parameters are not indexed"),
    };

    private string Value(SearchValue value) => value switch
    {
        TokenValue { SystemGiven: false } t => $"code = {Bind(t.Code)}",
        TokenValue { System: null } t => $"code = {Bind(t.Code)} AND system IS NULL",
        TokenValue { Code: null } t => $"system = {Bind(t.System)}",
        TokenValue t => $"code = {Bind(t.Code)} AND system = {Bind(t.System)}",
        TokenTextValue t => $"(text LIKE {Bind(EscapeLike(t.Text) + "%")} ESCAPE '\\' OR text LIKE {Bind("% " + EscapeLike(t.Text) + "%")} ESCAPE '\\')",
        StringValue { Match: StringMatch.Exact } s => $"exact = {Bind(s.Value)}",
        StringValue { Match: StringMatch.Contains } s => $"normalized LIKE {Bind("%" + EscapeLike(s.Value) + "%")} ESCAPE '\\'",
        StringValue s => $"normalized >= {Bind(s.Value)} AND normalized < {Bind(s.Value + MaxChar)}",
        DateValue d => Date(d),
        NumberValue n => Number(n.Prefix, n.Value, n.Low, n.High),
        QuantityValue q => Number(q.Prefix, q.Value, q.Low, q.High) + Unit(q),
        ReferenceValue r => Reference(r),
        ReferenceIdentifierValue { System: null } i => $"identifier_value = {Bind(i.Value)}",
        ReferenceIdentifierValue i => $"identifier_value = {Bind(i.Value)} AND identifier_system = {Bind(i.System)}",
        // :below cuts at a path separator: http://a.org/fhir is above http://a.org/fhir/ValueSet/1, not above http://a.org/fhirx.
        UriValue { Below: true } u => $"(value = {Bind(u.Value.TrimEnd('/'))} OR (value >= {Bind(u.Value.TrimEnd('/') + "/")} AND value < {Bind(u.Value.TrimEnd('/') + "/" + MaxChar)}))",
        UriValue u => $"value = {Bind(u.Value)}",
        _ => throw new NotSupportedException($"{value.GetType().Name} has no SQL"),
    };

    /// <summary>The R4 prefixes over ranges: the target [start, end) against the search value's [lo, hi).</summary>
    private string Date(DateValue d)
    {
        var lo = d.Range.Start;
        var hi = d.Range.End;
        string Lo() => Bind(lo);
        string Hi() => Bind(hi);
        switch (d.Prefix)
        {
            case SearchPrefix.Eq: return $"start_ms >= {Lo()} AND end_ms <= {Hi()}";
            case SearchPrefix.Ne: return $"NOT (start_ms >= {Lo()} AND end_ms <= {Hi()})";
            case SearchPrefix.Gt: return $"end_ms > {Hi()}";
            case SearchPrefix.Lt: return $"start_ms < {Lo()}";
            case SearchPrefix.Ge: return $"(end_ms > {Hi()} OR (start_ms >= {Lo()} AND end_ms <= {Hi()}))";
            case SearchPrefix.Le: return $"(start_ms < {Lo()} OR (start_ms >= {Lo()} AND end_ms <= {Hi()}))";
            case SearchPrefix.Sa: return $"start_ms >= {Hi()}";
            case SearchPrefix.Eb: return $"end_ms <= {Lo()}";
            default:
                // ap: the value widened by a tenth of its distance from now (at least a day), overlapping the target.
                var widen = ApWidening(lo);
                return $"start_ms < {Bind(hi + widen)} AND end_ms > {Bind(lo - widen)}";
        }
    }

    private string Number(SearchPrefix prefix, decimal value, decimal low, decimal high) => prefix switch
    {
        SearchPrefix.Eq => $"value >= {Bind((double)low)} AND value < {Bind((double)high)}",
        SearchPrefix.Ne => $"NOT (value >= {Bind((double)low)} AND value < {Bind((double)high)})",
        SearchPrefix.Gt or SearchPrefix.Sa => $"value > {Bind((double)value)}",
        SearchPrefix.Lt or SearchPrefix.Eb => $"value < {Bind((double)value)}",
        SearchPrefix.Ge => $"value >= {Bind((double)value)}",
        SearchPrefix.Le => $"value <= {Bind((double)value)}",
        _ => $"value >= {Bind((double)(value - Math.Abs(value) / 10))} AND value <= {Bind((double)(value + Math.Abs(value) / 10))}",
    };

    private string Unit(QuantityValue q) => (q.System, q.Code) switch
    {
        (null, null) => "",
        (null, { } code) => $" AND (code = {Bind(code)} OR unit = {Bind(code)})",
        ({ } system, null) => $" AND system = {Bind(system)}",
        ({ } system, { } code) => $" AND system = {Bind(system)} AND code = {Bind(code)}",
    };

    private string Reference(ReferenceValue r)
    {
        if (r.Url is not null)
        {
            // An absolute URL on this server is the same as Type/id; any other is matched as written.
            var local = baseUrl is not null && r.Type is not null && r.Url.StartsWith(baseUrl.TrimEnd('/') + "/", StringComparison.Ordinal);
            if (!local) return $"url = {Bind(r.Url)}";
        }
        return r.Type is null
            ? $"target_id = {Bind(r.Id)}"
            : $"target_id = {Bind(r.Id)} AND target_type = {Bind(r.Type)}";
    }

    private static string EscapeLike(string value) => value.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    /// <summary>The sort value of one resource for one parameter: lowest ascending, highest descending, missing last.</summary>
    public string SortExpression(string alias, SearchSort key, string? ridAlias = null)
    {
        if (key.Parameter is null) return $"{alias}.id";
        var parameter = key.Parameter;
        var (column, numeric) = parameter.Type switch
        {
            SearchParamType.Date => ("start_ms", true),
            SearchParamType.String => ("normalized", false),
            SearchParamType.Token => ("code", false),
            SearchParamType.Reference => ("target_id", false),
            SearchParamType.Quantity or SearchParamType.Number => ("value", true),
            SearchParamType.Uri => ("value", false),
            _ => throw new NotSupportedException($"cannot sort by {parameter.Type}"),
        };
        var aggregate = key.Descending ? "MAX" : "MIN";
        return $"COALESCE((SELECT {aggregate}({column}) FROM {Table(parameter.Type)} s WHERE s.rid = {ridAlias ?? alias}.rid AND {RowsOf("s", parameter, probe: true)}), {MissingSortKey(numeric, key.Descending)})";
    }

    /// <summary>The key of a resource without a value for the sort parameter: last, either way.</summary>
    public static string MissingSortKey(bool numeric, bool descending) => numeric
        ? (descending ? "-9000000000000000000" : "9000000000000000000")
        : (descending ? "''" : "char(1114111)");

    /// <summary>
    /// The sort keys of a search whose candidates are rows of idx_patient_token (alias p), which carry the first and last
    /// start of the type's date (<see cref="CodePairing.IsSortDate"/>): the same keys <see cref="SortExpression"/> computes,
    /// without a probe. Null when the sort needs anything else.
    /// </summary>
    public static List<string>? PatientTokenSortKeys(IReadOnlyList<SearchSort> sort) => sort switch
    {
        [] => [],
        [{ Parameter: { } parameter } key] when CodePairing.IsSortDate(parameter) =>
            [$"COALESCE(p.{(key.Descending ? "date_last" : "date_first")}, {MissingSortKey(true, key.Descending)})"],
        _ => null,
    };
}
