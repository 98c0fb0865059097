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
        connection.Execute("""
            CREATE TABLE IF NOT EXISTS schema_migration (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )
            """);
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

    private static IReadOnlyList<Script> LoadScripts() =>
        EmbeddedSchemaScripts.Load("Sqlite").Select(s => new Script(s.Number, s.Name, s.Sql)).ToList();
}
