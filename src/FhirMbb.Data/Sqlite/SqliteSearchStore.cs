using System.Data;
using Dapper;
using FhirMbb.Core.Search;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;
using Row = FhirMbb.Data.SearchRow;

namespace FhirMbb.Data.Sqlite;

/// <summary>
/// Search over the index tables. Pages are keyset pages on (sort keys, rid) below a snapshot of the
/// largest rid seen by the first page, so resources created while a client walks the pages never
/// shift them, and every match is returned exactly once.
/// </summary>
public sealed class SqliteSearchStore(string connectionString) : ISearchStore, IDisposable
{
    /// <summary>A stored version's columns (v), after its resource's rid: alone in an include's rows, after the sort keys in a page's.</summary>
    private static string VersionColumns(string rid) => $"{rid}, v.seq, v.type, v.id, v.version, v.last_updated, v.json";

    private static readonly string StoredColumns = VersionColumns("r.rid");

    /// <summary>The stored version of a row whose <see cref="StoredColumns"/> start at <paramref name="at"/>.</summary>
    private static Row ReadVersion(System.Data.Common.DbDataReader reader, int at) =>
        new(reader.GetInt64(at), new StoredResource(reader.GetString(at + 2), reader.GetString(at + 3), reader.GetInt32(at + 4),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(at + 5)), false, (byte[])reader.GetValue(at + 6), reader.GetInt64(at + 1)));

    /// <summary>
    /// 8 MB of SQLite page cache per search connection (pooled, so it stays warm), against the default 2 MB. At 1M
    /// Observations, 1,000 patient+code searches on one connection read ~550 pages each with 2 MB (the leaves a search
    /// passed pushed the B-trees' inner pages out), when every candidate's code was probed. Since a patient's codes are
    /// one range (idx_patient_token) and a code+date search probes only rows with its code bits, 8 MB reads as few pages
    /// as 16 MB did (in the server, 32 connections: 54 `read` calls per patient+code search and 35 per code+date either
    /// way), for ~15 MB less memory.
    /// </summary>
    private const string CacheSizePragma = "PRAGMA cache_size=-8192";

    /// <summary>
    /// Searches running in SQLite at once: one per core (at least two). Its calls are synchronous and CPU-bound (pages
    /// come from the OS cache), so more only take turns on the cores; and each connection in use holds its own page
    /// cache, so this also bounds their memory. The others wait here without a thread, in turn. Against two per core on
    /// the 2-core machine (1M Observations, 32 connections, three rounds each, interleaved): p95 over p50 1.5-1.8 against
    /// 1.7-2.0 at the same throughput, and 35 MB less anonymous memory.
    /// </summary>
    private readonly SemaphoreSlim _running = new(Math.Max(2, Environment.ProcessorCount));

    // Open connections with their compiled statements; no more are in use than searches may run at once (_running).
    private readonly SqliteSessionPool<SqliteSearchSession> _sessions = new(() => new SqliteSearchSession(connectionString, CacheSizePragma));

    public void Dispose() => _sessions.Dispose();

    public async Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default)
    {
        await _running.WaitAsync(cancellationToken);
        try
        {
            return await RunAsync(query, cancellationToken);
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task<SearchPage> RunAsync(SearchQuery query, CancellationToken cancellationToken)
    {
        var session = _sessions.Rent();
        try
        {
            return await RunAsync(session, query, cancellationToken);
        }
        catch
        {
            session.Broken = true;
            throw;
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    private async Task<SearchPage> RunAsync(SqliteSearchSession session, SearchQuery query, CancellationToken cancellationToken)
    {
        var connection = session.Connection;
        // One read transaction: the count, the page and the includes all see the same database state.
        using var transaction = connection.BeginTransaction(deferred: true);
        var snapshot = query.Cursor?.Snapshot
            ?? (long)(await session.Command("SELECT COALESCE(MAX(rid), 0) FROM resource", [], transaction).ExecuteScalarAsync(cancellationToken))!;

        var sql = new SqliteSearchSql(query.BaseUrl);
        var where = new List<string>();
        // An unsorted page (nor a count, nor a page back) takes its rows in rid order: a date driver then gives them in
        // that order, from the cursor on, so the page reads only as far as it is full.
        Func<string, string>? pageBounds = null;
        if (query.Sort.Count == 0 && query.Summary != SummaryMode.Count && query.Cursor?.Backward != true)
        {
            // Bound once, when a driver first asks: each of its parts names the same values. Not from the cursor on when
            // the same rows are counted for the total.
            string? snapshotName = null, afterName = null;
            pageBounds = rid =>
            {
                snapshotName ??= sql.Bind(snapshot);
                if (query.Cursor is { Keys: [long after] } && query.Total != TotalMode.Accurate) afterName ??= sql.Bind(after);
                return $"{rid} <= {snapshotName}" + (afterName is null ? "" : $" AND {rid} > {afterName}");
            };
        }
        var driver = await PairedDriverAsync(connection, transaction, sql, query, cancellationToken) ?? Driver(sql, query, pageBounds);
        var others = query.Conditions.Where(c => !driver.Consumed.Any(d => ReferenceEquals(c, d))).ToList();
        // Nothing but patient=X&code=Y: the page may come from idx_patient_token's rows alone (pairedKeys, below).
        var patientTokens = others.Count == 0 && query.CompartmentPatient is null ? driver.PatientTokens : null;
        // A sorted search (or a count) meets every candidate. It takes them from the index rows (d) and probes
        // the conditions that need only a rid there, before it reads a candidate's resource row: a candidate that
        // fails costs no read of the resource table. (Written in the WHERE of the join, SQLite 3.53 turns the
        // probes into joins placed after the resource row.) Unsorted, "rid IN (rows)" walks the candidates in rid
        // order, the page order, and stops at the page's end.
        var joined = driver.Rows is not null && (query.Sort.Count > 0 || query.Summary == SummaryMode.Count);
        string from, rid, candidates = "";
        if (joined)
        {
            var byRid = others.Where(SqliteSearchSql.NeedsOnlyRid).ToList();
            others = others.Where(c => !SqliteSearchSql.NeedsOnlyRid(c)).ToList();
            var probes = byRid.Select(c => sql.Condition("r", query.Type, c, driving: false, ridAlias: "d")).Append($"d.rid <= {sql.Bind(snapshot)}");
            candidates = $"SELECT DISTINCT rid FROM ({driver.Rows}) d WHERE {string.Join(" AND ", probes)}";
            from = $"({candidates}) c CROSS JOIN resource r ON r.rid = c.rid";
            rid = "c";
        }
        else if (driver.Ordered)
        {
            // Conditions that need only a rid are probed on the driver's row, before its resource row is read.
            from = $"({driver.Rows}) d CROSS JOIN resource r ON r.rid = d.rid";
            rid = "d";
        }
        else
        {
            from = "resource r";
            rid = "r";
            if (driver.Rows is not null) where.Add($"r.rid IN ({driver.Rows})");
            where.Add($"r.rid <= {sql.Bind(snapshot)}");
        }
        // "+r.type": with a selective condition to start from, the type is only checked, never scanned.
        // A search that starts from index rows (rid IN ...) only checks the type ("+" keeps SQLite off the
        // type index); ids are found through the (type, id) index, and with no condition the type is scanned.
        var fromRows = driver.Rows is not null || driver.Condition is not null and not IdCondition;
        where.Add(fromRows || query.CompartmentPatient is not null ? $"+r.type = {sql.Bind(query.Type)}" : $"r.type = {sql.Bind(query.Type)}");
        where.Add("r.deleted = 0");
        if (query.CompartmentPatient is not null) where.Add($"r.patient_id = {sql.Bind(query.CompartmentPatient)}");
        foreach (var condition in others)
            where.Add(sql.Condition("r", query.Type, condition, driving: ReferenceEquals(condition, driver.Condition), ridAlias: rid));
        var filter = string.Join(" AND ", where);

        // The count and the page run as compiled before for the same shape (SqliteSearchSession); a list value (ids) is
        // expanded by Dapper, into a text of its own length.
        async Task<System.Data.Common.DbDataReader> Execute(string text) => sql.HasLists
            ? await connection.ExecuteReaderAsync(new CommandDefinition(text, sql.Parameters, transaction, cancellationToken: cancellationToken))
            : await session.Command(text, sql.Values, transaction).ExecuteReaderAsync(cancellationToken);

        long? total = null;
        if (query.Total == TotalMode.Accurate || query.Summary == SummaryMode.Count)
            await using (var counted = await Execute($"SELECT COUNT(*) FROM {from} WHERE {filter}"))
            {
                await counted.ReadAsync(cancellationToken);
                total = counted.GetInt64(0);
            }
        if (query.Summary == SummaryMode.Count) return new SearchPage([], [], total, null, null);

        // patient=X&code=Y alone, sorted by the date or not at all: the page comes from idx_patient_token's rows, which
        // carry each resource's type, sort keys and current version (a pain diary at 1M Observations: ~55 page reads
        // against ~140, with a date probe and a resource row per candidate). The rows of a deleted resource are gone with
        // it, so no resource row is needed to rule it out.
        var pairedKeys = patientTokens is null ? null : SqliteSearchSql.PatientTokenSortKeys(query.Sort);
        // Keys: the requested sort keys, then rid ascending as the tie-breaker that makes the order total.
        List<(string Expression, bool Descending)> keys = pairedKeys is not null
            ? [.. pairedKeys.Zip(query.Sort, (expression, k) => (expression, k.Descending)), ("p.rid", false)]
            : [.. query.Sort.Select(k => (sql.SortExpression("r", k, rid), k.Descending)), ($"{rid}.rid", false)];
        var backward = query.Cursor?.Backward == true;
        var directions = keys.Select(k => k.Descending ^ backward).ToList();
        var select = string.Join(", ", keys.Select((k, i) => $"{k.Expression} AS k{i}"));
        var order = string.Join(", ", directions.Select((d, i) => $"k{i} {(d ? "DESC" : "ASC")}"));
        var keyset = query.Cursor is { } cursor ? "WHERE " + Keyset(sql, cursor, directions) : "";
        // The page size is written into the SQL, not bound: SQLite plans with a bound LIMIT's value, so it compiled the
        // statement again at each run, ~0.1 ms of a code+date search (sqlite3_stmt_status). It is an int of the query.
        var limit = (query.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Sort keys that need only the rid (every parameter; not _id) are computed and ordered over the candidates
        // alone; the resource rows are then read in that order only until the page is full (SQLite keeps the
        // co-routine's order and sorts no more: "LIMIT -1" keeps it from being flattened into the join). Those rows
        // are the page, so the same statement reads their versions too. Any other page is cut first (its keys and the
        // version's seq, LIMIT) and its versions joined to the rows it kept by that seq, in the same statement: no second
        // visit to each resource row.
        var keyColumns = string.Join(", ", keys.Select((_, i) => $"c.k{i} AS k{i}"));
        var pageSql = pairedKeys is not null
            ? $"SELECT {keyColumns}, {VersionColumns($"c.k{keys.Count - 1}")} FROM (SELECT * FROM (SELECT DISTINCT {select}, p.seq AS seq " +
              $"FROM idx_patient_token p WHERE {patientTokens} AND p.rid <= {sql.Bind(snapshot)}) q {keyset} ORDER BY {order} LIMIT {limit}) c " +
              $"CROSS JOIN resource_version v ON v.seq = c.seq ORDER BY {order}"
            : joined && query.Sort.All(k => k.Parameter is not null)
            ? $"SELECT {keyColumns}, {StoredColumns} FROM (SELECT * FROM (SELECT {select}, c.rid AS rid FROM ({candidates}) c) q {keyset} ORDER BY {order} LIMIT -1) c " +
              $"CROSS JOIN resource r ON r.rid = c.rid JOIN resource_version v ON v.seq = r.seq WHERE {filter} ORDER BY {order} LIMIT {limit}"
            : $"SELECT {keyColumns}, {VersionColumns($"c.k{keys.Count - 1}")} FROM (SELECT * FROM (SELECT {select}, r.seq AS seq FROM {from} WHERE {filter}) q {keyset} ORDER BY {order} LIMIT {limit}) c " +
              $"CROSS JOIN resource_version v ON v.seq = c.seq ORDER BY {order}";

        List<object?[]> page;
        var read = new Dictionary<long, Row>();
        await using (var reader = await Execute(pageSql))
            page = await SearchPaging.ReadKeysAsync(reader, keys.Count, cancellationToken, () => { var row = ReadVersion(reader, keys.Count); read[row.Rid] = row; });
        var (rids, next, previous) = SearchPaging.Cut(page, query, snapshot);
        var matches = rids.Select(rid => read[rid]).ToList();

        var included = query.Includes.Count == 0 ? [] : await SearchPaging.IncludeAsync(query, matches,
            (spec, frontier) => spec.Reverse ? ReverseAsync(connection, transaction, spec, frontier, cancellationToken) : ForwardAsync(connection, transaction, spec, frontier, cancellationToken));
        return new SearchPage(matches.Select(m => m.Stored).ToList(), included.Select(m => m.Stored).ToList(), total, next, previous);
    }

    /// <summary>
    /// Where SQLite starts: the rows of the best-ranked condition (when it is a parameter or a chain), or the
    /// date window of one date parameter when it is narrow and nothing better than a token is given. What the rows
    /// decide (the driving condition, or all of that date parameter's conditions) is returned so that it is not probed a
    /// second time; an id or _has condition drives with no rows, as a condition on the resource's id.
    /// </summary>
    private static Start Driver(SqliteSearchSql sql, SearchQuery query, Func<string, string>? pageBounds)
    {
        var best = query.Conditions
            .Select(c => (Condition: c, Rank: SqliteSearchSql.DriverRank(c)))
            .Where(c => c.Rank is not null)
            .OrderBy(c => c.Rank)
            .FirstOrDefault();
        var dates = query.Conditions.OfType<ParameterCondition>()
            .Where(c => c.Parameter.Type == SearchParamType.Date)
            .GroupBy(c => c.Parameter.Id) // dates are never derived: one parameter, one param_id
            .Select(g => (Parameter: g.First().Parameter, Conditions: (IReadOnlyList<ParameterCondition>)g.ToList(), Window: SqliteSearchSql.DateWindow(g)))
            .Where(d => d.Window.Lo != long.MinValue || d.Window.Hi != long.MaxValue)
            .OrderBy(d => d.Window.Hi == long.MaxValue || d.Window.Lo == long.MinValue ? long.MaxValue : d.Window.Hi - d.Window.Lo)
            .ToList();

        var narrow = dates.FirstOrDefault(d => d.Window.Lo != long.MinValue && d.Window.Hi != long.MaxValue && d.Window.Hi - d.Window.Lo <= SqliteSearchSql.NarrowDateWindow);
        Start FromDates(SearchParameterDefinition parameter, IReadOnlyList<ParameterCondition> conditions) =>
            new(sql.DateDriver(parameter, conditions, pageBounds is not null, pageBounds, CodeBits(query, parameter)), null, [.. conditions]) { Ordered = pageBounds is not null };
        if (narrow.Parameter is not null && (best.Condition is null || best.Rank > 2))
            return FromDates(narrow.Parameter, narrow.Conditions);
        if (best.Condition is not null)
            return new(sql.DriverRows(best.Condition), best.Condition);
        if (dates.Count > 0)
            return FromDates(dates[0].Parameter, dates[0].Conditions);
        return new(null, null);
    }

    /// <summary>
    /// The condition on the type's own stored <c>code</c> (the one CodePairing files), when every one of its values is a
    /// plain token that <paramref name="qualifies"/>; else null.
    /// </summary>
    private static ParameterCondition? CodeCondition(SearchQuery query, Func<TokenValue, bool> qualifies) =>
        query.Conditions.OfType<ParameterCondition>().FirstOrDefault(c =>
            c.Parameter is { Code: "code", Type: SearchParamType.Token, IsDerived: false } &&
            c.AnyOf.Count > 0 && c.AnyOf.All(v => v is TokenValue t && qualifies(t)));

    /// <summary>
    /// The bits (CodePairing.CodeBit) of which a row of the type's own date must hold one to belong to a match: those of the
    /// codes of a code=... condition whose values all name a code. Null when there is no such condition: a code given by
    /// its system alone, :text or :not name none.
    /// </summary>
    private static long? CodeBits(SearchQuery query, SearchParameterDefinition date)
    {
        if (!CodePairing.IsSortDate(date)) return null;
        var code = CodeCondition(query, t => t.Code is not null);
        return code?.AnyOf.Aggregate(0L, (bits, v) => bits | CodePairing.CodeBit(((TokenValue)v).Code!));
    }

    /// <summary>
    /// Where the search starts: <see cref="Rows"/> (null: from the resource table) and the condition that drives, if a
    /// single one (without rows it is written as a condition on the resource row). <see cref="Consumed"/>: the conditions
    /// the rows decide, which are not probed again.
    /// </summary>
    private sealed record Start(string? Rows, SearchCondition? Condition, SearchCondition[] Consumed)
    {
        public Start(string? rows, SearchCondition? condition) : this(rows, condition, rows is not null && condition is not null ? [condition] : []) { }

        /// <summary>When the rows are idx_patient_token's: their filter there (unqualified columns).</summary>
        public string? PatientTokens { get; init; }

        /// <summary>The rows come once each in rid order, within the page's bounds (a date driver for an unsorted page).</summary>
        public bool Ordered { get; init; }
    }

    // Set once idx_patient_token (schemas 0008, 0009) holds every stored resource's rows; it never goes back.
    private volatile bool _pairingReady;

    /// <summary>
    /// patient=X with code=..: the rows of idx_patient_token that decide both at once, once that table is ready; otherwise
    /// null. Only conditions whose matches are exactly what the indexer files there (CodePairing): code values that are
    /// plain tokens, and a single patient given as an id or Patient/id (no URL, no identifier).
    /// </summary>
    private async Task<Start?> PairedDriverAsync(SqliteConnection connection, IDbTransaction transaction, SqliteSearchSql sql, SearchQuery query, CancellationToken cancellationToken)
    {
        var code = CodeCondition(query, t => t.Code is not null || t.System is not null);
        var patient = query.Conditions.OfType<ParameterCondition>().FirstOrDefault(c =>
            c.Parameter is { Code: "patient", Type: SearchParamType.Reference } &&
            c.AnyOf is [ReferenceValue { Url: null, Id: not null } v] && (v.Type == "Patient" || (v.Type is null && c.Parameter.Stored.TargetType == "Patient")));
        if (code is null || patient is null) return null;
        if (!_pairingReady)
        {
            _pairingReady = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT ready FROM search_structure WHERE name = 'idx_patient_token'", transaction: transaction, cancellationToken: cancellationToken)) == 1;
            if (!_pairingReady) return null;
        }
        var filter = sql.PatientTokenFilter(((ReferenceValue)patient.AnyOf[0]).Id!, query.Type, code);
        return new Start($"SELECT rid FROM idx_patient_token WHERE {filter}", null, [patient, code]) { PatientTokens = filter };
    }

    private static string Keyset(SqliteSearchSql sql, PageCursor cursor, IReadOnlyList<bool> descending) =>
        SearchKeyset.After(cursor, descending, value => sql.Bind(value));

    private static async Task<List<Row>> ReadVersionsAsync(SqliteConnection connection, CommandDefinition command)
    {
        var rows = new List<Row>();
        await using var reader = await connection.ExecuteReaderAsync(command);
        while (await reader.ReadAsync(command.CancellationToken)) rows.Add(ReadVersion(reader, 0));
        return rows;
    }

    /// <summary>_include: what the source resources of the frontier refer to through the parameter.</summary>
    private static async Task<List<Row>> ForwardAsync(SqliteConnection connection, IDbTransaction transaction, IncludeSpec spec, List<Row> frontier, CancellationToken ct)
    {
        var rids = frontier.Where(r => r.Stored.Type == spec.SourceType).Select(r => r.Rid).ToList();
        if (rids.Count == 0) return [];
        var sql = new SqliteSearchSql(null);
        var rows = sql.RowsOf("x", spec.Parameter);
        sql.Parameters.AddDynamicParams(new { rids, target = spec.TargetType });
        return await ReadVersionsAsync(connection, new CommandDefinition(
            $"""
            SELECT {StoredColumns} FROM resource r JOIN resource_version v ON v.seq = r.seq
            WHERE r.deleted = 0 AND r.rid IN (
                SELECT t.rid FROM idx_reference x JOIN resource t ON t.type = x.target_type AND t.id = x.target_id
                WHERE {rows} AND x.rid IN @rids AND (@target IS NULL OR x.target_type = @target))
            """,
            sql.Parameters, transaction, cancellationToken: ct));
    }

    /// <summary>_revinclude: resources of the source type that refer to a resource of the frontier through the parameter.</summary>
    private static async Task<List<Row>> ReverseAsync(SqliteConnection connection, IDbTransaction transaction, IncludeSpec spec, List<Row> frontier, CancellationToken ct)
    {
        var result = new List<Row>();
        foreach (var group in frontier.GroupBy(r => r.Stored.Type))
        {
            if (spec.TargetType is not null && spec.TargetType != group.Key) continue;
            var ids = group.Select(r => r.Stored.Id).ToList();
            var sql = new SqliteSearchSql(null);
            var rows = sql.RowsOf("x", spec.Parameter);
            sql.Parameters.AddDynamicParams(new { source = spec.SourceType, ids, type = group.Key, limit = SearchPaging.MaxIncluded });
            result.AddRange(await ReadVersionsAsync(connection, new CommandDefinition(
                $"""
                SELECT {StoredColumns} FROM resource r JOIN resource_version v ON v.seq = r.seq
                WHERE r.deleted = 0 AND r.type = @source AND r.rid IN (
                    SELECT x.rid FROM idx_reference x WHERE {rows} AND x.target_id IN @ids AND x.target_type = @type)
                ORDER BY r.rid
                LIMIT @limit
                """,
                sql.Parameters, transaction, cancellationToken: ct)));
        }
        return result;
    }
}
