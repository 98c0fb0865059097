using System.Collections.Concurrent;
using FhirMbb.Core.Storage;
using Microsoft.Data.Sqlite;

namespace FhirMbb.Data.Sqlite;

/// <summary>
/// Open read connections, each with the store's hot queries already prepared. Reads by id are the
/// server's most frequent request; preparing the statement and opening a pooled connection per read
/// showed up in the read profile, so a session keeps both. A reset statement holds no read lock, so an
/// idle session never blocks the writer or a WAL checkpoint.
/// </summary>
internal sealed class SqliteReaderPool(string connectionString) : IDisposable
{
    // Beyond this many idle sessions, returned ones are closed: enough for every core and some in flight.
    private static readonly int MaxIdle = Math.Max(8, Environment.ProcessorCount * 4);

    private readonly ConcurrentBag<SqliteReaderSession> _idle = [];
    private int _idleCount;
    private bool _disposed;

    public SqliteReaderSession Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var session))
        {
            Interlocked.Decrement(ref _idleCount);
            return session;
        }
        return new SqliteReaderSession(connectionString);
    }

    public void Return(SqliteReaderSession session)
    {
        if (_disposed || session.Broken || Interlocked.Increment(ref _idleCount) > MaxIdle)
        {
            if (!_disposed && !session.Broken) Interlocked.Decrement(ref _idleCount);
            session.Dispose();
            return;
        }
        _idle.Add(session);
        // Disposal may have drained the bag between the check and the add.
        if (_disposed && _idle.TryTake(out var late)) late.Dispose();
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var session)) session.Dispose();
    }
}

/// <summary>One open read connection and its prepared statements; used by one request at a time.</summary>
internal sealed class SqliteReaderSession : IDisposable
{
    private const string Columns = "v.seq, v.type, v.id, v.version, v.last_updated, v.deleted, v.json";

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _current;
    private readonly SqliteCommand _version;
    private readonly SqliteCommand _patient;

    public SqliteReaderSession(string connectionString)
    {
        _connection = new SqliteConnection(connectionString);
        _connection.Open();
        // The resource row is the compartment owner of every version, so a deletion still has one.
        _current = Prepare($"SELECT {Columns}, r.patient_id FROM resource r JOIN resource_version v ON v.seq = r.seq WHERE r.type = $type AND r.id = $id",
            "$type", "$id");
        _version = Prepare($"SELECT {Columns}, (SELECT o.patient_id FROM resource o WHERE o.type = v.type AND o.id = v.id) "
            + "FROM resource_version v WHERE v.type = $type AND v.id = $id AND v.version = $version", "$type", "$id", "$version");
        _patient = Prepare($"SELECT {Columns}, r.patient_id FROM resource r JOIN resource_version v ON v.seq = r.seq "
            + "WHERE r.patient_id = $patient AND r.type = $type AND r.deleted = 0", "$patient", "$type");
    }

    /// <summary>Set when a query failed; the session is closed instead of being reused.</summary>
    public bool Broken { get; private set; }

    public StoredResource? ReadCurrent(string type, string id)
    {
        _current.Parameters[0].Value = type;
        _current.Parameters[1].Value = id;
        return Single(_current);
    }

    public StoredResource? ReadVersion(string type, string id, int version)
    {
        _version.Parameters[0].Value = type;
        _version.Parameters[1].Value = id;
        _version.Parameters[2].Value = version;
        return Single(_version);
    }

    public IReadOnlyList<StoredResource> ListForPatient(string type, string patientId)
    {
        _patient.Parameters[0].Value = patientId;
        _patient.Parameters[1].Value = type;
        var rows = new List<StoredResource>();
        Run(_patient, reader =>
        {
            while (reader.Read()) rows.Add(ToStored(reader));
        });
        return rows;
    }

    private StoredResource? Single(SqliteCommand command)
    {
        StoredResource? row = null;
        Run(command, reader =>
        {
            if (reader.Read()) row = ToStored(reader);
        });
        return row;
    }

    private void Run(SqliteCommand command, Action<SqliteDataReader> read)
    {
        try
        {
            using var reader = command.ExecuteReader();
            read(reader);
        }
        catch
        {
            Broken = true;
            throw;
        }
    }

    private static StoredResource ToStored(SqliteDataReader r) => new(
        r.GetString(1), r.GetString(2), r.GetInt32(3), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)), r.GetInt64(5) != 0,
        r.IsDBNull(6) ? ReadOnlyMemory<byte>.Empty : r.GetFieldValue<byte[]>(6), r.GetInt64(0), r.IsDBNull(7) ? null : r.GetString(7));

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        command.Prepare();
        return command;
    }

    public void Dispose()
    {
        _current.Dispose();
        _version.Dispose();
        _patient.Dispose();
        _connection.Dispose();
    }
}
