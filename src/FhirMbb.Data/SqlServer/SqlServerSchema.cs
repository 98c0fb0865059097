using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Data.SqlClient;

namespace FhirMbb.Data.SqlServer;

/// <summary>
/// Applies the numbered scripts under Schema/SqlServer that the database has not seen yet. The whole run
/// holds an exclusive application lock inside one transaction, so when several instances start at once
/// one migrates and the others wait, then find nothing left to do. DDL is transactional on SQL Server,
/// so a failing script leaves no half-built schema behind.
/// </summary>
public static partial class SqlServerSchema
{
    public sealed record Script(int Number, string Name, string Sql)
    {
        /// <summary>The script's batches: a line holding only GO separates them, as in sqlcmd and SSMS.</summary>
        public IReadOnlyList<string> Batches => BatchSeparator().Split(Sql).Where(b => !string.IsNullOrWhiteSpace(b)).ToList();
    }

    public const string MigrationLockName = "FhirMbb.schema_migration";

    public static IReadOnlyList<Script> Scripts { get; } = LoadScripts();

    public static int LatestVersion => Scripts[^1].Number;

    public static async Task MigrateAsync(string connectionString, TimeSpan lockTimeout, CancellationToken cancellationToken = default)
    {
        await using var connection = new SqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = (SqlTransaction)await connection.BeginTransactionAsync(cancellationToken);

        var granted = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            SqlServerStatements.AcquireMigrationLock,
            new SqlServerStatements.MigrationLockParameters(MigrationLockName, (int)lockTimeout.TotalMilliseconds),
            transaction, commandTimeout: (int)lockTimeout.TotalSeconds + 30, cancellationToken: cancellationToken));
        if (granted < 0)
            throw new InvalidOperationException($"Could not take the schema migration lock (sp_getapplock returned {granted}); another instance may be stuck migrating");

        await connection.ExecuteAsync(new CommandDefinition(SqlServerStatements.CreateMigrationTable, transaction: transaction, cancellationToken: cancellationToken));
        foreach (var script in Scripts)
        {
            var applied = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                SqlServerStatements.IsMigrationApplied, new SqlServerStatements.MigrationParameters(script.Number, script.Name), transaction, cancellationToken: cancellationToken));
            if (applied > 0) continue;
            foreach (var batch in script.Batches)
            {
                await connection.ExecuteAsync(new CommandDefinition(batch, transaction: transaction, commandTimeout: 600, cancellationToken: cancellationToken));
            }
            await connection.ExecuteAsync(new CommandDefinition(
                SqlServerStatements.RecordMigration, new SqlServerStatements.MigrationParameters(script.Number, script.Name), transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public static async Task<int> AppliedVersionAsync(SqlConnection connection, CancellationToken cancellationToken = default) =>
        await connection.ExecuteScalarAsync<int>(new CommandDefinition(SqlServerStatements.AppliedVersion, cancellationToken: cancellationToken));

    private static IReadOnlyList<Script> LoadScripts() =>
        EmbeddedSchemaScripts.Load("SqlServer").Select(s => new Script(s.Number, s.Name, s.Sql)).ToList();

    [GeneratedRegex(@"^\s*GO\s*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex BatchSeparator();
}
