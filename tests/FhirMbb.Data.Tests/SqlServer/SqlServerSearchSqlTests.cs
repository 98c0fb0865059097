using System.Reflection;
using System.Text.RegularExpressions;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Search;
using FhirMbb.Data.SqlServer;
using FhirMbb.Data.Tests.Contract;
using Hl7.Fhir.Model;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using Xunit.Abstractions;

namespace FhirMbb.Data.Tests.SqlServer;

/// <summary>
/// No SQL Server runs here, so the generated search T-SQL is checked without one: a broad corpus of queries
/// (the search contract's own, plus every parameter of every served type with each modifier, prefix, value
/// form, chain, _has and sort the parser accepts) goes through the real parser and the SQL Server builder,
/// and every statement — count, first page, forward and backward cursor pages — must parse with
/// TSql170Parser, hold no SQLite dialect, read only parameters it binds, and contain no value at all:
/// its only literals and names are the builder's own.
/// </summary>
public sealed partial class SqlServerSearchSqlTests(ITestOutputHelper output)
{
    private static readonly string[] PrefixNames = ["", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"];

    /// <summary>The queries of the search contract, the shaping queries, and the generated ones.</summary>
    private static IReadOnlyList<string> CorpusText { get; } = BuildCorpus();

    private static List<string> BuildCorpus()
    {
        var corpus = typeof(SearchStoreContract<>)
            .GetMethod("Search_returns_exactly_the_matching_resources")!
            .GetCustomAttributes<InlineDataAttribute>()
            .Select(a => (string)a.GetData(null!).Single()[0])
            .ToList();
        corpus.AddRange(
        [
            "Observation?code=72514-3&_sort=-date", "Observation?_sort=status,date", "Patient?_sort=-family", "Observation?_sort=-date&_count=2",
            "Observation?code=72514-3&_total=accurate&_count=1", "Observation?code=72514-3&_summary=count",
            "Observation?code=72514-3&_include=Observation:subject", "Procedure?_id=proc-1&_revinclude=Observation:part-of",
            "Observation?_id=obs-1&_include=Observation:part-of&_include:iterate=Procedure:subject",
            "Patient?_id=pat-a&_revinclude=Procedure:subject&_revinclude:iterate=Observation:part-of",
            "Patient?_sort=-_lastUpdated,family,_id&gender=female,male&birthdate=ge1970&_total=accurate",
        ]);
        foreach (var type in ResourceTypes.Writable)
        {
            foreach (var parameter in SearchClinic.Registry.ForType(type).Where(p => p.IsSupported).OrderBy(p => p.Code, StringComparer.Ordinal))
            {
                foreach (var (modifier, value) in ValuesFor(parameter)) corpus.Add($"{type}?{parameter.Code}{modifier}={Uri.EscapeDataString(value)}");
                if (parameter.Type == SearchParamType.Composite) continue; // no :missing or sort on composites
                corpus.Add($"{type}?{parameter.Code}:missing=true");
                corpus.Add($"{type}?{parameter.Code}:missing=false");
                corpus.Add($"{type}?_sort={parameter.Code}");
                corpus.Add($"{type}?_sort=-{parameter.Code},_id&_total=accurate");
                if (parameter.Type == SearchParamType.Reference) corpus.AddRange(ChainsAndHas(type, parameter));
            }
            corpus.Add($"Patient/pat-a/{type}?_sort=-_id");
        }
        return corpus;
    }

    private static IEnumerable<(string Modifier, string Value)> ValuesFor(SearchParameterDefinition parameter)
    {
        switch (parameter.Type)
        {
            case SearchParamType.Token:
                return [("", "abc"), ("", "http://example.org/cs|abc"), ("", "|abc"), ("", "http://example.org/cs|"), ("", "a,b\\,c"),
                    (":not", "abc"), (":not", "http://example.org/cs|abc,def"), (":text", "Pain sev")];
            case SearchParamType.String:
                return [("", "Mül"), ("", "a,b"), (":exact", "Müller"), (":contains", "smi")];
            case SearchParamType.Date:
                return PrefixNames.SelectMany(p => new[] { ("", p + "2026"), ("", p + "2026-11-01"), ("", p + "2026-11-01T09:30:00.123+02:00") });
            case SearchParamType.Number:
                return PrefixNames.SelectMany(p => new[] { ("", p + "100"), ("", p + "-1.50") });
            case SearchParamType.Quantity:
                return PrefixNames.SelectMany(p => new[]
                {
                    ("", p + "5.4"), ("", p + "5|http://unitsofmeasure.org|mg"), ("", p + "5||mg"), ("", p + "5|http://unitsofmeasure.org|"),
                });
            case SearchParamType.Uri:
                return [("", "https://fhirmbb.org/fhir/x"), (":below", "https://fhirmbb.org/fhir/")];
            case SearchParamType.Reference:
                var forms = new List<(string, string)>
                {
                    ("", "pat-a"), ("", "Patient/pat-a"), ("", "https://other.example.org/fhir/Patient/x"), ("", SearchClinic.BaseUrl + "/Patient/pat-a"),
                    ("", "urn:uuid:1c1a6b6e-1f3b-4f55-9a77-2b5b8a4d0c11"), (":identifier", "http://example.org/ids|42"), (":identifier", "42"),
                };
                var target = parameter.Targets.FirstOrDefault(ResourceTypes.IsWritable);
                if (target is not null) forms.Add(($":{target}", "x1"));
                return forms;
            case SearchParamType.Composite:
                var pairs = parameter.Components!.Select(c => ValuesFor(c).Where(v => v.Modifier == "" && !v.Value.Contains(',')).Select(v => v.Value).ToList()).ToList();
                var first = string.Join("$", pairs.Select(values => values.First().Replace("$", "\\$")));
                var last = string.Join("$", pairs.Select(values => values.Last().Replace("$", "\\$")));
                return [("", first), ("", first + "," + last)];
            default:
                return [];
        }
    }

    /// <summary>A chain to one parameter of each type on each served target, and a _has from each served type referring here.</summary>
    private static IEnumerable<string> ChainsAndHas(string type, SearchParameterDefinition reference)
    {
        foreach (var target in reference.Targets.Where(ResourceTypes.IsWritable))
        {
            foreach (var inner in OnePerType(target))
            {
                var (modifier, value) = ValuesFor(inner).First();
                yield return $"{type}?{reference.Code}:{target}.{inner.Code}{modifier}={Uri.EscapeDataString(value)}";
            }
            foreach (var inner in OnePerType(type))
            {
                var (modifier, value) = ValuesFor(inner).Last();
                if (reference.Targets.Contains(target)) yield return $"{target}?_has:{type}:{reference.Code}:{inner.Code}{modifier}={Uri.EscapeDataString(value)}";
            }
        }
    }

    private static IEnumerable<SearchParameterDefinition> OnePerType(string type) =>
        SearchClinic.Registry.ForType(type).Where(p => p.IsSupported && p.Code != "_id" && p.Type != SearchParamType.Composite)
            .OrderBy(p => p.Code, StringComparer.Ordinal).GroupBy(p => p.Type).Select(g => g.First());

    private static SearchQuery Parse(string text) => SearchClinic.Query(text);

    /// <summary>A plausible cursor for the query's sort: one value of the right kind per key, then the rid.</summary>
    private static PageCursor CursorFor(SearchQuery query, bool backward)
    {
        var keys = query.Sort.Select(s => s.Parameter?.Type switch
        {
            SearchParamType.Date => (object?)1_790_000_000_000L,
            SearchParamType.Number or SearchParamType.Quantity => 12.5d,
            _ => "k'ey",
        }).Append(7L).ToList();
        return new PageCursor(42, backward, keys);
    }

    /// <summary>Every statement a query leads to: count (when asked), first page, and a page after a forward and a backward cursor.</summary>
    private static IEnumerable<(string Label, string Sql, SqlServerSearchSql Builder)> Statements(string text)
    {
        var query = Parse(text);
        foreach (var (label, q) in new[] { ("first", query), ("next", query with { Cursor = CursorFor(query, false) }), ("previous", query with { Cursor = CursorFor(query, true) }) })
        {
            var plan = SqlServerSearchStore.Plan(q, snapshot: 42);
            if (plan.CountSql is not null) yield return ($"{text} [{label} count]", plan.CountSql, plan.Sql);
            yield return ($"{text} [{label} page]", plan.PageSql, plan.Sql);
        }
    }

    [Fact]
    public void Every_generated_statement_parses_as_TSql_and_reads_only_its_own_parameters()
    {
        var failures = new List<string>();
        var count = 0;
        foreach (var text in CorpusText)
        {
            foreach (var (label, sql, builder) in Statements(text))
            {
                count++;
                var errors = TSqlScriptTests.Parse(sql);
                if (errors.Count > 0) failures.Add($"{label}: {TSqlScriptTests.Describe(errors)}\n{sql}");
                var sqlite = TSqlScriptTests.SqliteOnlyConstructs(sql);
                if (sqlite.Count > 0) failures.Add($"{label}: SQLite syntax {string.Join(", ", sqlite)}");

                using var reader = new StringReader(sql);
                var fragment = new TSql170Parser(initialQuotedIdentifiers: true).Parse(reader, out _);
                var collector = new TSqlScriptTests.ParameterCollector();
                fragment.Accept(collector);
                var bound = builder.Bound.Select(b => b.Key.TrimStart('@')).ToHashSet(StringComparer.Ordinal);
                var unbound = collector.Used.Except(collector.Declared).Where(p => !bound.Contains(p)).ToList();
                if (unbound.Count > 0) failures.Add($"{label}: reads unbound {string.Join(", ", unbound)}");
            }
        }
        output.WriteLine($"{CorpusText.Count} queries, {count} statements parsed, {failures.Count} failures");
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} statements failed:\n" + string.Join("\n\n", failures.Take(20)));
        Assert.True(count > 2000, $"only {count} statements generated");
    }

    // The names the builder writes: tables, columns, its aliases (x1, t2, o3, s4, q, r, k0...) and the built-in functions and types it uses.
    [GeneratedRegex(@"^(dbo|resource|idx_(token|string|date|reference|quantity|number|uri)|rid|param_id|type|id|deleted|patient_id|system|code|text|normalized|exact|start_ms|end_ms|target_type|target_id|url|identifier_system|identifier_value|value|unit|[xtos]\d+|q|r|k\d+|CAST|MIN|MAX|COUNT_BIG|DATALENGTH|REPLICATE|NCHAR|bigint|float)$")]
    private static partial Regex BuilderName();

    private static readonly HashSet<string> BuilderLiterals = new(StringComparer.Ordinal)
    {
        "'\\'", "N''", "0", "1", "8", "65535", "9000000000000000000", "9E18",
    };

    [Fact]
    public void No_request_value_ever_becomes_sql_text()
    {
        // Structural: whatever the request holds, the statement's literals and names are the builder's fixed ones.
        var findings = new List<string>();
        foreach (var text in CorpusText.Concat(Hostile()))
        {
            foreach (var (label, sql, _) in Statements(text))
            {
                using var reader = new StringReader(sql);
                foreach (var token in new TSql170Parser(initialQuotedIdentifiers: true).GetTokenStream(reader, out _))
                {
                    var literal = token.TokenType is TSqlTokenType.AsciiStringLiteral or TSqlTokenType.UnicodeStringLiteral or TSqlTokenType.Integer
                        or TSqlTokenType.Numeric or TSqlTokenType.Real or TSqlTokenType.Money;
                    if (literal && !BuilderLiterals.Contains(token.Text)) findings.Add($"{label}: literal {token.Text}");
                    if (token.TokenType is TSqlTokenType.Identifier or TSqlTokenType.QuotedIdentifier && !BuilderName().IsMatch(token.Text))
                        findings.Add($"{label}: name {token.Text}");
                }
            }
        }
        Assert.True(findings.Count == 0, string.Join("\n", findings.Distinct().Take(30)));
    }

    private const string Drop = "'; DROP TABLE resource; --";

    /// <summary>The same hostile text in every place a request can put text.</summary>
    private static IEnumerable<string> Hostile()
    {
        var v = Uri.EscapeDataString(Drop);
        var url = Uri.EscapeDataString("https://evil.example.org/fhir/Patient/x" + Drop);
        return
        [
            $"Patient?family={v}", $"Patient?family:exact={v}", $"Patient?family:contains={v}", $"Patient?identifier={v}",
            $"Patient?identifier={v}|{v}", $"Observation?code:text={v}", $"Observation?code:not={v}", $"Observation?subject={url}",
            $"Observation?subject:identifier={v}|{v}", $"Condition?_profile={v}", $"Condition?_profile:below={v}", $"Patient?_id={v}",
            $"Observation?value-quantity=5|{v}|{v}", $"Observation?value-quantity=5||{v}", $"Observation?subject:Patient.family={v}",
            $"Patient?_has:Observation:subject:code={v}", $"Patient/{Uri.EscapeDataString("x" + Drop)}/Observation?code={v}",
        ];
    }

    [Fact]
    public void A_value_that_is_sql_lands_only_in_the_parameters()
    {
        foreach (var text in Hostile())
        {
            var plan = SqlServerSearchStore.Plan(Parse(text), snapshot: 1);
            Assert.DoesNotContain("DROP", plan.PageSql, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("--", plan.PageSql);
            // Folded (string search), LIKE-escaped or not, the text travels whole in a parameter.
            Assert.Contains(plan.Sql.Bound, b => b.Value is string s && s.Contains("drop table resource", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void A_search_with_more_values_than_SQL_Server_takes_is_a_bad_request_not_a_server_error()
    {
        var ids = string.Join(",", Enumerable.Range(0, 2500).Select(i => $"id{i}"));
        var refused = Assert.Throws<Core.FhirOperationException>(() => SqlServerSearchStore.Plan(Parse("Patient?_id=" + ids), snapshot: 1));
        Assert.Equal(400, refused.Status);
        Assert.Contains("too many values", refused.Message);

        var fine = SqlServerSearchStore.Plan(Parse("Patient?_id=" + string.Join(",", Enumerable.Range(0, 1500).Select(i => $"id{i}"))), snapshot: 1);
        Assert.Empty(TSqlScriptTests.Parse(fine.PageSql));
    }

    [Theory]
    [InlineData("Observation?patient=pat-a")]
    [InlineData("Observation?patient:missing=true")]
    [InlineData("Observation?patient.name=ann")]
    [InlineData("Patient?_has:Observation:patient:code=abc")]
    [InlineData("Observation?_sort=patient")]
    public void A_derived_reference_reads_the_subject_rows_that_point_to_a_Patient(string text)
    {
        var plan = SqlServerSearchStore.Plan(Parse(text), snapshot: 1);
        var bound = plan.Sql.Bound.ToDictionary(b => b.Key, b => b.Value);
        var rows = RowsFilter().Matches(plan.PageSql).Single(m => bound[m.Groups["id"].Value] is int);
        Assert.Equal(SearchParameterDefinition.StableId("subject"), bound[rows.Groups["id"].Value]);
        Assert.Equal("Patient", bound[rows.Groups["type"].Value]);
        Assert.DoesNotContain(SearchParameterDefinition.StableId("patient"), bound.Values);
        Assert.Empty(TSqlScriptTests.Parse(plan.PageSql));
    }

    [Fact]
    public void A_combo_parameter_reads_the_rows_of_its_value_and_its_components()
    {
        var plan = SqlServerSearchStore.Plan(Parse("Observation?combo-code:not=abc"), snapshot: 1);
        var bound = plan.Sql.Bound.ToDictionary(b => b.Key, b => b.Value);
        var ids = RowsIn().Match(plan.PageSql).Groups["id"].Captures.Select(c => bound[c.Value]).ToList();
        Assert.Equal(new object?[] { SearchParameterDefinition.StableId("code"), SearchParameterDefinition.StableId("component-code") }.Order(), ids.Order());
        Assert.DoesNotContain(SearchParameterDefinition.StableId("combo-code"), bound.Values);
        Assert.Empty(TSqlScriptTests.Parse(plan.PageSql));
    }

    [GeneratedRegex(@"x\d+\.param_id = (?<id>@p\d+) AND x\d+\.target_type = (?<type>@p\d+)|s\d+\.param_id = (?<id>@p\d+) AND s\d+\.target_type = (?<type>@p\d+)")]
    private static partial Regex RowsFilter();

    [GeneratedRegex(@"param_id IN \((?:(?<id>@p\d+)(?:, )?)+\)")]
    private static partial Regex RowsIn();

    [Fact]
    public void Like_patterns_escape_every_metacharacter_of_TSql()
    {
        Assert.Equal("a\\%b\\_c\\[d]\\\\e", SqlServerSearchSql.EscapeLike("a%b_c[d]\\e"));
        var plan = SqlServerSearchStore.Plan(Parse("Patient?family:contains=" + Uri.EscapeDataString("50%_[x]")), snapshot: 1);
        Assert.Contains(plan.Sql.Bound, b => b.Value is "%50\\%\\_\\[x]%");
        Assert.Contains("ESCAPE '\\'", plan.PageSql);
    }

    [Fact]
    public void The_corpus_covers_every_condition_value_form_and_prefix_the_parser_produces()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Walk(SearchCondition condition)
        {
            seen.Add(condition.GetType().Name);
            switch (condition)
            {
                case ParameterCondition p: foreach (var v in p.AnyOf) seen.UnionWith(Describe(v)); break;
                case NotCondition n: Walk(n.Inner); break;
                case ChainCondition c: Walk(c.Inner); break;
                case HasCondition h: Walk(h.Inner); break;
                case AnyOfCondition a: foreach (var c in a.Alternatives.SelectMany(all => all)) Walk(c); break;
            }
        }
        var queries = CorpusText.Select(Parse).ToList();
        foreach (var query in queries) foreach (var condition in query.Conditions) Walk(condition);
        foreach (var query in queries) foreach (var sort in query.Sort) seen.Add("sort:" + (sort.Parameter?.Type.ToString() ?? "_id") + (sort.Descending ? "-" : "+"));
        if (queries.Any(q => q.CompartmentPatient is not null)) seen.Add("compartment");
        if (queries.Any(q => q.Total == TotalMode.Accurate)) seen.Add("total");

        var prefixes = Enum.GetNames<SearchPrefix>();
        var expected = new List<string>
        {
            nameof(ParameterCondition), nameof(MissingCondition), nameof(NotCondition), nameof(IdCondition), nameof(ChainCondition), nameof(HasCondition), nameof(AnyOfCondition),
            "Token:code", "Token:system|code", "Token:|code", "Token:system|", nameof(TokenTextValue),
            "String:StartsWith", "String:Exact", "String:Contains",
            "Reference:id", "Reference:Type/id", "Reference:url", nameof(ReferenceIdentifierValue) + ":system", nameof(ReferenceIdentifierValue) + ":value",
            "Uri:=", "Uri:below", "compartment", "total",
        };
        expected.AddRange(prefixes.Select(p => "Date:" + p));
        expected.AddRange(prefixes.Select(p => "Number:" + p));
        expected.AddRange(prefixes.Select(p => "Quantity:" + p));
        expected.AddRange(new[] { "Quantity:unit system|code", "Quantity:unit |code", "Quantity:unit system|" });
        foreach (var type in new[] { "Token", "String", "Date", "Reference", "Quantity", "Number", "Uri", "_id" })
        {
            expected.Add($"sort:{type}+");
            expected.Add($"sort:{type}-");
        }
        var missing = expected.Where(e => !seen.Contains(e)).ToList();
        Assert.True(missing.Count == 0, "not covered: " + string.Join(", ", missing));
    }

    private static IEnumerable<string> Describe(SearchValue value) => value switch
    {
        TokenValue { SystemGiven: false } => ["Token:code"],
        TokenValue { System: null } => ["Token:|code"],
        TokenValue { Code: null } => ["Token:system|"],
        TokenValue => ["Token:system|code"],
        StringValue s => ["String:" + s.Match],
        DateValue d => ["Date:" + d.Prefix],
        NumberValue n => ["Number:" + n.Prefix],
        QuantityValue q => ["Quantity:" + q.Prefix, (q.System, q.Code) switch
        {
            (not null, not null) => "Quantity:unit system|code",
            (null, not null) => "Quantity:unit |code",
            (not null, null) => "Quantity:unit system|",
            _ => "Quantity:no unit",
        }],
        ReferenceValue { Url: not null } => ["Reference:url"],
        ReferenceValue { Type: not null } => ["Reference:Type/id"],
        ReferenceValue => ["Reference:id"],
        ReferenceIdentifierValue { System: null } => [nameof(ReferenceIdentifierValue) + ":value"],
        ReferenceIdentifierValue => [nameof(ReferenceIdentifierValue) + ":system"],
        UriValue u => [u.Below ? "Uri:below" : "Uri:="],
        _ => [value.GetType().Name],
    };
}
