using Dapper;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Tests.Contract;

/// <summary>The store contract on SQLite: always runs, each test on its own temporary file.</summary>
public sealed class SqliteResourceStoreTests : ResourceStoreContract
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fhirmbb-store-tests", Guid.NewGuid().ToString("N"));
    private string ConnectionString => $"Data Source={Path.Combine(_directory, "store.db")}";

    protected override string? SkipReason => null;

    protected override int ScriptCount => SqliteSchema.Scripts.Count;

    protected override Task CreateDatabaseAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    protected override Task DropDatabaseAsync()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { /* best effort: the temp folder is cleaned anyway */ }
        return Task.CompletedTask;
    }

    protected override Task<IResourceStore> OpenStoreAsync() => Task.FromResult<IResourceStore>(new SqliteResourceStore(ConnectionString));

    protected override async Task<int> CountMigrationRowsAsync()
    {
        await using var connection = new SqliteConnection(ConnectionString);
        return await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM schema_migration");
    }

    protected override void AfterClose() => SqliteConnection.ClearAllPools();

    [Fact]
    public async Task The_database_file_runs_in_wal_mode()
    {
        await StoreAsync();
        await using var connection = new SqliteConnection(ConnectionString);
        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
    }
}
