using System.Data;
using Dapper;
using FhirMbb.Core.Storage;
using Microsoft.Data.SqlClient;

namespace FhirMbb.Data.SqlServer;

/// <summary>
/// The resource store on SQL Server or Azure SQL. Stateless apart from the connection string, so several
/// instances can share one database: every rule that keeps data safe (unique versions, unique ids, the
/// optimistic version check) is enforced by the database inside the write transaction.
/// </summary>
public sealed class SqlServerResourceStore : IResourceStore
{
    private const int UniqueKeyViolation = 2627;
    private const int UniqueIndexViolation = 2601;

    private readonly string _connectionString;
    private readonly SqlServerRetryPolicy _retry;

    /// <summary>The search store opens its own connections to the same database, with the same retry policy.</summary>
    public string ConnectionString => _connectionString;

    public SqlServerRetryPolicy RetryPolicy => _retry;

    private SqlServerResourceStore(string connectionString, SqlServerRetryPolicy retry)
    {
        _connectionString = connectionString;
        _retry = retry;
    }

    /// <summary>Opens the store and brings the schema up to date first (several instances may do this at once).</summary>
    public static async Task<SqlServerResourceStore> OpenAsync(
        string connectionString, SqlServerRetryPolicy? retry = null, CancellationToken cancellationToken = default)
    {
        retry ??= SqlServerRetryPolicy.Default;
        await retry.ExecuteAsync(async ct =>
        {
            await SqlServerSchema.MigrateAsync(connectionString, TimeSpan.FromMinutes(2), ct);
            return true;
        }, cancellationToken);
        return new SqlServerResourceStore(connectionString, retry);
    }

    private sealed record VersionRow(long seq, string type, string id, int version, long last_updated, bool deleted, byte[]? json, string? patient_id, byte[]? facts)
    {
        public StoredResource ToStored() => new(
            type, id, version, DateTimeOffset.FromUnixTimeMilliseconds(last_updated), deleted,
            json ?? ReadOnlyMemory<byte>.Empty, seq, patient_id, facts ?? ReadOnlyMemory<byte>.Empty);
    }

    public Task<StoredResource?> ReadAsync(string type, string id, CancellationToken cancellationToken = default) =>
        QuerySingleAsync(SqlServerStatements.Read, new SqlServerStatements.ResourceKey(type, id), cancellationToken);

    public Task<StoredResource?> ReadVersionAsync(string type, string id, int version, CancellationToken cancellationToken = default) =>
        QuerySingleAsync(SqlServerStatements.ReadVersion, new SqlServerStatements.VersionKey(type, id, version), cancellationToken);

    public async Task<bool> TryWriteAsync(ResourceWrite write, CancellationToken cancellationToken = default) =>
        await TryWriteAllAsync([write], cancellationToken) < 0;

    public Task<int> TryWriteAllAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken = default) =>
        // The whole transaction is the unit of retry: a deadlock victim or a failover rolls all of it back.
        _retry.ExecuteAsync(async ct =>
        {
            await using var connection = await OpenAsync(ct);
            await using var transaction = (SqlTransaction)await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
            for (var i = 0; i < writes.Count; i++)
            {
                // Disposing the transaction without commit rolls back every version written before the conflict.
                if (!await WriteOneAsync(connection, transaction, writes[i], ct)) return i;
                await ReplaceIndexAsync(connection, transaction, writes[i], ct);
            }
            await transaction.CommitAsync(ct);
            return -1;
        }, cancellationToken);

    private static async Task<bool> WriteOneAsync(SqlConnection connection, SqlTransaction transaction, ResourceWrite write, CancellationToken ct)
    {
        var parameters = new SqlServerStatements.WriteParameters(
            write.Type, write.Id, write.Version, write.ExpectedVersion, write.LastUpdated.ToUnixTimeMilliseconds(),
            write.IsDelete, write.Json, write.PatientId, write.Facts);
        try
        {
            var seq = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                write.ExpectedVersion is null ? SqlServerStatements.Create : SqlServerStatements.Update,
                parameters, transaction, cancellationToken: ct));
            return seq > 0 && await ApplyConditionalKeyAsync(connection, transaction, write, ct);
        }
        catch (SqlException e) when (e.Number is UniqueKeyViolation or UniqueIndexViolation)
        {
            // The database's unique keys are the last word: whoever lost the race gets a conflict, not a 500.
            return false;
        }
    }

    /// <summary>Only the current version is indexed, in the write's transaction: a delete just removes the rows.</summary>
    private static Task ReplaceIndexAsync(SqlConnection connection, SqlTransaction transaction, ResourceWrite write, CancellationToken ct) =>
        // A first version without index rows has nothing to replace.
        write.ExpectedVersion is null && (write.Index is null || write.Index.Count == 0) ? Task.CompletedTask : connection.ExecuteAsync(new CommandDefinition(
            SqlServerStatements.ReplaceIndex,
            SqlServerIndexRows.For(write.Type, write.Id, write.IsDelete ? null : write.Index),
            transaction, cancellationToken: ct));

    /// <summary>A deletion releases its resource's conditional keys; a conditional create claims its key. False: another resource holds it.</summary>
    private static async Task<bool> ApplyConditionalKeyAsync(SqlConnection connection, SqlTransaction transaction, ResourceWrite write, CancellationToken ct)
    {
        if (write.IsDelete)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                SqlServerStatements.ReleaseConditionalKeys, new SqlServerStatements.ResourceKey(write.Type, write.Id), transaction, cancellationToken: ct));
            return true;
        }
        if (write.Claim is not { } claim) return true;
        var claimed = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            SqlServerStatements.ClaimConditionalKey,
            new SqlServerStatements.ClaimParameters(write.Type, write.Id, KeyHash(claim.Key), claim.Key, claim.StaleOwnerId),
            transaction, cancellationToken: ct));
        return claimed == 1;
    }

    private static byte[] KeyHash(string key) => System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key));

    public Task<string?> ConditionalKeyOwnerAsync(string type, string key, CancellationToken cancellationToken = default) =>
        _retry.ExecuteAsync(async ct =>
        {
            await using var connection = await OpenAsync(ct);
            return await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
                SqlServerStatements.ConditionalKeyOwner, new SqlServerStatements.ConditionalKeyParameters(type, KeyHash(key)), cancellationToken: ct));
        }, cancellationToken);

    public async Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken cancellationToken = default)
    {
        var sql = SqlServerStatements.History(query.Type is not null, query.Id is not null, query.Since is not null, query.BeforeSequence is not null, query.PatientId is not null);
        var rows = await _retry.ExecuteAsync(async ct =>
        {
            await using var connection = await OpenAsync(ct);
            var parameters = new SqlServerStatements.HistoryParameters(
                query.Type, query.Id, query.Since?.ToUnixTimeMilliseconds(), query.BeforeSequence, Limit: query.Count + 1, query.PatientId);
            var found = await connection.QueryAsync<VersionRow>(new CommandDefinition(sql, parameters, cancellationToken: ct));
            return found.Select(r => r.ToStored()).ToList();
        }, cancellationToken);

        long? next = null;
        if (rows.Count > query.Count)
        {
            rows.RemoveAt(rows.Count - 1);
            next = rows[^1].Sequence;
        }
        return new HistoryPage(rows, next);
    }

    public async Task<IReadOnlyList<StoredResource>> ListForPatientAsync(string type, string patientId, CancellationToken cancellationToken = default) =>
        await _retry.ExecuteAsync(async ct =>
        {
            await using var connection = await OpenAsync(ct);
            var rows = await connection.QueryAsync<VersionRow>(new CommandDefinition(
                SqlServerStatements.ListForPatient, new SqlServerStatements.CompartmentParameters(type, patientId), cancellationToken: ct));
            return rows.Select(r => r.ToStored()).ToList();
        }, cancellationToken);

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            return await SqlServerSchema.AppliedVersionAsync(connection, cancellationToken) >= SqlServerSchema.LatestVersion;
        }
        catch (SqlException)
        {
            return false;
        }
    }

    private Task<StoredResource?> QuerySingleAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        _retry.ExecuteAsync(async ct =>
        {
            await using var connection = await OpenAsync(ct);
            var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(sql, parameters, cancellationToken: ct));
            return row?.ToStored();
        }, cancellationToken);

    private async Task<SqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
