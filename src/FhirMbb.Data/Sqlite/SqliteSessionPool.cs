using System.Collections.Concurrent;
using FhirMbb.Core.Storage;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FhirMbb.Data.Sqlite;

/// <summary>A session on one open connection, used by one request at a time; a broken one is closed, not used again.</summary>
internal interface ISqliteSession : IDisposable
{
    bool Broken { get; }
}

/// <summary>
/// Idle sessions on open connections (<see cref="SqliteReaderSession"/>, <see cref="SqliteSearchSession"/>), each with
/// its statements already prepared. Reads by id are the server's most frequent request; preparing the statement and
/// opening a pooled connection per read showed up in the read profile, so a session keeps both. A reset statement holds
/// no read lock, so an idle session never blocks the writer or a WAL checkpoint.
/// </summary>
internal sealed class SqliteSessionPool<T>(Func<T> open) : IDisposable where T : class, ISqliteSession
{
    // Beyond this many idle sessions, returned ones are closed: enough for every core and some in flight.
    private static readonly int MaxIdle = Math.Max(8, Environment.ProcessorCount * 4);

    private readonly ConcurrentBag<T> _idle = [];
    private int _idleCount;
    private bool _disposed;

    public T Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var session))
        {
            Interlocked.Decrement(ref _idleCount);
            return session;
        }
        return open();
    }

    public void Return(T session)
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
/// <remarks>
/// The reads by id (the hot path) and a patient's resources of one type ($evaluate-block) run on SQLite's own statement handles: binding by index and reading the
/// columns straight from the row skip Microsoft.Data.Sqlite's per-execution work (a reader object, parameter
/// lookup by name, an iterator over statements), which the read profile showed beside SQLite's own cost.
/// </remarks>
internal sealed class SqliteReaderSession : ISqliteSession
{
    private const int BusyTimeoutMs = 10_000;

    private readonly SqliteConnection _connection;
    // The statements, disposed with the session; the fields below are views on their pointers (SqliteStatement).
    private readonly List<sqlite3_stmt> _owned = [];
    private readonly SqliteStatement _current;
    private readonly SqliteStatement _version;
    private readonly SqliteStatement _patient;
    private readonly SqliteStatement _bySequence;

    public SqliteReaderSession(string connectionString)
    {
        _connection = new SqliteConnection(connectionString);
        _connection.Open();
        // Wait for a lock as the writer does, rather than failing at once (Microsoft.Data.Sqlite retried in its own loop).
        Check(raw.sqlite3_busy_timeout(_connection.Handle, BusyTimeoutMs));
        // The resource row is the compartment owner of every version, so a deletion still has one.
        // Columns: seq, version, last_updated, deleted, json, patient_id, facts (type and id are the caller's: matched exactly).
        _current = PrepareRaw("SELECT v.seq, v.version, v.last_updated, v.deleted, v.json, r.patient_id, r.facts "
            + "FROM resource r JOIN resource_version v ON v.seq = r.seq WHERE r.type = ?1 AND r.id = ?2");
        _version = PrepareRaw("SELECT v.seq, v.version, v.last_updated, v.deleted, v.json, "
            + "(SELECT o.patient_id FROM resource o WHERE o.type = v.type AND o.id = v.id) "
            + "FROM resource_version v WHERE v.type = ?1 AND v.id = ?2 AND v.version = ?3");
        // Columns: seq, id, version, last_updated, facts (type and patient are the caller's: matched exactly; deleted is 0).
        // The resource rows alone: the version row (the JSON) is read only for the rows that need it (_bySequence).
        _patient = PrepareRaw("SELECT r.seq, r.id, r.version, r.last_updated, r.facts FROM resource r "
            + "WHERE r.patient_id = ?1 AND r.type = ?2 AND r.deleted = 0");
        // Columns: last_updated, json.
        _bySequence = PrepareRaw("SELECT v.last_updated, v.json FROM resource_version v WHERE v.seq = ?1");
    }

    /// <summary>Set when a query failed; the session is closed instead of being reused.</summary>
    public bool Broken { get; private set; }

    public StoredResource? ReadCurrent(string type, string id)
    {
        BindText(_current, 1, type);
        BindText(_current, 2, id);
        return Single(_current, type, id, withFacts: true);
    }

    public StoredResource? ReadVersion(string type, string id, int version)
    {
        BindText(_version, 1, type);
        BindText(_version, 2, id);
        Check(_version.BindInt64(3, version));
        return Single(_version, type, id, withFacts: false);
    }

    /// <param name="needsJson">When given, the JSON is read only for the versions it accepts.</param>
    public IReadOnlyList<StoredResource> ListForPatient(string type, string patientId, NeedsJson? needsJson = null)
    {
        var rows = new List<StoredResource>();
        try
        {
            BindText(_patient, 1, patientId);
            BindText(_patient, 2, type);
            int rc;
            while ((rc = _patient.Step()) == raw.SQLITE_ROW)
            {
                var id = _patient.ColumnText(1);
                var version = _patient.ColumnInt(2);
                var sequence = _patient.ColumnInt64(0);
                var facts = _patient.ColumnBlob(4);
                var wantsJson = needsJson is null || needsJson(new StoredVersionKey(type, id, version, sequence), facts);
                var kept = facts.IsEmpty ? ReadOnlyMemory<byte>.Empty : facts.ToArray();
                var json = ReadOnlyMemory<byte>.Empty;
                long lastUpdated;
                // A row written before schema 0007 has no time of its own: its version row gives it.
                if (wantsJson || _patient.ColumnType(3) == raw.SQLITE_NULL)
                    (lastUpdated, json) = ReadVersionRow(sequence, wantsJson);
                else
                    lastUpdated = _patient.ColumnInt64(3);
                rows.Add(new StoredResource(type, id, version, DateTimeOffset.FromUnixTimeMilliseconds(lastUpdated), false, json, sequence, patientId, kept));
            }
            if (rc != raw.SQLITE_DONE) Check(rc);
        }
        finally
        {
            _patient.Reset();
        }
        return rows;
    }

    /// <summary>A version row's time, and its JSON when asked for.</summary>
    private (long LastUpdated, ReadOnlyMemory<byte> Json) ReadVersionRow(long sequence, bool withJson)
    {
        try
        {
            Check(_bySequence.BindInt64(1, sequence));
            var rc = _bySequence.Step();
            // The current row names its version row in the same snapshot, so it is there.
            if (rc != raw.SQLITE_ROW) Check(rc == raw.SQLITE_DONE ? raw.SQLITE_CORRUPT : rc);
            return (_bySequence.ColumnInt64(0), withJson ? Blob(_bySequence, 1) : ReadOnlyMemory<byte>.Empty);
        }
        finally
        {
            _bySequence.Reset();
        }
    }

    private static ReadOnlyMemory<byte> Blob(SqliteStatement statement, int column) =>
        statement.ColumnType(column) == raw.SQLITE_NULL ? ReadOnlyMemory<byte>.Empty : statement.ColumnBlob(column).ToArray();

    // UTF-8 of the bound text, reused (a statement copies what is bound).
    private byte[] _utf8 = new byte[256];

    private void BindText(SqliteStatement statement, int index, string value) => Check(statement.BindText(index, value, ref _utf8));

    /// <summary>The one row of a read by id, or null; the statement is reset before returning, so it holds no read lock.</summary>
    private StoredResource? Single(SqliteStatement statement, string type, string id, bool withFacts)
    {
        try
        {
            var rc = statement.Step();
            if (rc == raw.SQLITE_DONE) return null;
            if (rc != raw.SQLITE_ROW) Check(rc);
            var json = Blob(statement, 4);
            var patientId = statement.ColumnType(5) == raw.SQLITE_NULL ? null : statement.ColumnText(5);
            // Only the current version has facts (column 6 of the read by id).
            var facts = withFacts ? Blob(statement, 6) : ReadOnlyMemory<byte>.Empty;
            return new StoredResource(type, id, statement.ColumnInt(1),
                DateTimeOffset.FromUnixTimeMilliseconds(statement.ColumnInt64(2)), statement.ColumnInt64(3) != 0,
                json, statement.ColumnInt64(0), patientId, facts);
        }
        finally
        {
            statement.Reset();
        }
    }

    /// <summary>Every SQLite call of a session goes through here: a failure marks the session broken, then throws.</summary>
    private void Check(int rc)
    {
        if (rc == raw.SQLITE_OK) return;
        Broken = true;
        SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
    }

    private SqliteStatement PrepareRaw(string sql)
    {
        Check(raw.sqlite3_prepare_v2(_connection.Handle, sql, out var statement));
        _owned.Add(statement);
        return new SqliteStatement(statement);
    }

    public void Dispose()
    {
        foreach (var statement in _owned) statement.Dispose();
        _connection.Dispose();
    }
}
