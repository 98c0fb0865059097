using FhirMbb.Core.Rest;

namespace FhirMbb.Core.Tests.Rest;

public sealed class ConditionalCriteriaTests
{
    [Theory]
    [InlineData("identifier=sys|1&birthdate=2000-01-01", "birthdate=2000-01-01&identifier=sys%7C1")]
    [InlineData("identifier=sys%7C1&birthdate=2000-01-01", "birthdate=2000-01-01&identifier=sys|1")]
    [InlineData("code=b,a&subject=Patient/1", "subject=Patient%2F1&code=a,b")]
    [InlineData("name=Jane+Doe", "name=Jane%20Doe")]
    [InlineData("identifier=sys|1&_format=json", "identifier=sys|1")]
    [InlineData("identifier=sys|1&identifier=sys|1", "identifier=sys|1")]
    [InlineData("Patient?identifier=sys|1", "?identifier=sys|1")]
    public void Equivalent_criteria_have_the_same_key(string one, string other)
    {
        Assert.Equal(ConditionalCriteria.Parse("Patient", one).Key, ConditionalCriteria.Parse("Patient", other).Key);
    }

    [Theory]
    [InlineData("identifier=sys|1", "identifier=sys|2")]
    [InlineData("identifier=sys|1", "identifier:text=sys|1")]
    [InlineData("identifier=sys|1&identifier=sys|2", "identifier=sys|1,sys|2")]
    [InlineData("code=a\\,b", "code=b,a")]
    public void Different_criteria_have_different_keys(string one, string other)
    {
        Assert.NotEqual(ConditionalCriteria.Parse("Patient", one).Key, ConditionalCriteria.Parse("Patient", other).Key);
    }

    [Fact]
    public void A_compartment_narrows_the_claimed_key_but_not_the_criteria()
    {
        var criteria = ConditionalCriteria.Parse("Observation", "code=72514-3");
        var scoped = criteria with { CompartmentPatient = "p1" };

        Assert.Equal(criteria.Key, scoped.Key);
        Assert.NotEqual(criteria.ClaimKey, scoped.ClaimKey);
    }

    [Theory]
    [InlineData("")]
    [InlineData("_format=json")]
    [InlineData("identifier=sys|1&_count=1")]
    [InlineData("identifier=sys|1&_sort=name")]
    [InlineData("_include=Observation:subject&code=x")]
    public void Empty_or_result_shaping_criteria_are_refused(string query)
    {
        var e = Assert.Throws<FhirOperationException>(() => ConditionalCriteria.Parse("Patient", query));
        Assert.Equal(400, e.Status);
    }

    [Theory]
    [InlineData("Patient?identifier=sys|1", "Patient")]
    [InlineData("Observation?code=x", "Observation")]
    public void A_conditional_reference_reads_as_criteria(string reference, string type)
    {
        var criteria = ConditionalCriteria.FromReference(reference);
        Assert.NotNull(criteria);
        Assert.Equal(type, criteria.Type);
    }

    [Theory]
    [InlineData("Patient/1")]
    [InlineData("urn:uuid:0a1b2c3d-0000-0000-0000-000000000000")]
    [InlineData("https://other.example/fhir/Patient?identifier=x")]
    [InlineData("Encounter?identifier=x")]
    public void An_ordinary_reference_is_no_criteria(string reference)
    {
        Assert.Null(ConditionalCriteria.FromReference(reference));
    }
}
