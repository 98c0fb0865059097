using System.Globalization;
using Dapper;
using FhirMbb.Core.Search;
using FhirMbb.Core.Storage;
using Microsoft.Data.SqlClient;
using Row = FhirMbb.Data.SearchRow;

namespace FhirMbb.Data.SqlServer;

/// <summary>The statements of one search page, for running or, in tests, for parsing: all values are in <see cref="Sql"/>'s parameters.</summary>
public sealed record SqlServerSearchPlan(string? CountSql, string PageSql, int KeyCount, SqlServerSearchSql Sql);

/// <summary>
/// Search over the SQL Server index tables, the same behaviour as <c>SqliteSearchStore</c>: keyset pages on
/// (sort keys, rid) below a snapshot of the largest rid seen by the first page, TOP (@n) rather than LIMIT,
/// includes and revincludes (with :iterate) by rid sets in a table-valued parameter. Every round trip runs
/// under the retry policy; the count, the page and the includes are separate statements under the
/// database's read committed (snapshot, on Azure SQL) isolation.
/// </summary>
public sealed class SqlServerSearchStore(string connectionString, SqlServerRetryPolicy? retry = null) : ISearchStore
{
    // SQL Server takes at most 2,100 parameters per request; a search needing more is refused as too large.
    public const int MaxParameters = 2000;

    private readonly SqlServerRetryPolicy _retry = retry ?? SqlServerRetryPolicy.Default;

    private sealed record VersionRow(long rid, long seq, string type, string id, int version, long last_updated, byte[] json)
    {
        public Row ToRow() => new(rid, new StoredResource(type, id, version, DateTimeOffset.FromUnixTimeMilliseconds(last_updated), false, json, seq));
    }

    /// <summary>
    /// The count (when asked for) and page statements of a query at a snapshot. The page selects the sort
    /// keys k0..kN (kN = rid, the tie-breaker that makes the order total) and, after a cursor, only rows
    /// strictly beyond it in the traversal order.
    /// </summary>
    public static SqlServerSearchPlan Plan(SearchQuery query, long snapshot)
    {
        var sql = new SqlServerSearchSql(query.BaseUrl);
        var where = new List<string> { $"r.type = {sql.Bind(query.Type)}", "r.deleted = 0" };
        if (query.CompartmentPatient is not null) where.Add($"r.patient_id = {sql.Bind(query.CompartmentPatient)}");
        foreach (var condition in query.Conditions) where.Add(sql.Condition("r", query.Type, condition));
        where.Add($"r.rid <= {sql.Bind(snapshot)}");
        var filter = string.Join(" AND ", where);

        var countSql = query.Total == TotalMode.Accurate || query.Summary == SummaryMode.Count
            ? $"SELECT COUNT_BIG(*) FROM dbo.resource AS r WHERE {filter}"
            : null;

        var keys = query.Sort.Select(k => (Expression: sql.SortExpression("r", k), k.Descending)).ToList();
        keys.Add(("r.rid", false));
        var backward = query.Cursor?.Backward == true;
        var directions = keys.Select(k => k.Descending ^ backward).ToList();
        var select = string.Join(", ", keys.Select((k, i) => $"{k.Expression} AS k{i}"));
        var order = string.Join(", ", directions.Select((d, i) => $"q.k{i} {(d ? "DESC" : "ASC")}"));
        var keyset = query.Cursor is { } cursor ? " WHERE " + Keyset(sql, cursor, directions) : "";
        var columns = string.Join(", ", keys.Select((_, i) => $"q.k{i}"));
        var pageSql = $"SELECT TOP ({sql.Bind(query.Count + 1)}) {columns} FROM (SELECT {select} FROM dbo.resource AS r WHERE {filter}) AS q{keyset} ORDER BY {order}";
        if (sql.Bound.Count > MaxParameters)
            throw Core.FhirOperationException.BadRequest($"The search has too many values ({sql.Bound.Count} parameters; at most {MaxParameters}): split it into several searches");
        return new SqlServerSearchPlan(countSql, pageSql, keys.Count, sql);
    }

    public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default) =>
        _retry.ExecuteAsync(ct => SearchOnceAsync(query, ct), cancellationToken);

    private async Task<SearchPage> SearchOnceAsync(SearchQuery query, CancellationToken ct)
    {
        await using var connection = new SqlConnection(connectionString);
        await connection.OpenAsync(ct);

        var snapshot = query.Cursor?.Snapshot
            ?? await connection.ExecuteScalarAsync<long>(new CommandDefinition(SqlServerSearchStatements.Snapshot, cancellationToken: ct));
        var plan = Plan(query, snapshot);

        long? total = null;
        if (plan.CountSql is not null)
            total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(plan.CountSql, plan.Sql.Parameters, cancellationToken: ct));
        if (query.Summary == SummaryMode.Count) return new SearchPage([], [], total, null, null);

        List<object?[]> page;
        await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(plan.PageSql, plan.Sql.Parameters, cancellationToken: ct)))
            page = await SearchPaging.ReadKeysAsync(reader, plan.KeyCount, ct);
        var (rids, next, previous) = SearchPaging.Cut(page, query, snapshot);
        var matches = await LoadByRidAsync(connection, rids, ct);

        var included = query.Includes.Count == 0 ? [] : await SearchPaging.IncludeAsync(query, matches,
            (spec, frontier) => spec.Reverse ? ReverseAsync(connection, spec, frontier, ct) : ForwardAsync(connection, spec, frontier, ct));
        return new SearchPage(matches.Select(m => m.Stored).ToList(), included.Select(m => m.Stored).ToList(), total, next, previous);
    }

    private static string Keyset(SqlServerSearchSql sql, PageCursor cursor, IReadOnlyList<bool> descending) =>
        SearchKeyset.After(cursor, descending, value => sql.Bind(value));

    private static async Task<List<Row>> LoadByRidAsync(SqlConnection connection, IReadOnlyList<long> rids, CancellationToken ct)
    {
        if (rids.Count == 0) return [];
        var rows = (await connection.QueryAsync<VersionRow>(new CommandDefinition(
            SqlServerSearchStatements.LoadByRid, new SqlServerSearchStatements.RidParameters(SqlServerIndexRows.RidList(rids)), cancellationToken: ct)))
            .ToDictionary(r => r.rid);
        return rids.Where(rows.ContainsKey).Select(rid => rows[rid].ToRow()).ToList();
    }

    private static async Task<List<Row>> ForwardAsync(SqlConnection connection, IncludeSpec spec, List<Row> frontier, CancellationToken ct)
    {
        var rids = frontier.Where(r => r.Stored.Type == spec.SourceType).Select(r => r.Rid).ToList();
        if (rids.Count == 0) return [];
        var parameters = new SqlServerSearchStatements.IncludeParameters(spec.Parameter.Stored.ParamIds.Single(), spec.Parameter.Stored.TargetType, SqlServerIndexRows.RidList(rids), spec.TargetType, SearchPaging.MaxIncluded);
        return (await connection.QueryAsync<VersionRow>(new CommandDefinition(SqlServerSearchStatements.Include, parameters, cancellationToken: ct)))
            .Select(r => r.ToRow()).ToList();
    }

    private static async Task<List<Row>> ReverseAsync(SqlConnection connection, IncludeSpec spec, List<Row> frontier, CancellationToken ct)
    {
        var rids = frontier.Where(r => spec.TargetType is null || r.Stored.Type == spec.TargetType).Select(r => r.Rid).ToList();
        if (rids.Count == 0) return [];
        var parameters = new SqlServerSearchStatements.ReverseIncludeParameters(spec.SourceType, spec.Parameter.Stored.ParamIds.Single(), spec.Parameter.Stored.TargetType, SqlServerIndexRows.RidList(rids), spec.TargetType, SearchPaging.MaxIncluded);
        return (await connection.QueryAsync<VersionRow>(new CommandDefinition(SqlServerSearchStatements.ReverseInclude, parameters, cancellationToken: ct)))
            .Select(r => r.ToRow()).ToList();
    }
}
