using FhirMbb.Core.Search;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Tests.Contract;

/// <summary>The search contract's databases on SQLite: temporary files, always available.</summary>
public sealed class SqliteSearchDatabase : SearchDatabase
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fhirmbb-search-contract", Guid.NewGuid().ToString("N"));

    public override string? SkipReason => null;

    protected override Task<(IResourceStore Store, ISearchStore Search)> CreateAsync()
    {
        Directory.CreateDirectory(_directory);
        var store = new SqliteResourceStore($"Data Source={Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".db")}");
        return Task.FromResult<(IResourceStore, ISearchStore)>((store, new SqliteSearchStore(store.ConnectionString)));
    }

    protected override Task DropAllAsync()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { /* best effort: the temp folder is cleaned anyway */ }
        return Task.CompletedTask;
    }
}

public sealed class SqliteSearchStoreContractTests(SqliteSearchDatabase database) : SearchStoreContract<SqliteSearchDatabase>(database);
