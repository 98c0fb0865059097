using Dapper;
using FhirMbb.Core.Storage;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Sqlite;

/// <summary>
/// The resource store on an embedded SQLite file in WAL mode. Readers use pooled connections and never
/// block the writer; writes go through one connection, one at a time, each committed with
/// synchronous=FULL so an acknowledged write survives a power cut.
/// </summary>
public sealed class SqliteResourceStore : IResourceStore, IDisposable
{
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SqliteIndexWriter _indexWriter;

    public SqliteResourceStore(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        if (builder.Mode != SqliteOpenMode.Memory && !string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:")
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        }
        _connectionString = builder.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        _writer.Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;");
        SqliteSchema.Migrate(_writer);
        _indexWriter = new SqliteIndexWriter(_writer);
    }

    /// <summary>The connection string readers use; the search store opens its connections with it.</summary>
    public string ConnectionString => _connectionString;

    public string DatabasePath => _writer.DataSource;

    private sealed record VersionRow(long seq, string type, string id, long version, long last_updated, long deleted, byte[]? json)
    {
        public StoredResource ToStored() => new(
            type, id, (int)version, DateTimeOffset.FromUnixTimeMilliseconds(last_updated), deleted != 0,
            json ?? ReadOnlyMemory<byte>.Empty, seq);
    }

    private const string Columns = "v.seq, v.type, v.id, v.version, v.last_updated, v.deleted, v.json";

    public async Task<StoredResource?> ReadAsync(string type, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
            $"SELECT {Columns} FROM resource r JOIN resource_version v ON v.seq = r.seq WHERE r.type = @type AND r.id = @id",
            new { type, id }, cancellationToken: cancellationToken));
        return row?.ToStored();
    }

    public async Task<StoredResource?> ReadVersionAsync(string type, string id, int version, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
            $"SELECT {Columns} FROM resource_version v WHERE v.type = @type AND v.id = @id AND v.version = @version",
            new { type, id, version }, cancellationToken: cancellationToken));
        return row?.ToStored();
    }

    public async Task<bool> TryWriteAsync(ResourceWrite write, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            using var transaction = _writer.BeginTransaction(deferred: false);
            var seq = _writer.ExecuteScalar<long>("""
                INSERT INTO resource_version (type, id, version, last_updated, deleted, json)
                VALUES (@Type, @Id, @Version, @LastUpdated, @Deleted, @Json)
                ON CONFLICT (type, id, version) DO NOTHING
                RETURNING seq
                """,
                new
                {
                    write.Type, write.Id, write.Version,
                    LastUpdated = write.LastUpdated.ToUnixTimeMilliseconds(),
                    Deleted = write.IsDelete ? 1 : 0,
                    write.Json,
                }, transaction);
            if (seq == 0) return false;

            int changed = write.ExpectedVersion is { } expected
                ? _writer.Execute("""
                    UPDATE resource SET version = @Version, seq = @seq, deleted = @Deleted,
                        patient_id = COALESCE(@PatientId, CASE WHEN @Deleted = 1 THEN patient_id END)
                    WHERE type = @Type AND id = @Id AND version = @expected
                    """,
                    new { write.Type, write.Id, write.Version, seq, Deleted = write.IsDelete ? 1 : 0, write.PatientId, expected }, transaction)
                : _writer.Execute("""
                    INSERT INTO resource (type, id, version, seq, deleted, patient_id)
                    VALUES (@Type, @Id, @Version, @seq, 0, @PatientId)
                    ON CONFLICT (type, id) DO NOTHING
                    """,
                    new { write.Type, write.Id, write.Version, seq, write.PatientId }, transaction);
            if (changed == 0) return false; // disposing the transaction rolls the version row back

            // Only the current version is indexed: a delete just removes the rows.
            var rid = _writer.ExecuteScalar<long>("SELECT rid FROM resource WHERE type = @Type AND id = @Id", new { write.Type, write.Id }, transaction);
            _indexWriter.Replace(rid, write.IsDelete ? null : write.Index, transaction, isNew: write.ExpectedVersion is null);

            transaction.Commit();
            return true;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken cancellationToken = default)
    {
        // Only fixed fragments are concatenated; every value is a parameter.
        var where = new List<string>();
        if (query.Type is not null) where.Add("v.type = @Type");
        if (query.Id is not null) where.Add("v.id = @Id");
        if (query.Since is not null) where.Add("v.last_updated >= @Since");
        if (query.BeforeSequence is not null) where.Add("v.seq < @BeforeSequence");
        var sql = $"SELECT {Columns} FROM resource_version v"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + " ORDER BY v.seq DESC LIMIT @Limit";

        await using var connection = await OpenReaderAsync(cancellationToken);
        var rows = (await connection.QueryAsync<VersionRow>(new CommandDefinition(sql, new
        {
            query.Type, query.Id,
            Since = query.Since?.ToUnixTimeMilliseconds(),
            query.BeforeSequence,
            Limit = query.Count + 1,
        }, cancellationToken: cancellationToken))).Select(r => r.ToStored()).ToList();

        long? next = null;
        if (rows.Count > query.Count)
        {
            rows.RemoveAt(rows.Count - 1);
            next = rows[^1].Sequence;
        }
        return new HistoryPage(rows, next);
    }

    public async Task<IReadOnlyList<StoredResource>> ListForPatientAsync(string type, string patientId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        var rows = await connection.QueryAsync<VersionRow>(new CommandDefinition(
            $"SELECT {Columns} FROM resource r JOIN resource_version v ON v.seq = r.seq WHERE r.patient_id = @patientId AND r.type = @type AND r.deleted = 0",
            new { type, patientId }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToStored()).ToList();
    }

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await OpenReaderAsync(cancellationToken);
            return SqliteSchema.AppliedVersion(connection) >= SqliteSchema.LatestVersion;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public void Dispose()
    {
        _writer.Dispose();
        _writeLock.Dispose();
    }
}
