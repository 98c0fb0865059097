using SQLitePCL;

namespace FhirMbb.Data.Sqlite;

/// <summary>
/// Process-wide SQLite settings, applied once before the first connection opens. Every connection of this store is
/// used by one thread at a time (the writer by its own thread, readers rented from a pool), which is all SQLite's
/// multi-thread mode asks; the default serialized mode also locks each connection's mutex on every call, and perf put
/// that lock at ~8% of the writer thread's CPU in a Synthea ingest. Memory statistics are not read, so their global
/// mutex goes too. If SQLite was initialised before this runs (another component opened a connection first), it keeps
/// its serialized mode, which is only slower.
/// </summary>
public static class SqliteRuntime
{
    private static readonly Lazy<bool> Configured = new(Configure);

    public static void EnsureConfigured() => _ = Configured.Value;

    private static bool Configure()
    {
        Batteries_V2.Init();
        // Both calls answer SQLITE_MISUSE once SQLite is initialised; nothing is changed then.
        var mode = raw.sqlite3_config(raw.SQLITE_CONFIG_MULTITHREAD);
        if (mode != raw.SQLITE_OK) return false;
        raw.sqlite3_config(raw.SQLITE_CONFIG_MEMSTATUS, 0);
        return raw.sqlite3_initialize() == raw.SQLITE_OK;
    }
}
