using FhirMbb.Testing;

namespace FhirMbb.Api.Tests.Search;

/// <summary>One search per parameter type, modifier and prefix over the fixed clinic of <see cref="SearchDataFixture"/>.</summary>
public sealed class SearchParameterTests(SearchDataFixture data) : IClassFixture<SearchDataFixture>
{
    [Theory]
    [MemberData(nameof(SearchClinicData.MatchingCases), MemberType = typeof(SearchClinicData))]
    // MatchingCases are shared with the store contract; the cases below run only here.
    // token :in / :not-in against the ValueSets the server publishes (terminology/) and the core ones
    [InlineData("Condition?code:in=https://fhirmbb.org/fhir/ValueSet/mbb-axial-pain-codes", "cond-1,cond-2")]
    [InlineData("Condition?code:not-in=https://fhirmbb.org/fhir/ValueSet/mbb-axial-pain-codes", "")]
    [InlineData("Procedure?code:in=https://fhirmbb.org/fhir/ValueSet/mbb-rfa-procedure-codes", "")]
    [InlineData("Procedure?code:in=https://fhirmbb.org/fhir/ValueSet/mbb-rfa-procedure-codes,https://fhirmbb.org/fhir/ValueSet/mbb-procedure-codes", "proc-1,proc-2")]
    [InlineData("Observation?code:not-in=https://fhirmbb.org/fhir/ValueSet/mbb-axial-pain-codes&subject=pat-a", "obs-1,obs-2,obs-3")]
    [InlineData("Condition?clinical-status:in=http://hl7.org/fhir/ValueSet/condition-clinical", "cond-1,cond-2")]
    [InlineData("Observation?status:not-in=http://hl7.org/fhir/ValueSet/observation-status", "")]
    [InlineData("Patient?_id:in=https://fhirmbb.org/fhir/ValueSet/mbb-axial-pain-codes", "")]
    [InlineData("Patient?_id:not-in=https://fhirmbb.org/fhir/ValueSet/mbb-axial-pain-codes", "pat-a,pat-b,pat-c")]
    // uri, _id, _lastUpdated, _tag, _profile
    [InlineData("Condition?_profile:below=https://fhirmbb.org/fhir/StructureDefinition", "cond-2")]
    [InlineData("Condition?_profile:below=https://fhirmbb.org/fhir/Structure", "")]
    [InlineData("Condition?_profile:above=https://fhirmbb.org/fhir/StructureDefinition/mbb-axial-pain-condition/_history/2", "cond-2")]
    [InlineData("Condition?_profile:above=https://fhirmbb.org/fhir/StructureDefinition/mbb-axial-pain-condition", "cond-2")]
    [InlineData("Condition?_profile:above=https://fhirmbb.org/fhir/StructureDefinition", "")]
    [InlineData("Condition?_profile:above=https://fhirmbb.org/fhir/StructureDefinition/mbb-axial-pain-conditionx", "")]
    // composite over the resource itself: both parts on one Observation; commas OR whole pairs
    [InlineData("Observation?code-value-quantity=http://loinc.org|8867-4$gt100", "obs-4")]
    [InlineData("Observation?code-value-quantity=72514-3$lt2", "obs-3")]
    [InlineData("Observation?code-value-quantity=72514-3$gt100", "")]
    [InlineData("Observation?code-value-quantity=8867-4$lt2,72514-3$le2", "obs-2,obs-3")]
    [InlineData("Observation?code-value-quantity=72514-3$2|http://unitsofmeasure.org|{score}", "obs-2")]
    [InlineData("Patient?_has:Observation:patient:code-value-quantity=8867-4$ge105", "pat-b")]
    public async Task Search_returns_exactly_the_matching_resources(string query, string expected)
    {
        Assert.Equal(expected, await data.MatchIds("/fhir/" + query + (query.Contains('?') ? "&" : "?") + "_count=100"));
    }

    [Fact]
    public async Task A_value_that_looks_like_sql_is_only_a_value()
    {
        Assert.Equal("", await data.MatchIds("/fhir/Patient?family=" + Uri.EscapeDataString("'; DROP TABLE resource; --")));
        Assert.Equal("", await data.MatchIds("/fhir/Patient?identifier=" + Uri.EscapeDataString("x' OR '1'='1")));
        Assert.Equal("", await data.MatchIds("/fhir/Patient?family:contains=" + Uri.EscapeDataString("%")));
        Assert.Equal("pat-a,pat-b,pat-c", await data.MatchIds("/fhir/Patient"));
    }
}
