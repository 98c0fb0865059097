using System.Text;
using System.Text.RegularExpressions;
using FhirMbb.Data.Sqlite;
using FhirMbb.Data.SqlServer;
using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace FhirMbb.Data.Tests.SqlServer;

/// <summary>
/// No SQL Server runs in CI, so every T-SQL text the repository holds is at least parsed by Microsoft's own
/// parser for SQL Server 2025 / Azure SQL (TSql170Parser) and checked for SQLite-only syntax.
/// </summary>
public sealed partial class TSqlScriptTests
{
    /// <summary>The store's statements and search's fixed statements (the generated search SQL is parsed in SqlServerSearchSqlTests).</summary>
    private static IReadOnlyList<SqlServerStatements.Statement> Statements => [.. SqlServerStatements.All, .. SqlServerSearchStatements.All];

    public static TheoryData<string> StatementNames => [.. Statements.Select(s => s.Name)];

    public static TheoryData<string> ScriptNames => [.. SqlServerSchema.Scripts.Select(s => s.Name)];

    internal static IList<ParseError> Parse(string sql)
    {
        using var reader = new StringReader(sql);
        new TSql170Parser(initialQuotedIdentifiers: true).Parse(reader, out var errors);
        return errors;
    }

    internal static string Describe(IList<ParseError> errors) =>
        string.Join("; ", errors.Select(e => $"line {e.Line} col {e.Column}: {e.Message}"));

    /// <summary>The text without comments, string literals and @variables, so "-- no LIMIT" or @Limit is no finding.</summary>
    private static string CodeOnly(string sql)
    {
        using var reader = new StringReader(sql);
        var tokens = new TSql170Parser(initialQuotedIdentifiers: true).GetTokenStream(reader, out _);
        var code = new StringBuilder();
        foreach (var token in tokens)
        {
            if (token.TokenType is TSqlTokenType.SingleLineComment or TSqlTokenType.MultilineComment
                or TSqlTokenType.AsciiStringLiteral or TSqlTokenType.UnicodeStringLiteral or TSqlTokenType.Variable) continue;
            code.Append(token.Text).Append(' ');
        }
        return code.ToString();
    }

    internal static IReadOnlyList<string> SqliteOnlyConstructs(string sql) =>
        SqliteOnly().Matches(CodeOnly(sql)).Select(m => m.Value).ToList();

    [GeneratedRegex(@"\b(LIMIT|RETURNING|ON\s+CONFLICT|AUTOINCREMENT|PRAGMA|INSERT\s+OR\s+(REPLACE|IGNORE))\b", RegexOptions.IgnoreCase)]
    private static partial Regex SqliteOnly();

    [Theory]
    [MemberData(nameof(StatementNames))]
    public void Every_store_statement_parses_as_TSql(string name)
    {
        var statement = Statements.Single(s => s.Name == name);
        var errors = Parse(statement.Sql);
        Assert.True(errors.Count == 0, $"{name}: {Describe(errors)}");
        Assert.Empty(SqliteOnlyConstructs(statement.Sql));
    }

    [Theory]
    [MemberData(nameof(ScriptNames))]
    public void Every_schema_script_parses_as_TSql_with_no_SQLite_syntax(string name)
    {
        var script = SqlServerSchema.Scripts.Single(s => s.Name == name);
        var errors = Parse(script.Sql);
        Assert.True(errors.Count == 0, $"{name}: {Describe(errors)}");
        Assert.Empty(SqliteOnlyConstructs(script.Sql));
    }

    /// <summary>Collects the @names a statement reads, leaving out its own DECLAREd locals and the formal names in EXEC proc @Formal = value.</summary>
    internal sealed class ParameterCollector : TSqlFragmentVisitor
    {
        public HashSet<string> Used { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Declared { get; } = new(StringComparer.Ordinal);

        public override void Visit(VariableReference node) => Used.Add(node.Name.TrimStart('@'));

        public override void Visit(DeclareVariableElement node) => Declared.Add(node.VariableName.Value.TrimStart('@'));

        public override void ExplicitVisit(ExecuteParameter node) => node.ParameterValue?.Accept(this);
    }

    [Theory]
    [MemberData(nameof(StatementNames))]
    public void Every_parameter_a_statement_reads_is_bound_by_its_parameter_record(string name)
    {
        // Nothing runs these against a server here, so a misspelt @name would only show in production.
        var statement = Statements.Single(s => s.Name == name);
        using var reader = new StringReader(statement.Sql);
        var fragment = new TSql170Parser(initialQuotedIdentifiers: true).Parse(reader, out _);
        var collector = new ParameterCollector();
        fragment.Accept(collector);

        var parameters = collector.Used.Except(collector.Declared).Order(StringComparer.Ordinal).ToList();
        var bound = statement.Parameters?.GetProperties().Select(p => p.Name).ToHashSet(StringComparer.Ordinal) ?? [];

        if (statement.Parameters is not null) Assert.NotEmpty(parameters);
        Assert.All(parameters, p => Assert.Contains(p, bound));
    }

    [Fact]
    public void The_parameter_check_sees_parameters_and_ignores_locals_and_formal_names()
    {
        using var reader = new StringReader(SqlServerStatements.AcquireMigrationLock + "\nSELECT @Other;");
        var fragment = new TSql170Parser(initialQuotedIdentifiers: true).Parse(reader, out _);
        var collector = new ParameterCollector();
        fragment.Accept(collector);

        Assert.Equal(["Other", "Resource", "TimeoutMs"], collector.Used.Except(collector.Declared).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_test_databases_ddl_parses_as_TSql()
    {
        var name = "fhirmbb_test_" + Guid.NewGuid().ToString("N");
        Assert.Empty(Parse(SqlServerResourceStoreTests.CreateDatabaseSql(name)));
        Assert.Empty(Parse(SqlServerResourceStoreTests.DropDatabaseSql(name)));
    }

    [Fact]
    public void Every_script_file_in_the_source_tree_is_embedded_and_numbered_in_order()
    {
        var directory = Path.Combine(RepositoryRoot(), "src", "FhirMbb.Data", "Schema", "SqlServer");
        var files = Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(files, SqlServerSchema.Scripts.Select(s => $"{s.Number:D4}_{s.Name}.sql"));
        Assert.Equal(Enumerable.Range(1, SqlServerSchema.Scripts.Count), SqlServerSchema.Scripts.Select(s => s.Number));
    }

    [Fact]
    public void The_parser_and_the_checker_do_catch_SQLite_dialect()
    {
        // Guards the two tests above against passing vacuously.
        Assert.NotEmpty(Parse("SELECT v.seq FROM resource_version AS v ORDER BY v.seq DESC LIMIT 10"));
        Assert.NotEmpty(Parse(SqliteSchema.Scripts[0].Sql));
        Assert.Contains("AUTOINCREMENT", SqliteOnlyConstructs(SqliteSchema.Scripts[0].Sql), StringComparer.OrdinalIgnoreCase);
        Assert.Empty(SqliteOnlyConstructs("-- no LIMIT here\nSELECT TOP (@Limit) N'RETURNING' AS word"));
    }

    [Fact]
    public void History_has_a_distinct_statement_for_every_combination_of_filters()
    {
        var history = SqlServerStatements.All.Where(s => s.Name.StartsWith("History", StringComparison.Ordinal)).Select(s => s.Sql).ToList();
        Assert.Equal(32, history.Distinct().Count());
        Assert.All(history, sql => Assert.Contains("ORDER BY v.seq DESC", sql));
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FhirMbb.sln"))) return directory.FullName;
        }
        throw new InvalidOperationException($"FhirMbb.sln not found above {AppContext.BaseDirectory}");
    }
}
