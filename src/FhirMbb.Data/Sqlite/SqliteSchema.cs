using System.Reflection;
using Dapper;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Sqlite;

/// <summary>
/// Applies the numbered scripts under Schema/Sqlite that the database has not seen yet, each in its own
/// immediate transaction, so two processes starting on one file apply each script exactly once.
/// </summary>
public static class SqliteSchema
{
    public sealed record Script(int Number, string Name, string Sql);

    public static IReadOnlyList<Script> Scripts { get; } = LoadScripts();

    public static int LatestVersion => Scripts[^1].Number;

    public static void Migrate(SqliteConnection connection)
    {
        // Plain commands for the check every start-up makes: Dapper's first use (IL generation) cost start-up time.
        using (var create = connection.CreateCommand())
        {
            create.CommandText = """
                CREATE TABLE IF NOT EXISTS schema_migration (
                    version    INTEGER PRIMARY KEY,
                    name       TEXT NOT NULL,
                    applied_at TEXT NOT NULL
                )
                """;
            create.ExecuteNonQuery();
        }
        // Already current (every start but the first): nothing to apply, so no transaction per script. Counted, not
        // the highest number, so a database that missed a script in between (built from a branch) still gets it.
        if (AppliedScriptsWithoutDapper(connection) >= Scripts.Count) return;
        foreach (var script in Scripts)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            var applied = connection.ExecuteScalar<long>(
                "SELECT COUNT(*) FROM schema_migration WHERE version = @Number", new { script.Number }, transaction);
            if (applied == 0)
            {
                connection.Execute(script.Sql, transaction: transaction);
                connection.Execute(
                    "INSERT INTO schema_migration (version, name, applied_at) VALUES (@Number, @Name, @At)",
                    new { script.Number, script.Name, At = DateTimeOffset.UtcNow.ToString("O") }, transaction);
            }
            transaction.Commit();
        }
    }

    public static int AppliedVersion(SqliteConnection connection) =>
        connection.ExecuteScalar<int?>("SELECT MAX(version) FROM schema_migration") ?? 0;

    private static int AppliedScriptsWithoutDapper(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM schema_migration";
        return command.ExecuteScalar() is long count ? (int)count : 0;
    }

    private static IReadOnlyList<Script> LoadScripts() =>
        EmbeddedSchemaScripts.Load("Sqlite").Select(s => new Script(s.Number, s.Name, s.Sql)).ToList();
}
