using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Tests;

/// <summary>
/// A test's own temporary folder for SQLite database files. Disposing it lets go of SQLite's pooled connections to
/// them first, then deletes the folder (best effort: the system's temp folder is cleaned anyway).
/// </summary>
public sealed class SqliteTestFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fhirmbb-data-tests", Guid.NewGuid().ToString("N"));

    public SqliteTestFolder() => Directory.CreateDirectory(Path);

    /// <summary>The connection string of a database file in the folder.</summary>
    public string ConnectionString(string file = "fhir.db") => $"Data Source={System.IO.Path.Combine(Path, file)}";

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { /* the temp folder is cleaned anyway */ }
    }
}
