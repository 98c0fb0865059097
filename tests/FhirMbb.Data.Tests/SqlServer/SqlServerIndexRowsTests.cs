using FhirMbb.Core.Search;
using FhirMbb.Data.SqlServer;
using FhirMbb.Data.Tests.Contract;
using Hl7.Fhir.Model;
using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace FhirMbb.Data.Tests.SqlServer;

/// <summary>
/// The index writer sends a resource's rows as table-valued parameters. Without a server, what can drift is
/// checked against the script itself: the rows' columns against the table types, the table types against
/// the index tables (same columns, types and lengths, in order), and the writer's INSERTs against both.
/// </summary>
public sealed class SqlServerIndexRowsTests
{
    private sealed record Column(string Name, string Type);

    /// <summary>Every CREATE TABLE and CREATE TYPE ... AS TABLE of the search script, with its columns in order.</summary>
    private sealed class SchemaReader : TSqlFragmentVisitor
    {
        public Dictionary<string, List<Column>> Tables { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, List<Column>> Types { get; } = new(StringComparer.Ordinal);

        public override void Visit(CreateTableStatement node) => Tables[Name(node.SchemaObjectName)] = Columns(node.Definition);

        public override void Visit(CreateTypeTableStatement node) => Types[Name(node.Name)] = Columns(node.Definition);

        private static string Name(SchemaObjectName name) => $"{name.SchemaIdentifier?.Value}.{name.BaseIdentifier.Value}";

        private static List<Column> Columns(TableDefinition definition) => definition.ColumnDefinitions.Select(c => new Column(
            c.ColumnIdentifier.Value,
            c.DataType is SqlDataTypeReference sql
                ? sql.SqlDataTypeOption + string.Concat(sql.Parameters.Select(p => "(" + p.Value + ")"))
                : c.DataType.Name.BaseIdentifier.Value)).ToList();
    }

    private static SchemaReader Schema()
    {
        var script = SqlServerSchema.Scripts.Single(s => s.Name == "search_indexes");
        using var reader = new StringReader(script.Sql);
        var fragment = new TSql170Parser(initialQuotedIdentifiers: true).Parse(reader, out var errors);
        Assert.Empty(errors);
        var schema = new SchemaReader();
        fragment.Accept(schema);
        return schema;
    }

    [Fact]
    public void Each_table_type_has_the_columns_of_its_index_table_but_rid_in_the_same_order_and_types()
    {
        var schema = Schema();
        Assert.Equal(7, schema.Tables.Count);
        foreach (var (table, columns) in schema.Tables)
        {
            Assert.True(schema.Types.TryGetValue(table + "_rows", out var type), $"no table type for {table}");
            Assert.Equal(columns.Where(c => c.Name != "rid"), type);
        }
    }

    [Fact]
    public void The_rows_sent_match_the_table_types_column_for_column()
    {
        var schema = Schema();
        var tables = SqlServerIndexRows.Tables(null);
        Assert.Equal(schema.Types.Keys.Where(k => k != "dbo.rid_list").Order(StringComparer.Ordinal), tables.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, table) in tables)
            Assert.Equal(schema.Types[name].Select(c => c.Name), table.Columns.Cast<System.Data.DataColumn>().Select(c => c.ColumnName));
    }

    [Fact]
    public void The_writer_inserts_every_column_of_every_index_table()
    {
        var schema = Schema();
        using var reader = new StringReader(SqlServerStatements.ReplaceIndex);
        var fragment = new TSql170Parser(initialQuotedIdentifiers: true).Parse(reader, out var errors);
        Assert.Empty(errors);
        var statements = ((TSqlScript)fragment).Batches.SelectMany(b => b.Statements).ToList();
        var inserts = statements.OfType<InsertStatement>().ToList();
        Assert.Equal(7, inserts.Count);
        foreach (var insert in inserts)
        {
            var target = (NamedTableReference)insert.InsertSpecification.Target;
            var name = $"{target.SchemaObject.SchemaIdentifier.Value}.{target.SchemaObject.BaseIdentifier.Value}";
            var columns = insert.InsertSpecification.Columns.Select(c => c.MultiPartIdentifier.Identifiers.Last().Value);
            Assert.Equal(schema.Tables[name].Select(c => c.Name), columns);
        }
        Assert.Equal(7, statements.OfType<DeleteStatement>().Count());
    }

    [Fact]
    public void Rows_are_numbered_per_table_and_carry_the_indexed_values()
    {
        var patient = FhirMbb.Testing.SearchClinicData.Patient("p1", "Müller", "Anna", AdministrativeGender.Female, "1970-05-12", "MRN-1", true, "Zürich", null);
        var index = SearchClinic.Indexer.Index(patient);
        var tables = SqlServerIndexRows.Tables(index);

        var strings = tables["dbo.idx_string_rows"];
        Assert.Equal(index.Strings.Count, strings.Rows.Count);
        Assert.Equal(Enumerable.Range(0, strings.Rows.Count), strings.Rows.Cast<System.Data.DataRow>().Select(r => (int)r["n"]));
        Assert.Contains(strings.Rows.Cast<System.Data.DataRow>(), r => (string)r["normalized"] == "muller" && (string)r["exact"] == "Müller");
        var tokens = tables["dbo.idx_token_rows"].Rows.Cast<System.Data.DataRow>();
        Assert.Contains(tokens, r => r["system"] as string == "http://clinic.example.org/mrn" && r["code"] as string == "MRN-1");
        var dates = tables["dbo.idx_date_rows"].Rows.Cast<System.Data.DataRow>();
        Assert.Contains(dates, r => (long)r["start_ms"] == DateTimeOffset.Parse("1970-05-12T00:00:00Z").ToUnixTimeMilliseconds());
        Assert.Equal(index.Count, tables.Values.Sum(t => t.Rows.Count));
    }

    [Fact]
    public void A_delete_sends_no_rows_and_values_longer_than_a_column_are_cut_to_fit()
    {
        Assert.All(SqlServerIndexRows.Tables(null).Values, t => Assert.Equal(0, t.Rows.Count));

        var index = new SearchIndexSet();
        index.Strings.Add(new StringIndex(1, new string('a', 2000), new string('A', 2000)));
        index.Uris.Add(new UriIndex(2, "https://x/" + new string('u', 2000)));
        var tables = SqlServerIndexRows.Tables(index);
        Assert.Equal(SqlServerIndexRows.NormalizedLength, ((string)tables["dbo.idx_string_rows"].Rows[0]["normalized"]).Length);
        Assert.Equal(SqlServerIndexRows.ExactLength, ((string)tables["dbo.idx_string_rows"].Rows[0]["exact"]).Length);
        Assert.Equal(SqlServerIndexRows.UrlLength, ((string)tables["dbo.idx_uri_rows"].Rows[0]["value"]).Length);

        var schema = Schema();
        Assert.Contains(new Column("normalized", $"NVarChar({SqlServerIndexRows.NormalizedLength})"), schema.Tables["dbo.idx_string"]);
        Assert.Contains(new Column("exact", $"NVarChar({SqlServerIndexRows.ExactLength})"), schema.Tables["dbo.idx_string"]);
        Assert.Contains(new Column("value", $"NVarChar({SqlServerIndexRows.UrlLength})"), schema.Tables["dbo.idx_uri"]);
        Assert.Contains(new Column("target_id", $"NVarChar({SqlServerIndexRows.IdLength})"), schema.Tables["dbo.idx_reference"]);
    }
}
