using Dapper;

namespace FhirMbb.Data.SqlServer;

/// <summary>
/// The fixed T-SQL texts of search (the generated WHERE clauses come from <see cref="SqlServerSearchSql"/>).
/// Listed in <see cref="All"/> so the parse tests see them; sets of rids travel as the dbo.rid_list table type.
/// </summary>
public static class SqlServerSearchStatements
{
    public sealed record RidParameters(SqlMapper.ICustomQueryParameter Rids);

    /// <summary>Param and StoredTarget: the parameter's stored rows (a derived reference reads one other parameter's rows of one target type).</summary>
    public sealed record IncludeParameters(int Param, string? StoredTarget, SqlMapper.ICustomQueryParameter Rids, string? Target, int Limit);

    public sealed record ReverseIncludeParameters(string Source, int Param, string? StoredTarget, SqlMapper.ICustomQueryParameter Rids, string? Target, int Limit);

    public const string StoredColumns = "r.rid, v.seq, v.type, v.id, v.version, v.last_updated, v.json";

    /// <summary>The largest rid now: pages of one search only ever show resources at or below it.</summary>
    public const string Snapshot = "SELECT COALESCE(MAX(rid), 0) FROM dbo.resource";

    public const string LoadByRid = $"""
        SELECT {StoredColumns}
        FROM dbo.resource AS r
        JOIN dbo.resource_version AS v ON v.seq = r.seq
        WHERE r.rid IN (SELECT l.rid FROM @Rids AS l) AND r.deleted = 0
        """;

    /// <summary>_include: what the resources of the frontier refer to through the parameter (and, if given, of the target type).</summary>
    public const string Include = $"""
        SELECT TOP (@Limit) {StoredColumns}
        FROM dbo.resource AS r
        JOIN dbo.resource_version AS v ON v.seq = r.seq
        WHERE r.deleted = 0 AND r.rid IN (
            SELECT t.rid
            FROM dbo.idx_reference AS x
            JOIN dbo.resource AS t ON t.type = x.target_type AND t.id = x.target_id
            WHERE x.param_id = @Param AND (@StoredTarget IS NULL OR x.target_type = @StoredTarget)
              AND x.rid IN (SELECT l.rid FROM @Rids AS l)
              AND (@Target IS NULL OR x.target_type = @Target))
        ORDER BY r.rid
        """;

    /// <summary>_revinclude: resources of the source type that refer to a resource of the frontier through the parameter.</summary>
    public const string ReverseInclude = $"""
        SELECT TOP (@Limit) {StoredColumns}
        FROM dbo.resource AS r
        JOIN dbo.resource_version AS v ON v.seq = r.seq
        WHERE r.deleted = 0 AND r.type = @Source AND r.rid IN (
            SELECT x.rid
            FROM dbo.idx_reference AS x
            JOIN dbo.resource AS t ON t.type = x.target_type AND t.id = x.target_id
            WHERE x.param_id = @Param AND (@StoredTarget IS NULL OR x.target_type = @StoredTarget)
              AND t.rid IN (SELECT l.rid FROM @Rids AS l)
              AND (@Target IS NULL OR t.type = @Target))
        ORDER BY r.rid
        """;

    public static IReadOnlyList<SqlServerStatements.Statement> All { get; } =
    [
        new(nameof(Snapshot), Snapshot, null),
        new(nameof(LoadByRid), LoadByRid, typeof(RidParameters)),
        new(nameof(Include), Include, typeof(IncludeParameters)),
        new(nameof(ReverseInclude), ReverseInclude, typeof(ReverseIncludeParameters)),
    ];
}
