using Dapper;
using FhirMbb.Core.Storage;
using FhirMbb.Data.SqlServer;
using FhirMbb.Data.Tests.Contract;
using Microsoft.Data.SqlClient;

namespace FhirMbb.Data.Tests.SqlServer;

/// <summary>
/// The store contract on a live SQL Server or Azure SQL, when FHIRMBB_SQLSERVER holds a connection string
/// with the right to create databases. Each test gets a database of its own, dropped afterwards.
/// </summary>
public sealed class SqlServerResourceStoreTests : ResourceStoreContract
{
    public const string Variable = "FHIRMBB_SQLSERVER";

    private static readonly string? Server = Environment.GetEnvironmentVariable(Variable);

    // Only ever a fixed prefix and a Guid: safe to put in DDL, where a database name cannot be a parameter.
    private readonly string _database = "fhirmbb_test_" + Guid.NewGuid().ToString("N");

    protected override string? SkipReason => string.IsNullOrWhiteSpace(Server)
        ? $"{Variable} is not set: no SQL Server to run the store contract against"
        : null;

    protected override int ScriptCount => SqlServerSchema.Scripts.Count;

    private string ConnectionString => new SqlConnectionStringBuilder(Server) { InitialCatalog = _database }.ConnectionString;

    private string MasterConnectionString => new SqlConnectionStringBuilder(Server) { InitialCatalog = "master" }.ConnectionString;

    public static string CreateDatabaseSql(string name) => $"CREATE DATABASE [{name}]";

    public static string DropDatabaseSql(string name) => $"DROP DATABASE IF EXISTS [{name}]";

    protected override async Task CreateDatabaseAsync()
    {
        await using var connection = new SqlConnection(MasterConnectionString);
        await connection.ExecuteAsync(CreateDatabaseSql(_database), commandTimeout: 300);
    }

    protected override async Task DropDatabaseAsync()
    {
        SqlConnection.ClearAllPools();
        await using var connection = new SqlConnection(MasterConnectionString);
        await connection.ExecuteAsync(DropDatabaseSql(_database), commandTimeout: 300);
    }

    protected override async Task<IResourceStore> OpenStoreAsync() => await SqlServerResourceStore.OpenAsync(ConnectionString);

    protected override async Task<int> CountMigrationRowsAsync()
    {
        await using var connection = new SqlConnection(ConnectionString);
        return await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM dbo.schema_migration");
    }

    protected override void AfterClose() => SqlConnection.ClearAllPools();
}
