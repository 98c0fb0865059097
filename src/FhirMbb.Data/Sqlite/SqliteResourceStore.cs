using System.Collections.Concurrent;
using Dapper;
using FhirMbb.Core.Search;
using FhirMbb.Core.Storage;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FhirMbb.Data.Sqlite;

/// <summary>
/// The resource store on an embedded SQLite file in WAL mode. Readers use pooled connections and never
/// block the writer; writes go through one connection on one thread, grouped so that concurrent writes
/// share a commit, and each is acknowledged only once that commit is on disk (flushed by the commit itself,
/// synchronous=FULL, or for a large group by the syncer thread right after it), so an acknowledged write
/// survives a power cut.
/// </summary>
public sealed class SqliteResourceStore : IResourceStore, IDisposable
{
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly BlockingCollection<PendingWrite> _queue = new();
    private readonly Thread _writerThread;
    private readonly WriterStatements _statements;

    // Bounds one transaction's size, so a burst cannot hold the write lock (and readers' WAL growth) unboundedly.
    private const int MaxGroup = 256;

    // A group stops taking queued requests once it holds this many resources, and a group that large (a transaction
    // Bundle, ~170 resources for a Synthea patient) has its log flushed by the syncer thread while the writer applies the
    // next group, instead of waiting for the disk itself (see SyncLoop). Smaller groups (single creates) flush in their
    // commit as before: handing them to another thread cost validated creates 9-16% of their throughput.
    private const int LargeGroup = 64;

    // The write-ahead log, flushed to disk by the syncer thread before the large groups committed into it are
    // acknowledged; null for a database without one (in memory), whose groups all flush in their commit.
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _wal;
    private readonly BlockingCollection<CommittedGroup> _committed = new();
    private readonly Thread? _syncThread;
    // Set while no committed group waits for its flush. A large group commits only then (PaceCommit), having been applied
    // meanwhile: commits come no faster than the disk flushes them.
    private readonly ManualResetEventSlim _syncIdle = new(true);
    private bool _paced;
    // The writer connection's synchronous setting: FULL flushes the log in each commit, NORMAL leaves it to the syncer.
    private bool _flushInCommit = true;

    // The writer connection's page cache, in KiB (SQLite's default is 2 MiB). 16 MiB held what 64 did for the writer: the
    // writer thread's CPU per resource in a Synthea ingest was the same (57-59 against 58-66 µs) and loading 1M
    // Observations took no longer, for up to 48 MiB less memory in a server that has been writing. With 4 MiB that load took
    // 45% longer.
    private const int WriterCacheKiB = 16 * 1024;

    // WAL pages before the writer checkpoints them into the database file (SQLite's default is 1,000, 4 MiB).
    // Random-keyed index pages are dirtied again by almost every group; a longer interval copies each one to the file
    // once for many commits instead of once for every two or three. Every commit is still flushed before it is acknowledged.
    private const int WalAutoCheckpointPages = 8192;
    private readonly SqliteIndexWriter _indexWriter;
    private readonly SqliteConditionalKeys _conditionalKeys;
    // The group transaction the writer thread is applying, for the statements that take it per call.
    private SqliteTransaction? _transaction;
    private readonly SqliteSessionPool<SqliteReaderSession> _readers;

    public SqliteResourceStore(string connectionString)
    {
        SqliteRuntime.EnsureConfigured();
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        if (builder.Mode != SqliteOpenMode.Memory && !string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:")
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        }
        _connectionString = builder.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        // temp_store=MEMORY keeps each request's SAVEPOINT journal in memory: on a temporary file it cost a write() per
        // page touched (about 38 KiB per stored resource). The page cache (WriterCacheKiB) keeps the search index pages that
        // random keys land on (codes, dates, ids) between groups instead of reading them back from the file.
        using (var pragmas = _writer.CreateCommand())
        {
            pragmas.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA temp_store=FILE; PRAGMA cache_size=-{WriterCacheKiB}; PRAGMA wal_autocheckpoint={WalAutoCheckpointPages};";
            pragmas.ExecuteNonQuery();
        }
        // Migrations with temporary files on disk: a new index over a large table is sorted there. In memory, schema
        // 0006 on 1M Observations (2M date rows) took the server's peak RSS from ~430 to 621 MB once.
        SqliteSchema.Migrate(_writer);
        using (var pragmas = _writer.CreateCommand())
        {
            pragmas.CommandText = "PRAGMA temp_store=MEMORY;";
            pragmas.ExecuteNonQuery();
        }
        if (IsWal(_writer) && OpenLog(_writer.DataSource + "-wal") is { } wal)
        {
            _wal = wal;
            _syncThread = new Thread(SyncLoop) { IsBackground = true, Name = "sqlite-syncer" };
            _syncThread.Start();
        }
        _statements = new WriterStatements(_writer);
        // A dedicated thread: commits block on fsync, which must not tie up the thread pool.
        _writerThread = new Thread(WriterLoop) { IsBackground = true, Name = "sqlite-writer" };
        _writerThread.Start();
        _indexWriter = new SqliteIndexWriter(_writer);
        _conditionalKeys = new SqliteConditionalKeys(_writer);
        _readers = new SqliteSessionPool<SqliteReaderSession>(() => new SqliteReaderSession(_connectionString));
    }

    /// <summary>The connection string readers use; the search store opens its connections with it.</summary>
    public string ConnectionString => _connectionString;

    public string DatabasePath => _writer.DataSource;

    /// <summary>
    /// Files the resources stored before schema 0008 (or 0009, which gave the rows their seq and dates) in
    /// idx_patient_token under <paramref name="pairings"/> (the indexer's, which files every resource written since),
    /// and gives the date rows stored before schema 0012 their code bits; each structure is then marked ready. Does
    /// nothing when both are.
    /// Meant for start-up, before requests: one transaction, the rows inserted in key order, from the reference, token
    /// and date rows already stored (1M Observations: ~25 s for the pairings, ~6 s for the bits on the 2-core machine).
    /// <paramref name="starting"/> is called first, only when there is work to do.
    /// </summary>
    public void FileCodePairings(IEnumerable<CodePairing> pairings, Action? starting = null)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        connection.Execute("PRAGMA busy_timeout=60000; PRAGMA temp_store=FILE");
        var pending = connection.Query<string>("SELECT name FROM search_structure WHERE ready = 0").ToHashSet();
        if (pending.Count == 0) return;
        starting?.Invoke();
        connection.CreateFunction("code_bit", (string code) => CodePairing.CodeBit(code), isDeterministic: true);
        using var transaction = connection.BeginTransaction(deferred: false);
        foreach (var pairing in pairings)
        {
            if (pending.Contains("idx_patient_token"))
                // "+d.param_id": each resource's date rows by its primary key (rid, ...), not a scan of the date index per resource.
                connection.Execute(
                    """
                    INSERT OR IGNORE INTO idx_patient_token (pid, type, param_id, code, system, rid, seq, date_first, date_last)
                    SELECT r.target_id, x.type, t.param_id, COALESCE(t.code, ''), COALESCE(t.system, ''), x.rid, x.seq,
                        (SELECT MIN(d.start_ms) FROM idx_date d WHERE d.rid = x.rid AND +d.param_id = @DateParamId),
                        (SELECT MAX(d.start_ms) FROM idx_date d WHERE d.rid = x.rid AND +d.param_id = @DateParamId)
                    FROM resource x JOIN idx_reference r ON r.rid = x.rid JOIN idx_token t ON t.rid = x.rid
                    WHERE x.type = @Type AND r.param_id IN @PatientParamIds AND r.target_type = 'Patient' AND r.target_id IS NOT NULL
                      AND t.param_id = @CodeParamId AND (t.code IS NOT NULL OR t.system IS NOT NULL)
                    ORDER BY 1, 2, 3, 4, 5, 6
                    """,
                    new { pairing.Type, pairing.PatientParamIds, pairing.CodeParamId, pairing.DateParamId }, transaction);
            if (pending.Contains("idx_date.code_bits") && pairing.DateParamId is not null)
                // The bits are distinct powers of two, so the sum of the distinct ones is their OR (CodePairing.Apply).
                connection.Execute(
                    """
                    UPDATE idx_date SET code_bits = (SELECT COALESCE(SUM(DISTINCT code_bit(t.code)), 0) FROM idx_token t
                                                     WHERE t.rid = idx_date.rid AND +t.param_id = @CodeParamId AND t.code IS NOT NULL)
                    WHERE param_id = @DateParamId AND rid IN (SELECT rid FROM resource WHERE type = @Type)
                    """,
                    new { pairing.Type, pairing.CodeParamId, pairing.DateParamId }, transaction);
        }
        connection.Execute("UPDATE search_structure SET ready = 1", transaction: transaction);
        transaction.Commit();
    }

    private sealed record VersionRow(long seq, string type, string id, long version, long last_updated, long deleted, byte[]? json, string? patient_id)
    {
        public StoredResource ToStored() => new(
            type, id, (int)version, DateTimeOffset.FromUnixTimeMilliseconds(last_updated), deleted != 0,
            json ?? ReadOnlyMemory<byte>.Empty, seq, patient_id);
    }

    // The compartment owner lives on the resource row; versions borrow it so a deletion still has one.
    private const string Columns = "v.seq, v.type, v.id, v.version, v.last_updated, v.deleted, v.json, "
        + "(SELECT o.patient_id FROM resource o WHERE o.type = v.type AND o.id = v.id) AS patient_id";

    public Task<StoredResource?> ReadAsync(string type, string id, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var session = _readers.Rent();
        try
        {
            return Task.FromResult(session.ReadCurrent(type, id));
        }
        finally
        {
            _readers.Return(session);
        }
    }

    public Task<StoredResource?> ReadVersionAsync(string type, string id, int version, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var session = _readers.Rent();
        try
        {
            return Task.FromResult(session.ReadVersion(type, id, version));
        }
        finally
        {
            _readers.Return(session);
        }
    }

    /// <summary>
    /// Queues the write for the writer thread and completes only after the transaction holding it has
    /// committed (synchronous=FULL), so an acknowledged write is durable exactly as before grouping.
    /// </summary>
    public async Task<bool> TryWriteAsync(ResourceWrite write, CancellationToken cancellationToken = default) =>
        await TryWriteAllAsync([write], cancellationToken) < 0;

    /// <summary>Several writes that stand or fall together (a transaction Bundle): one SAVEPOINT covers them all.</summary>
    public Task<int> TryWriteAllAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Once queued the write is not cancelled: it either commits or fails, and the caller learns which.
        var pending = new PendingWrite(writes, new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            _queue.Add(pending, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(SqliteResourceStore));
        }
        return pending.Result.Task;
    }

    /// <summary>Writes queued together; the result is -1 when all were applied, else the index of the first refused.</summary>
    private sealed record PendingWrite(IReadOnlyList<ResourceWrite> Writes, TaskCompletionSource<int> Result);

    /// <summary>
    /// Group commit: the writer thread takes every request waiting in the queue (up to <see cref="MaxGroup"/>)
    /// and applies them in one transaction, so they share one fsync. A request whose version check fails (or that
    /// throws) must leave no trace while the others commit: the group is first tried without savepoints, and only if
    /// some request is refused is it rolled back and applied again with each request inside its own SAVEPOINT.
    /// </summary>
    /// <remarks>
    /// Savepoints cost: every page a request touches is first copied to the statement journal, and releasing a
    /// savepoint truncates that journal, which SQLite does by walking it; in the profile of a Synthea ingest that walk
    /// (memjrnlTruncate) took 14% of the server's CPU. Refusals are rare (lost update races), so the common group needs none.
    /// </remarks>
    private void WriterLoop()
    {
        var group = new List<PendingWrite>(MaxGroup);
        var outcomes = new List<int>(MaxGroup);
        var wroteSinceShrink = false;
        while (true)
        {
            if (!_queue.TryTake(out var first, wroteSinceShrink ? IdleBeforeShrink : Timeout.InfiniteTimeSpan))
            {
                if (_queue.IsCompleted) return;
                ShrinkMemory();
                wroteSinceShrink = false;
                continue;
            }
            wroteSinceShrink = true;
            group.Clear();
            outcomes.Clear();
            group.Add(first);
            var resources = first.Writes.Count;
            while (group.Count < MaxGroup && resources < LargeGroup && _queue.TryTake(out var next))
            {
                group.Add(next);
                resources += next.Writes.Count;
            }
            var handedOff = false;
            try
            {
                FlushInCommit(_syncThread is null || resources < LargeGroup);
                if (!TryCommitWhole(group, outcomes)) CommitEachInSavepoint(group, outcomes);
                var committed = new CommittedGroup([.. group], [.. outcomes]);
                if (_flushInCommit) committed.Acknowledge(null);
                else
                {
                    // Committed, not yet durable: the syncer acknowledges it after its flush.
                    _committed.Add(committed);
                    handedOff = true;
                }
            }
            catch (Exception e)
            {
                // The commit (or the transaction itself) failed: nothing in the group is stored.
                foreach (var pending in group) pending.Result.TrySetException(e);
            }
            finally
            {
                _statements.Enlist(null);
                _transaction = null;
                // Nothing of this group awaits a flush after all.
                if (_paced && !handedOff) _syncIdle.Set();
                _paced = false;
            }
        }
    }

    /// <summary>A committed group waiting for its log to reach the disk; outcomes as in the writer loop (int.MinValue: failed already).</summary>
    private sealed record CommittedGroup(PendingWrite[] Writes, int[] Outcomes)
    {
        public void Acknowledge(Exception? failure)
        {
            for (var i = 0; i < Writes.Length; i++)
            {
                if (Outcomes[i] == int.MinValue) continue;
                if (failure is null) Writes[i].Result.TrySetResult(Outcomes[i]);
                else Writes[i].Result.TrySetException(failure);
            }
        }
    }

    /// <summary>
    /// Flushes the write-ahead log to disk (fdatasync, as a synchronous=FULL commit does) and then acknowledges the large
    /// group committed into it, while the writer applies the next group. A write is thus
    /// acknowledged only once durable, as with synchronous=FULL; other requests may read it a few milliseconds before
    /// that (with FULL, SQLite shows a commit only after flushing it). Checkpoints are unchanged: under NORMAL, SQLite
    /// still flushes the log before copying it into the database, and the database after.
    /// </summary>
    private void SyncLoop()
    {
        // One group at a time: PaceCommit lets the writer commit the next large group only once this one is flushed.
        foreach (var committed in _committed.GetConsumingEnumerable())
        {
            Exception? failure = null;
            try
            {
                FlushLog(_wal!);
            }
            catch (Exception e)
            {
                // Committed but not known to be durable: the writes fail with it rather than being acknowledged as stored.
                failure = e;
            }
            committed.Acknowledge(failure);
            Interlocked.Increment(ref _deferredFlushes);
            _syncIdle.Set();
        }
    }

    /// <summary>Sets the writer connection's synchronous mode for the next group's commit, between transactions.</summary>
    private void FlushInCommit(bool flush)
    {
        if (flush == _flushInCommit) return;
        _statements.Synchronous(flush);
        _flushInCommit = flush;
    }

    /// <summary>
    /// Before a commit the syncer will flush: waits until the previous such group's flush is done (see
    /// <see cref="_syncIdle"/>). A commit that flushes itself does not wait.
    /// </summary>
    private void PaceCommit()
    {
        if (_flushInCommit) return;
        _syncIdle.Wait();
        _syncIdle.Reset();
        _paced = true;
    }

    /// <summary>
    /// The log's content to disk: fdatasync on Linux, as SQLite's own commit does (fsync, which .NET's FlushToDisk
    /// calls, also writes the file's times each time); elsewhere .NET's flush.
    /// </summary>
    private static void FlushLog(Microsoft.Win32.SafeHandles.SafeFileHandle log)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(log);
            return;
        }
        var added = false;
        log.DangerousAddRef(ref added);
        try
        {
            if (Fdatasync((int)log.DangerousGetHandle()) != 0)
                throw new IOException($"fdatasync of the write-ahead log failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            if (added) log.DangerousRelease();
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int Fdatasync(int fd);

    /// <summary>
    /// A second handle on the write-ahead log, for the syncer's flushes; null when it cannot be opened (no syncer then:
    /// every group flushes in its commit). SQLite keeps the log while a connection is open, and the writer's stays open
    /// as long as the store.
    /// </summary>
    private static Microsoft.Win32.SafeHandles.SafeFileHandle? OpenLog(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsWal(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        return string.Equals(command.ExecuteScalar() as string, "wal", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>How many times the syncer has flushed the log for large groups.</summary>
    internal int DeferredFlushes => Volatile.Read(ref _deferredFlushes);
    private int _deferredFlushes;

    /// <summary>How long the writer waits for more work, after a write, before it gives its page cache back.</summary>
    internal TimeSpan IdleBeforeShrink { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many times the writer has given its page cache back.</summary>
    internal int Shrinks => Volatile.Read(ref _shrinks);
    private int _shrinks;

    /// <summary>
    /// Gives the writer connection's page cache back to the allocator once writes stop, and the allocator's free pages
    /// back to the system (glibc only: elsewhere the first step alone). A server that has loaded a large batch would
    /// otherwise hold the cache, and whatever the load left free in the allocator, for as long as it serves only reads.
    /// </summary>
    private void ShrinkMemory()
    {
        try
        {
            using var shrink = _writer.CreateCommand();
            shrink.CommandText = "PRAGMA shrink_memory";
            shrink.ExecuteNonQuery();
            NativeHeap.Trim();
            Interlocked.Increment(ref _shrinks);
        }
        catch (SqliteException)
        {
            // Only memory is at stake; the next write proceeds as before.
        }
    }

    /// <summary>Applies and commits the whole group without savepoints; false (nothing stored) when any request is refused or throws.</summary>
    private bool TryCommitWhole(List<PendingWrite> group, List<int> outcomes)
    {
        using var transaction = _writer.BeginTransaction(deferred: false);
        _statements.Enlist(transaction);
        _transaction = transaction;
        try
        {
            foreach (var pending in group)
                foreach (var write in pending.Writes)
                    if (!Apply(write))
                    {
                        transaction.Rollback();
                        return false;
                    }
        }
        catch (Exception)
        {
            // The request to blame, and its exception, are found again by the savepoint pass.
            transaction.Rollback();
            return false;
        }
        PaceCommit();
        transaction.Commit();
        foreach (var _ in group) outcomes.Add(-1);
        return true;
    }

    /// <summary>Each request in its own SAVEPOINT: a refused one is rolled back alone, the others commit together.</summary>
    private void CommitEachInSavepoint(List<PendingWrite> group, List<int> outcomes)
    {
        outcomes.Clear();
        using var transaction = _writer.BeginTransaction(deferred: false);
        _statements.Enlist(transaction);
        _transaction = transaction;
        foreach (var pending in group)
        {
            _statements.Savepoint.ExecuteNonQuery();
            var refused = -1;
            try
            {
                for (var i = 0; i < pending.Writes.Count && refused < 0; i++)
                    if (!Apply(pending.Writes[i])) refused = i;
            }
            catch (Exception e)
            {
                _statements.RollbackTo.ExecuteNonQuery();
                pending.Result.TrySetException(e);
                outcomes.Add(int.MinValue);
                continue;
            }
            // A refused request leaves no trace: its version rows are undone, the group goes on.
            (refused < 0 ? _statements.Release : _statements.RollbackTo).ExecuteNonQuery();
            outcomes.Add(refused);
        }
        PaceCommit();
        transaction.Commit();
    }

    /// <summary>One write inside the group transaction; false when its optimistic version check fails.</summary>
    private bool Apply(ResourceWrite write)
    {
        var seq = _statements.InsertVersion(write);
        if (seq is null) return false;
        var rid = _statements.WriteCurrent(write, seq.Value);
        if (rid is null) return false;
        if (!_conditionalKeys.Apply(rid.Value, write, _transaction!)) return false;

        // Only the current version is indexed, in the same transaction: a delete just removes the rows.
        _indexWriter.Replace(rid.Value, write.Type, seq.Value, write.IsDelete ? null : write.Index, isNew: write.ExpectedVersion is null);
        return true;
    }

    /// <summary>
    /// The writer's statements, compiled once and reused for every write: only the values change, so SQLite never
    /// parses the SQL again. The version and current rows are bound by position straight into SQLite, as the index
    /// rows are (<see cref="SqliteIndexWriter"/>): no parameter lookup by name, no reader object per row. Used only
    /// on the writer thread.
    /// </summary>
    private sealed class WriterStatements : IDisposable
    {
        private readonly sqlite3 _db;
        // The statements, disposed with these; the fields below are views on their pointers (SqliteStatement).
        private readonly List<sqlite3_stmt> _owned = [];
        private readonly SqliteStatement _insertVersion;
        private readonly SqliteStatement _updateCurrent;
        private readonly SqliteStatement _insertCurrent;
        private byte[] _utf8 = new byte[256];

        private readonly SqliteCommand _synchronousFull;
        private readonly SqliteCommand _synchronousNormal;

        /// <summary>FULL: a commit flushes the log itself. NORMAL: it only writes it (checkpoints still flush).</summary>
        public void Synchronous(bool full) => (full ? _synchronousFull : _synchronousNormal).ExecuteNonQuery();

        public SqliteCommand Savepoint { get; }
        public SqliteCommand Release { get; }
        public SqliteCommand RollbackTo { get; }

        public WriterStatements(SqliteConnection connection)
        {
            SqliteCommand Command(string sql)
            {
                var command = connection.CreateCommand();
                command.CommandText = sql;
                return command;
            }
            _synchronousFull = Command("PRAGMA synchronous=FULL");
            _synchronousNormal = Command("PRAGMA synchronous=NORMAL");
            Savepoint = Command("SAVEPOINT w");
            Release = Command("RELEASE w");
            RollbackTo = Command("ROLLBACK TO w; RELEASE w");
            _db = connection.Handle ?? throw new InvalidOperationException("The writer connection must be open");
            // OR FAIL on the three: no statement journal, as for the index rows (SqliteIndexWriter).
            _insertVersion = Prepare("""
                INSERT OR FAIL INTO resource_version (type, id, version, last_updated, deleted, json)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                ON CONFLICT (type, id, version) DO NOTHING
                RETURNING seq
                """);
            _updateCurrent = Prepare("""
                UPDATE OR FAIL resource SET version = ?3, seq = ?4, deleted = ?6,
                    patient_id = COALESCE(?5, CASE WHEN ?6 = 1 THEN patient_id END), last_updated = ?8, facts = ?9
                WHERE type = ?1 AND id = ?2 AND version = ?7
                RETURNING rid
                """);
            _insertCurrent = Prepare("""
                INSERT OR FAIL INTO resource (type, id, version, seq, deleted, patient_id, last_updated, facts)
                VALUES (?1, ?2, ?3, ?4, 0, ?5, ?8, ?9)
                ON CONFLICT (type, id) DO NOTHING
                RETURNING rid
                """);
        }

        /// <summary>The version row; its seq, or null when that version already exists.</summary>
        public long? InsertVersion(ResourceWrite write)
        {
            var s = _insertVersion;
            // A null (a caller's bug) reaches SQLite's NOT NULL check, failing this write alone, not the binding.
            Text(s, 1, write.Type);
            Text(s, 2, write.Id);
            s.BindInt64(3, write.Version);
            s.BindInt64(4, write.LastUpdated.ToUnixTimeMilliseconds());
            s.BindInt64(5, write.IsDelete ? 1 : 0);
            if (write.Json is { } json) s.BindBlob(6, json);
            else s.BindNull(6);
            return StepReturning(s);
        }

        /// <summary>Inserts or moves the current row; its rid, or null when the expected version is not current.</summary>
        public long? WriteCurrent(ResourceWrite write, long seq)
        {
            var s = write.ExpectedVersion is null ? _insertCurrent : _updateCurrent;
            Text(s, 1, write.Type);
            Text(s, 2, write.Id);
            s.BindInt64(3, write.Version);
            s.BindInt64(4, seq);
            Text(s, 5, write.PatientId);
            if (write.ExpectedVersion is { } expected)
            {
                s.BindInt64(6, write.IsDelete ? 1 : 0);
                s.BindInt64(7, expected);
            }
            // The current version's time and facts, so a compartment listing need not visit the version row.
            s.BindInt64(8, write.LastUpdated.ToUnixTimeMilliseconds());
            if (write.Facts is { } facts) s.BindBlob(9, facts);
            else s.BindNull(9);
            return StepReturning(s);
        }

        private void Text(SqliteStatement statement, int index, string? value) => statement.BindTextOrNull(index, value, ref _utf8);

        /// <summary>Runs a statement with a one-column RETURNING clause to completion: the value, or null when no row came back.</summary>
        private long? StepReturning(SqliteStatement statement)
        {
            try
            {
                var rc = statement.Step();
                if (rc == raw.SQLITE_DONE) return null;
                if (rc != raw.SQLITE_ROW) SqliteException.ThrowExceptionForRC(rc, _db);
                var value = statement.ColumnInt64(0);
                rc = statement.Step();
                if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, _db);
                return value;
            }
            finally
            {
                statement.Reset();
                statement.ClearBindings();
            }
        }

        private SqliteStatement Prepare(string sql)
        {
            var rc = raw.sqlite3_prepare_v2(_db, sql, out var statement);
            SqliteException.ThrowExceptionForRC(rc, _db);
            _owned.Add(statement);
            return new SqliteStatement(statement);
        }

        private IEnumerable<SqliteCommand> All => [Savepoint, Release, RollbackTo, _synchronousFull, _synchronousNormal];

        /// <summary>Microsoft.Data.Sqlite requires each command to name the connection's open transaction.</summary>
        public void Enlist(SqliteTransaction? transaction)
        {
            foreach (var command in All) command.Transaction = transaction;
        }

        public void Dispose()
        {
            foreach (var command in All) command.Dispose();
            foreach (var statement in _owned) statement.Dispose();
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
        if (query.PatientId is not null)
            where.Add("EXISTS (SELECT 1 FROM resource p WHERE p.type = v.type AND p.id = v.id AND p.patient_id = @PatientId)");
        var sql = $"SELECT {Columns} FROM resource_version v"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + " ORDER BY v.seq DESC LIMIT @Limit";

        await using var connection = await OpenReaderAsync(cancellationToken);
        var rows = (await connection.QueryAsync<VersionRow>(new CommandDefinition(sql, new
        {
            query.Type, query.Id, query.PatientId,
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

    public Task<IReadOnlyList<StoredResource>> ListForPatientAsync(string type, string patientId, CancellationToken cancellationToken = default) =>
        ListForPatient(type, patientId, null, cancellationToken);

    public Task<IReadOnlyList<StoredResource>> ListForPatientAsync(string type, string patientId, NeedsJson needsJson, CancellationToken cancellationToken = default) =>
        ListForPatient(type, patientId, needsJson, cancellationToken);

    private Task<IReadOnlyList<StoredResource>> ListForPatient(string type, string patientId, NeedsJson? needsJson, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var session = _readers.Rent();
        try
        {
            return Task.FromResult(session.ListForPatient(type, patientId, needsJson));
        }
        finally
        {
            _readers.Return(session);
        }
    }

    public async Task<string?> ConditionalKeyOwnerAsync(string type, string key, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            SqliteConditionalKeys.OwnerSql, new { type, key }, cancellationToken: cancellationToken));
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
        // Writes already queued still commit; new ones are refused.
        _queue.CompleteAdding();
        if (_writerThread.IsAlive && Thread.CurrentThread != _writerThread) _writerThread.Join();
        // Then the last groups' flush and acknowledgement.
        _committed.CompleteAdding();
        if (_syncThread is { IsAlive: true }) _syncThread.Join();
        _committed.Dispose();
        _syncIdle.Dispose();
        _wal?.Dispose();
        _queue.Dispose();
        _readers.Dispose();
        _statements.Dispose();
        _indexWriter.Dispose();
        _writer.Dispose();
    }
}
