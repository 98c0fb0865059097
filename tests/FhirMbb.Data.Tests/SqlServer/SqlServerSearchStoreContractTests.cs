using Dapper;
using FhirMbb.Core.Search;
using FhirMbb.Core.Storage;
using FhirMbb.Data.SqlServer;
using FhirMbb.Data.Tests.Contract;
using Microsoft.Data.SqlClient;

namespace FhirMbb.Data.Tests.SqlServer;

/// <summary>
/// The search contract's databases on a live SQL Server or Azure SQL, when FHIRMBB_SQLSERVER holds a
/// connection string allowed to create databases; each is named fhirmbb_test_&lt;guid&gt; and dropped afterwards.
/// </summary>
public sealed class SqlServerSearchDatabase : SearchDatabase
{
    private static readonly string? Server = Environment.GetEnvironmentVariable(SqlServerResourceStoreTests.Variable);

    private readonly List<string> _databases = [];

    public override string? SkipReason => string.IsNullOrWhiteSpace(Server)
        ? $"{SqlServerResourceStoreTests.Variable} is not set: no SQL Server to run the search contract against"
        : null;

    private static string Master => new SqlConnectionStringBuilder(Server) { InitialCatalog = "master" }.ConnectionString;

    protected override async Task<(IResourceStore Store, ISearchStore Search)> CreateAsync()
    {
        // Only ever a fixed prefix and a Guid: safe to put in DDL, where a database name cannot be a parameter.
        var name = "fhirmbb_test_" + Guid.NewGuid().ToString("N");
        await using (var connection = new SqlConnection(Master))
            await connection.ExecuteAsync(SqlServerResourceStoreTests.CreateDatabaseSql(name), commandTimeout: 300);
        lock (_databases) _databases.Add(name);
        var connectionString = new SqlConnectionStringBuilder(Server) { InitialCatalog = name }.ConnectionString;
        var store = await SqlServerResourceStore.OpenAsync(connectionString);
        return (store, new SqlServerSearchStore(store.ConnectionString, store.RetryPolicy));
    }

    protected override async Task DropAllAsync()
    {
        SqlConnection.ClearAllPools();
        await using var connection = new SqlConnection(Master);
        foreach (var name in _databases) await connection.ExecuteAsync(SqlServerResourceStoreTests.DropDatabaseSql(name), commandTimeout: 300);
    }
}

public sealed class SqlServerSearchStoreContractTests(SqlServerSearchDatabase database) : SearchStoreContract<SqlServerSearchDatabase>(database);
