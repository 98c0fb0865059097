using System.Text;
using FhirMbb.Data.Sqlite;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FhirMbb.Data.Tests;

/// <summary>The statement view's binds and reads give what SQLitePCLRaw's calls gave, value by value.</summary>
public sealed class SqliteStatementTests : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _owner;
    private readonly SqliteStatement _statement;

    public SqliteStatementTests()
    {
        SqliteRuntime.EnsureConfigured();
        _connection = new SqliteConnection("Data Source=:memory:");
        _connection.Open();
        Assert.Equal(raw.SQLITE_OK, raw.sqlite3_prepare_v2(_connection.Handle, "SELECT typeof(?1), ?1, length(CAST(?1 AS BLOB)), ?2", out _owner));
        _statement = new SqliteStatement(_owner);
    }

    public void Dispose()
    {
        _owner.Dispose();
        _connection.Dispose();
    }

    private (string Type, string Text, long Bytes, ReadOnlyMemory<byte> Blob) Row()
    {
        Assert.Equal(raw.SQLITE_ROW, _statement.Step());
        var row = (_statement.ColumnText(0), _statement.ColumnText(1), _statement.ColumnInt64(2), (ReadOnlyMemory<byte>)_statement.ColumnBlob(3).ToArray());
        Assert.Equal(raw.SQLITE_DONE, _statement.Step());
        Assert.Equal(raw.SQLITE_OK, _statement.Reset());
        return row;
    }

    [Fact]
    public void Text_is_bound_as_text_even_when_empty_and_null_as_null()
    {
        Assert.Equal(raw.SQLITE_OK, _statement.BindText(1, "Ωmega 72514-3"u8));
        var (type, text, bytes, _) = Row();
        Assert.Equal(("text", "Ωmega 72514-3", 14L), (type, text, bytes));

        Assert.Equal(raw.SQLITE_OK, _statement.BindText(1, ReadOnlySpan<byte>.Empty));
        (type, text, bytes, _) = Row();
        Assert.Equal(("text", "", 0L), (type, text, bytes));

        Assert.Equal(raw.SQLITE_OK, _statement.BindText(1, new byte[8].AsSpan(0, 0)));
        Assert.Equal("text", Row().Type);

        Assert.Equal(raw.SQLITE_OK, _statement.BindNull(1));
        Assert.Equal("null", Row().Type);
    }

    [Fact]
    public void A_string_is_bound_up_to_its_first_nul_through_a_scratch_buffer_that_grows()
    {
        var scratch = new byte[4];
        Assert.Equal(raw.SQLITE_OK, _statement.BindText(1, "http://loinc.org\0tail", ref scratch));
        var (type, text, _, _) = Row();
        Assert.Equal(("text", "http://loinc.org"), (type, text));
        Assert.True(scratch.Length >= 16);

        Assert.Equal(raw.SQLITE_OK, _statement.BindTextOrNull(1, "", ref scratch));
        (type, text, _, _) = Row();
        Assert.Equal(("text", ""), (type, text));

        Assert.Equal(raw.SQLITE_OK, _statement.BindTextOrNull(1, null, ref scratch));
        Assert.Equal("null", Row().Type);
    }

    [Fact]
    public void Numbers_and_blobs_read_back_as_bound()
    {
        Assert.Equal(raw.SQLITE_OK, _statement.BindInt64(1, long.MinValue));
        Assert.Equal(raw.SQLITE_OK, _statement.BindNull(2));
        Assert.Equal(raw.SQLITE_ROW, _statement.Step());
        Assert.Equal("integer", _statement.ColumnText(0));
        Assert.Equal(long.MinValue, _statement.ColumnInt64(1));
        Assert.Equal(raw.SQLITE_NULL, _statement.ColumnType(3));
        Assert.True(_statement.ColumnBlob(3).IsEmpty);
        _statement.Reset();

        Assert.Equal(raw.SQLITE_OK, _statement.BindDouble(1, 99.5));
        Assert.Equal(raw.SQLITE_OK, _statement.BindBlob(2, Encoding.UTF8.GetBytes("{\"a\":1}")));
        Assert.Equal(raw.SQLITE_ROW, _statement.Step());
        Assert.Equal("real", _statement.ColumnText(0));
        Assert.Equal(raw.SQLITE_BLOB, _statement.ColumnType(3));
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(_statement.ColumnBlob(3)));
        Assert.Equal(4, _statement.ColumnInt(2)); // length(CAST(99.5 AS BLOB)): "99.5"
        _statement.Reset();

        // No bytes bind an empty blob, not NULL.
        Assert.Equal(raw.SQLITE_OK, _statement.BindBlob(2, ReadOnlySpan<byte>.Empty));
        Assert.Equal(raw.SQLITE_ROW, _statement.Step());
        Assert.Equal(raw.SQLITE_BLOB, _statement.ColumnType(3));
        Assert.True(_statement.ColumnBlob(3).IsEmpty);
        _statement.Reset();
    }
}
