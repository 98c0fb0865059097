using System.Runtime.InteropServices;
using SQLitePCL;

namespace FhirMbb.Data.Sqlite;

/// <summary>
/// The calls of the hot statement loops (reads by id, a patient's rows for $evaluate-block, the writer's version,
/// current and index rows),
/// made on the statement's own pointer. SQLitePCLRaw takes a statement as a SafeHandle, which every call references
/// and releases (two interlocked operations), behind an interface call to its provider: with a dozen calls per row,
/// that was ~6% of the server's CPU under $evaluate-block and ~4% of the writer thread's in an ingest (perf).
/// The <see cref="sqlite3_stmt"/> stays the owner: its session keeps it and disposes of it, so the pointer outlives
/// every call made through this view, which is used on one thread at a time as the statement is.
/// </summary>
internal readonly unsafe struct SqliteStatement(sqlite3_stmt statement)
{
    // The library SQLitePCLRaw's e_sqlite3 provider loads; already loaded by the time a statement exists.
    private const string Library = "e_sqlite3";

    // SQLITE_TRANSIENT: SQLite copies a bound text before the call returns.
    private static readonly nint Transient = -1;

    private readonly nint _handle = statement.DangerousGetHandle();

    public int Step() => sqlite3_step(_handle);

    public int Reset() => sqlite3_reset(_handle);

    public int BindInt64(int index, long value) => sqlite3_bind_int64(_handle, index, value);

    public int BindDouble(int index, double value) => sqlite3_bind_double(_handle, index, value);

    public int BindNull(int index) => sqlite3_bind_null(_handle, index);

    public int ClearBindings() => sqlite3_clear_bindings(_handle);

    /// <summary>UTF-8 text, copied by SQLite.</summary>
    public int BindText(int index, ReadOnlySpan<byte> utf8)
    {
        fixed (byte* text = utf8)
            return sqlite3_bind_text(_handle, index, NotNull(text), utf8.Length, Transient);
    }

    /// <summary>Bytes, copied by SQLite; none is an empty blob, not NULL, as SQLitePCLRaw binds them.</summary>
    public int BindBlob(int index, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* blob = bytes)
            return sqlite3_bind_blob(_handle, index, NotNull(blob), bytes.Length, Transient);
    }

    // An empty span pins as a null pointer, which SQLite would bind as SQL NULL; any other pointer with length 0 binds
    // '' or an empty blob.
    private static readonly byte* Empty = (byte*)NativeMemory.Alloc(1);

    private static byte* NotNull(byte* pointer) => pointer == null ? Empty : pointer;

    /// <summary>
    /// A string, encoded into <paramref name="scratch"/> (grown when too small, kept by the caller for the next one) and
    /// bound as SQLitePCLRaw binds a string: up to its first NUL, as SQLite reads a NUL-terminated text.
    /// </summary>
    public int BindText(int index, string value, ref byte[] scratch)
    {
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max > scratch.Length) scratch = new byte[Math.Max(max, scratch.Length * 2)];
        var bytes = scratch.AsSpan(0, System.Text.Encoding.UTF8.GetBytes(value, scratch));
        var nul = bytes.IndexOf((byte)0);
        return BindText(index, nul >= 0 ? bytes[..nul] : bytes);
    }

    /// <summary><see cref="BindText(int, string, ref byte[])"/>, or NULL for null.</summary>
    public int BindTextOrNull(int index, string? value, ref byte[] scratch) =>
        value is null ? BindNull(index) : BindText(index, value, ref scratch);

    public int ColumnType(int column) => sqlite3_column_type(_handle, column);

    public long ColumnInt64(int column) => sqlite3_column_int64(_handle, column);

    public int ColumnInt(int column) => sqlite3_column_int(_handle, column);

    /// <summary>The column's bytes, valid until the next step or reset; empty for NULL and empty blobs alike.</summary>
    public ReadOnlySpan<byte> ColumnBlob(int column)
    {
        var bytes = sqlite3_column_blob(_handle, column);
        return bytes == null ? default : new ReadOnlySpan<byte>(bytes, sqlite3_column_bytes(_handle, column));
    }

    public string ColumnText(int column)
    {
        var text = sqlite3_column_text(_handle, column);
        return text == null ? "" : System.Text.Encoding.UTF8.GetString(text, sqlite3_column_bytes(_handle, column));
    }

    [DllImport(Library)] private static extern int sqlite3_step(nint statement);
    [DllImport(Library)] private static extern int sqlite3_reset(nint statement);
    [DllImport(Library)] private static extern int sqlite3_bind_int64(nint statement, int index, long value);
    [DllImport(Library)] private static extern int sqlite3_bind_double(nint statement, int index, double value);
    [DllImport(Library)] private static extern int sqlite3_bind_null(nint statement, int index);
    [DllImport(Library)] private static extern int sqlite3_clear_bindings(nint statement);
    [DllImport(Library)] private static extern int sqlite3_bind_text(nint statement, int index, byte* text, int length, nint destructor);
    [DllImport(Library)] private static extern int sqlite3_bind_blob(nint statement, int index, byte* blob, int length, nint destructor);
    [DllImport(Library)] private static extern int sqlite3_column_type(nint statement, int column);
    [DllImport(Library)] private static extern long sqlite3_column_int64(nint statement, int column);
    [DllImport(Library)] private static extern int sqlite3_column_int(nint statement, int column);
    [DllImport(Library)] private static extern byte* sqlite3_column_blob(nint statement, int column);
    [DllImport(Library)] private static extern byte* sqlite3_column_text(nint statement, int column);
    [DllImport(Library)] private static extern int sqlite3_column_bytes(nint statement, int column);
}
