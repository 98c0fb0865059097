using System.Data;
using Dapper;
using FhirMbb.Core.Search;

namespace FhirMbb.Data.SqlServer;

/// <summary>
/// Turns a resource's <see cref="SearchIndexSet"/> into the table-valued parameters of
/// <see cref="SqlServerStatements.ReplaceIndex"/>: one round trip writes every row, and every value travels
/// as typed data, never as SQL text. Column order and lengths follow the table types of 0002_search_indexes.sql.
/// </summary>
public static class SqlServerIndexRows
{
    // The declared lengths of the index columns (see the script): longer values are cut to fit, which only
    // pathological data reaches, rather than failing the whole write with a truncation error.
    public const int SystemLength = 450;
    public const int CodeLength = 256;
    public const int TextLength = 1000;
    public const int NormalizedLength = 450;
    public const int ExactLength = 1000;
    public const int IdLength = 64;
    public const int UrlLength = 800;
    public const int IdentifierValueLength = 256;
    public const int UnitLength = 128;

    /// <summary>The parameters of <see cref="SqlServerStatements.ReplaceIndex"/>; a null index (a delete) sends empty tables.</summary>
    public static SqlServerStatements.IndexParameters For(string type, string id, SearchIndexSet? index)
    {
        var t = Tables(index);
        SqlMapper.ICustomQueryParameter Tvp(string name) => t[name].AsTableValuedParameter(name);
        return new SqlServerStatements.IndexParameters(type, id,
            Tvp("dbo.idx_token_rows"), Tvp("dbo.idx_string_rows"), Tvp("dbo.idx_date_rows"), Tvp("dbo.idx_reference_rows"),
            Tvp("dbo.idx_quantity_rows"), Tvp("dbo.idx_number_rows"), Tvp("dbo.idx_uri_rows"));
    }

    /// <summary>The rows of each table type, keyed by the type's name; columns in the order the type declares them.</summary>
    public static IReadOnlyDictionary<string, DataTable> Tables(SearchIndexSet? index)
    {
        var tokens = Table(("param_id", typeof(int)), ("n", typeof(int)), ("system", typeof(string)), ("code", typeof(string)), ("text", typeof(string)));
        var strings = Table(("param_id", typeof(int)), ("n", typeof(int)), ("normalized", typeof(string)), ("exact", typeof(string)));
        var dates = Table(("param_id", typeof(int)), ("n", typeof(int)), ("start_ms", typeof(long)), ("end_ms", typeof(long)));
        var references = Table(("param_id", typeof(int)), ("n", typeof(int)), ("target_type", typeof(string)), ("target_id", typeof(string)),
            ("url", typeof(string)), ("identifier_system", typeof(string)), ("identifier_value", typeof(string)));
        var quantities = Table(("param_id", typeof(int)), ("n", typeof(int)), ("value", typeof(double)), ("system", typeof(string)), ("code", typeof(string)), ("unit", typeof(string)));
        var numbers = Table(("param_id", typeof(int)), ("n", typeof(int)), ("value", typeof(double)));
        var uris = Table(("param_id", typeof(int)), ("n", typeof(int)), ("value", typeof(string)));

        if (index is not null)
        {
            var n = 0;
            foreach (var t in index.Tokens) tokens.Rows.Add(t.ParamId, n++, Cut(t.System, SystemLength), Cut(t.Code, CodeLength), Cut(t.Text, TextLength));
            n = 0;
            foreach (var s in index.Strings) strings.Rows.Add(s.ParamId, n++, Cut(s.Normalized, NormalizedLength), Cut(s.Exact, ExactLength));
            n = 0;
            foreach (var d in index.Dates) dates.Rows.Add(d.ParamId, n++, d.Start, d.End);
            n = 0;
            foreach (var r in index.References)
                references.Rows.Add(r.ParamId, n++, Cut(r.TargetType, IdLength), Cut(r.TargetId, IdLength), Cut(r.Url, UrlLength),
                    Cut(r.IdentifierSystem, SystemLength), Cut(r.IdentifierValue, IdentifierValueLength));
            n = 0;
            foreach (var q in index.Quantities) quantities.Rows.Add(q.ParamId, n++, (double)q.Value, Cut(q.System, SystemLength), Cut(q.Code, UnitLength), Cut(q.Unit, UnitLength));
            n = 0;
            foreach (var num in index.Numbers) numbers.Rows.Add(num.ParamId, n++, (double)num.Value);
            n = 0;
            foreach (var u in index.Uris) uris.Rows.Add(u.ParamId, n++, Cut(u.Value, UrlLength));
        }

        return new Dictionary<string, DataTable>(StringComparer.Ordinal)
        {
            ["dbo.idx_token_rows"] = tokens,
            ["dbo.idx_string_rows"] = strings,
            ["dbo.idx_date_rows"] = dates,
            ["dbo.idx_reference_rows"] = references,
            ["dbo.idx_quantity_rows"] = quantities,
            ["dbo.idx_number_rows"] = numbers,
            ["dbo.idx_uri_rows"] = uris,
        };
    }

    /// <summary>A list of resource rids as the dbo.rid_list table type, for the include queries.</summary>
    public static SqlMapper.ICustomQueryParameter RidList(IEnumerable<long> rids)
    {
        var table = Table(("rid", typeof(long)));
        foreach (var rid in rids.Distinct()) table.Rows.Add(rid);
        return table.AsTableValuedParameter("dbo.rid_list");
    }

    private static DataTable Table(params (string Name, Type Type)[] columns)
    {
        var table = new DataTable();
        foreach (var (name, type) in columns) table.Columns.Add(name, type);
        return table;
    }

    private static object Cut(string? value, int length) =>
        value is null ? DBNull.Value : value.Length <= length ? value : value[..length];
}
