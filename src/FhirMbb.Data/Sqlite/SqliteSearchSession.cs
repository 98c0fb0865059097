using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Sqlite;

/// <summary>
/// One open search connection and the statements it has compiled, keyed by their SQL. A search's SQL is the same text
/// for every search of its shape (each value from the request is a parameter), so the next search of that shape binds
/// new values to a statement SQLite compiled before (compiling a code+date search's statement took ~0.1 ms, in process at
/// 1M Observations). Used by one search at a time.
/// </summary>
internal sealed class SqliteSearchSession : ISqliteSession
{
    // Shapes kept per connection; beyond this the cache starts over (a client writing ever new shapes cannot grow it).
    private const int MaxStatements = 64;

    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    public SqliteSearchSession(string connectionString, string pragmas)
    {
        Connection = new SqliteConnection(connectionString);
        Connection.Open();
        using var command = Connection.CreateCommand();
        command.CommandText = pragmas;
        command.ExecuteNonQuery();
    }

    public SqliteConnection Connection { get; }

    /// <summary>Set when a search failed on this connection: it is closed rather than used again.</summary>
    public bool Broken { get; set; }

    /// <summary>The compiled statement for <paramref name="sql"/> with these values bound, in <paramref name="transaction"/>.</summary>
    public SqliteCommand Command(string sql, IReadOnlyList<KeyValuePair<string, object?>> values, SqliteTransaction transaction)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            if (_commands.Count >= MaxStatements)
            {
                foreach (var old in _commands.Values) old.Dispose();
                _commands.Clear();
            }
            command = Connection.CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }
        command.Transaction = transaction;
        command.Parameters.Clear();
        foreach (var (name, value) in values) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values) command.Dispose();
        Connection.Dispose();
    }
}
