using FhirMbb.Core.Storage;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Sqlite;

/// <summary>
/// The conditional-create keys, kept inside the writer's transaction: a claim is one statement after the
/// resource row is written, a deletion one statement releasing the resource's keys. Used only on the writer thread.
/// </summary>
internal sealed class SqliteConditionalKeys(SqliteConnection connection)
{
    // Inserts the key, or takes it over from the stale owner the caller named; no row comes back when another
    // resource holds it (a NULL stale owner never equals a rid, so then the key is only ever inserted).
    private const string ClaimSql = """
        INSERT INTO conditional_key (type, query_key, rid) VALUES ($type, $key, $rid)
        ON CONFLICT (type, query_key) DO UPDATE SET rid = excluded.rid
        WHERE conditional_key.rid = (SELECT s.rid FROM resource s WHERE s.type = $type AND s.id = $stale)
        RETURNING rid
        """;

    private const string ReleaseSql = "DELETE FROM conditional_key WHERE rid = $rid";

    public const string OwnerSql = """
        SELECT r.id FROM conditional_key k JOIN resource r ON r.rid = k.rid
        WHERE k.type = @type AND k.query_key = @key
        """;

    private SqliteCommand? _claim;
    private SqliteCommand? _release;

    /// <summary>Applies the write's claim, or releases a deleted resource's keys; false when another resource holds the key.</summary>
    public bool Apply(long rid, ResourceWrite write, SqliteTransaction transaction)
    {
        if (write.IsDelete)
        {
            _release ??= Command(ReleaseSql, "$rid");
            _release.Transaction = transaction;
            _release.Parameters["$rid"].Value = rid;
            _release.ExecuteNonQuery();
            return true;
        }
        if (write.Claim is not { } claim) return true;
        _claim ??= Command(ClaimSql, "$type", "$key", "$rid", "$stale");
        _claim.Transaction = transaction;
        _claim.Parameters["$type"].Value = write.Type;
        _claim.Parameters["$key"].Value = claim.Key;
        _claim.Parameters["$rid"].Value = rid;
        _claim.Parameters["$stale"].Value = (object?)claim.StaleOwnerId ?? DBNull.Value;
        return _claim.ExecuteScalar() is long;
    }

    private SqliteCommand Command(string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        return command;
    }
}
