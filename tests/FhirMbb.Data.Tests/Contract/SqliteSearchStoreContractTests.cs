using FhirMbb.Core.Search;
using FhirMbb.Core.Storage;
using FhirMbb.Data.Sqlite;

namespace FhirMbb.Data.Tests.Contract;

/// <summary>The search contract's databases on SQLite: temporary files, always available.</summary>
public sealed class SqliteSearchDatabase : SearchDatabase
{
    private readonly SqliteTestFolder _folder = new();

    public override string? SkipReason => null;

    protected override Task<(IResourceStore Store, ISearchStore Search)> CreateAsync()
    {
        var store = new SqliteResourceStore(_folder.ConnectionString(Guid.NewGuid().ToString("N") + ".db"));
        return Task.FromResult<(IResourceStore, ISearchStore)>((store, new SqliteSearchStore(store.ConnectionString)));
    }

    protected override Task DropAllAsync()
    {
        _folder.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class SqliteSearchStoreContractTests(SqliteSearchDatabase database) : SearchStoreContract<SqliteSearchDatabase>(database);
