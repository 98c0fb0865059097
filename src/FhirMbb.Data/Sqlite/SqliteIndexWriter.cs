using FhirMbb.Core.Search;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Sqlite;

/// <summary>
/// Replaces a resource's search index rows inside the writer's transaction. A resource brings tens of
/// rows, so the insert commands are prepared once on the writer connection and reused with new values.
/// </summary>
internal sealed class SqliteIndexWriter(SqliteConnection connection)
{
    private static readonly string[] Tables = ["idx_token", "idx_string", "idx_date", "idx_reference", "idx_quantity", "idx_number", "idx_uri"];

    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    /// <param name="isNew">A resource written for the first time has no rows to delete.</param>
    public void Replace(long rid, SearchIndexSet? index, SqliteTransaction transaction, bool isNew)
    {
        if (!isNew)
            foreach (var table in Tables)
                Run($"DELETE FROM {table} WHERE rid = $rid", transaction, ("$rid", rid));
        if (index is null) return;

        var n = 0;
        foreach (var t in index.Tokens)
            Run("INSERT INTO idx_token (rid, param_id, n, system, code, text) VALUES ($rid, $p, $n, $a, $b, $c)", transaction,
                ("$rid", rid), ("$p", t.ParamId), ("$n", n++), ("$a", t.System), ("$b", t.Code), ("$c", t.Text));
        n = 0;
        foreach (var s in index.Strings)
            Run("INSERT INTO idx_string (rid, param_id, n, normalized, exact) VALUES ($rid, $p, $n, $a, $b)", transaction,
                ("$rid", rid), ("$p", s.ParamId), ("$n", n++), ("$a", s.Normalized), ("$b", s.Exact));
        n = 0;
        foreach (var d in index.Dates)
            Run("INSERT INTO idx_date (rid, param_id, n, start_ms, end_ms) VALUES ($rid, $p, $n, $a, $b)", transaction,
                ("$rid", rid), ("$p", d.ParamId), ("$n", n++), ("$a", d.Start), ("$b", d.End));
        n = 0;
        foreach (var r in index.References)
            Run("INSERT INTO idx_reference (rid, param_id, n, target_type, target_id, url, identifier_system, identifier_value) VALUES ($rid, $p, $n, $a, $b, $c, $d, $e)", transaction,
                ("$rid", rid), ("$p", r.ParamId), ("$n", n++), ("$a", r.TargetType), ("$b", r.TargetId), ("$c", r.Url), ("$d", r.IdentifierSystem), ("$e", r.IdentifierValue));
        n = 0;
        foreach (var q in index.Quantities)
            Run("INSERT INTO idx_quantity (rid, param_id, n, value, system, code, unit) VALUES ($rid, $p, $n, $a, $b, $c, $d)", transaction,
                ("$rid", rid), ("$p", q.ParamId), ("$n", n++), ("$a", (double)q.Value), ("$b", q.System), ("$c", q.Code), ("$d", q.Unit));
        n = 0;
        foreach (var num in index.Numbers)
            Run("INSERT INTO idx_number (rid, param_id, n, value) VALUES ($rid, $p, $n, $a)", transaction,
                ("$rid", rid), ("$p", num.ParamId), ("$n", n++), ("$a", (double)num.Value));
        n = 0;
        foreach (var u in index.Uris)
            Run("INSERT INTO idx_uri (rid, param_id, n, value) VALUES ($rid, $p, $n, $a)", transaction,
                ("$rid", rid), ("$p", u.ParamId), ("$n", n++), ("$a", u.Value));
    }

    // Only the fixed statements above reach here; values are always bound as parameters.
    private void Run(string sql, SqliteTransaction transaction, params (string Name, object? Value)[] values)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, _) in values) command.Parameters.Add(new SqliteParameter { ParameterName = name });
            _commands[sql] = command;
        }
        command.Transaction = transaction;
        for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i].Value ?? DBNull.Value;
        command.ExecuteNonQuery();
    }
}
