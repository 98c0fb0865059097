using FhirMbb.Core.Search;

namespace FhirMbb.Core.Tests.Search;

public sealed class SearchQueryParserTests
{
    private static readonly SearchQueryParser Parser = new(new SearchParameterRegistry());

    private static ParsedSearch Parse(string type, params (string Key, string Value)[] parameters) =>
        Parser.Parse(type, parameters.Select(p => new KeyValuePair<string, string>(p.Key, p.Value)), new SearchLimits());

    [Theory]
    [InlineData("ge2015", SearchPrefix.Ge)]
    [InlineData("2015", SearchPrefix.Eq)]
    [InlineData("ne2015", SearchPrefix.Ne)]
    [InlineData("sa2015", SearchPrefix.Sa)]
    [InlineData("eb2015", SearchPrefix.Eb)]
    [InlineData("ap2015", SearchPrefix.Ap)]
    public void Date_prefixes_are_read(string value, SearchPrefix prefix)
    {
        var condition = Assert.IsType<ParameterCondition>(Assert.Single(Parse("Observation", ("date", value)).Query.Conditions));
        Assert.Equal(prefix, Assert.IsType<DateValue>(Assert.Single(condition.AnyOf)).Prefix);
    }

    [Fact]
    public void Token_forms_are_told_apart()
    {
        var condition = Assert.IsType<ParameterCondition>(Assert.Single(Parse("Observation", ("code", "a|b,|c,d|,e")).Query.Conditions));
        Assert.Equal(
            [new TokenValue("a", true, "b"), new TokenValue(null, true, "c"), new TokenValue("d", true, null), new TokenValue(null, false, "e")],
            condition.AnyOf.Cast<TokenValue>().ToArray());
    }

    [Fact]
    public void Uri_above_lists_the_value_and_every_uri_above_it_up_to_the_host()
    {
        var condition = Assert.IsType<ParameterCondition>(Assert.Single(Parse("Condition", ("_profile:above", "http://a.org/fhir/StructureDefinition/x")).Query.Conditions));
        Assert.Equal(
            ["http://a.org/fhir/StructureDefinition/x", "http://a.org/fhir/StructureDefinition/x/", "http://a.org/fhir/StructureDefinition", "http://a.org/fhir/StructureDefinition/",
             "http://a.org/fhir", "http://a.org/fhir/", "http://a.org", "http://a.org/"],
            condition.AnyOf.Cast<UriValue>().Select(u => u.Value).ToArray());
    }

    [Fact]
    public void Token_in_takes_the_codes_of_the_value_set_and_not_in_negates_them()
    {
        var codes = new ValueSetExpansion([new TokenValue("http://s", true, "1"), new TokenValue("http://s", true, "2")], null);
        var expansions = new Dictionary<string, ValueSetExpansion> { ["http://vs/a"] = codes, ["http://vs/empty"] = new([], null), ["http://vs/big"] = new([], "too many codes") };
        ParsedSearch ParseIn(string key, string url) =>
            Parser.Parse("Condition", [new KeyValuePair<string, string>(key, url)], new SearchLimits(), valueSets: expansions);

        Assert.Equal(codes.Codes, Assert.IsType<ParameterCondition>(Assert.Single(ParseIn("code:in", "http://vs/a").Query.Conditions)).AnyOf);
        Assert.Equal(codes.Codes, Assert.IsType<NotCondition>(Assert.Single(ParseIn("code:not-in", "http://vs/a").Query.Conditions)).Inner.AnyOf);
        Assert.Empty(Assert.IsType<IdCondition>(Assert.Single(ParseIn("code:in", "http://vs/empty").Query.Conditions)).Ids);
        Assert.Contains("too many codes", Assert.Single(ParseIn("code:in", "http://vs/big").Issues));
        Assert.Contains("not known", Assert.Single(ParseIn("code:in", "http://vs/unknown").Issues));
    }

    [Fact]
    public void Number_precision_follows_the_written_digits()
    {
        var condition = Assert.IsType<ParameterCondition>(Assert.Single(Parse("Observation", ("value-quantity", "100.0|http://unitsofmeasure.org|mg")).Query.Conditions));
        var value = Assert.IsType<QuantityValue>(Assert.Single(condition.AnyOf));
        Assert.Equal((99.95m, 100.05m, "mg"), (value.Low, value.High, value.Code));
    }

    [Fact]
    public void Escaped_commas_are_part_of_the_value()
    {
        var condition = Assert.IsType<ParameterCondition>(Assert.Single(Parse("Patient", ("family", @"a\,b")).Query.Conditions));
        Assert.Equal("a,b", Assert.IsType<StringValue>(Assert.Single(condition.AnyOf)).Value);
    }

    [Fact]
    public void Chains_and_has_are_parsed_one_level_deep()
    {
        var chain = Assert.IsType<ChainCondition>(Assert.Single(Parse("Observation", ("subject:Patient.identifier", "s|v")).Query.Conditions));
        Assert.Equal(["Patient"], chain.TargetTypes);
        var has = Assert.IsType<HasCondition>(Assert.Single(Parse("Patient", ("_has:Observation:patient:code", "x")).Query.Conditions));
        Assert.Equal("Observation", has.SourceType);
        Assert.NotEmpty(Parse("Observation", ("subject.organization.name", "x")).Issues);
    }

    [Theory]
    [InlineData("nonsense", "x")]
    [InlineData("birthdate", "yesterday")]
    [InlineData("gender:exact", "female")]
    [InlineData("_count", "-1")]
    [InlineData("_sort", "unknown")]
    [InlineData("active:missing", "maybe")]
    public void Unknown_or_malformed_parameters_become_issues_and_are_not_kept(string key, string value)
    {
        var parsed = Parse("Patient", (key, value), ("gender", "female"));
        Assert.Single(parsed.Issues);
        Assert.Equal([new KeyValuePair<string, string>("gender", "female")], parsed.Kept);
    }

    [Fact]
    public void Count_is_capped_and_zero_means_count_only()
    {
        Assert.Equal(1000, Parse("Patient", ("_count", "5000")).Query.Count);
        Assert.Equal(SummaryMode.Count, Parse("Patient", ("_count", "0")).Query.Summary);
    }

    [Fact]
    public void Cursors_round_trip()
    {
        var cursor = new PageCursor(42, true, [123L, 1.5, "text", null]);
        var decoded = PageCursor.TryDecode(cursor.Encode())!;
        Assert.Equal((42L, true), (decoded.Snapshot, decoded.Backward));
        Assert.Equal(cursor.Keys, decoded.Keys);
        Assert.Null(PageCursor.TryDecode("not-a-cursor"));
    }
}
