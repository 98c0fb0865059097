namespace FhirMbb.Api.Tests.Search;

/// <summary>One search per parameter type, modifier and prefix over the fixed clinic of <see cref="SearchDataFixture"/>.</summary>
public sealed class SearchParameterTests(SearchDataFixture data) : IClassFixture<SearchDataFixture>
{
    [Theory]
    // token: code, system|code, |code, system|, :not, :text, :missing, boolean, enum code with its system, identifier, telecom
    [InlineData("Observation?code=72514-3", "obs-1,obs-2,obs-3")]
    [InlineData("Observation?code=http://loinc.org|8867-4", "obs-4")]
    [InlineData("Observation?code=http://snomed.info/sct|8867-4", "")]
    [InlineData("Patient?identifier=|MRN-1", "")]
    [InlineData("Patient?identifier=http://clinic.example.org/mrn|", "pat-a,pat-b")]
    [InlineData("Patient?identifier=MRN-2", "pat-b")]
    [InlineData("Observation?code:not=72514-3", "obs-4,obs-5")]
    [InlineData("Observation?code:text=douleur", "obs-5")]
    [InlineData("Observation?code:text=PAIN%20sev", "obs-1,obs-2,obs-3")]
    [InlineData("Patient?active:missing=true", "pat-c")]
    [InlineData("Patient?active:missing=false", "pat-a,pat-b")]
    [InlineData("Patient?active=true", "pat-a")]
    [InlineData("Patient?gender=female", "pat-a,pat-c")]
    [InlineData("Patient?gender=http://hl7.org/fhir/administrative-gender|male", "pat-b")]
    [InlineData("Patient?email=anna@example.org", "pat-a")]
    [InlineData("Observation?status=final,preliminary", "obs-1,obs-2,obs-3,obs-4,obs-5")]
    [InlineData("Condition?clinical-status=active", "cond-1")]
    // token :in / :not-in against the ValueSets the server publishes (terminology/) and the core ones
    [InlineData("Condition?code:in=https://fhirmbb.org/fhir/ValueSet/mbb-axial-pain-codes", "cond-1,cond-2")]
    [InlineData("Condition?code:not-in=https://fhirmbb.org/fhir/ValueSet/mbb-axial-pain-codes", "")]
    [InlineData("Procedure?code:in=https://fhirmbb.org/fhir/ValueSet/mbb-rfa-procedure-codes", "")]
    [InlineData("Procedure?code:in=https://fhirmbb.org/fhir/ValueSet/mbb-rfa-procedure-codes,https://fhirmbb.org/fhir/ValueSet/mbb-procedure-codes", "proc-1,proc-2")]
    [InlineData("Observation?code:not-in=https://fhirmbb.org/fhir/ValueSet/mbb-axial-pain-codes&subject=pat-a", "obs-1,obs-2,obs-3")]
    [InlineData("Condition?clinical-status:in=http://hl7.org/fhir/ValueSet/condition-clinical", "cond-1,cond-2")]
    [InlineData("Observation?status:not-in=http://hl7.org/fhir/ValueSet/observation-status", "")]
    // string: starts-with, case- and accent-insensitive, :exact, :contains
    [InlineData("Patient?family=muller", "pat-a")]
    [InlineData("Patient?family=MUEL", "pat-b")]
    [InlineData("Patient?name=mu", "pat-a,pat-b")]
    [InlineData("Patient?family:exact=Müller", "pat-a")]
    [InlineData("Patient?family:exact=müller", "")]
    [InlineData("Patient?family:contains=smi", "pat-b,pat-c")]
    [InlineData("Patient?address-city=zurich", "pat-a")]
    [InlineData("Patient?given=anna,carol", "pat-a,pat-c")]
    // date: each prefix over ranges, partial dates on both sides
    [InlineData("Patient?birthdate=1970", "pat-a")]
    [InlineData("Patient?birthdate=1985-03", "")]
    [InlineData("Patient?birthdate=eq1985", "pat-b")]
    [InlineData("Patient?birthdate=ne1985", "pat-a,pat-c")]
    [InlineData("Patient?birthdate=lt1985", "pat-a")]
    [InlineData("Patient?birthdate=gt1985", "pat-c")]
    [InlineData("Patient?birthdate=ge1985", "pat-b,pat-c")]
    [InlineData("Patient?birthdate=le1985", "pat-a,pat-b")]
    [InlineData("Patient?birthdate=sa1985-06", "pat-c")]
    [InlineData("Patient?birthdate=eb1985-06", "pat-a")]
    [InlineData("Patient?birthdate=ap1970-05-13", "pat-a")]
    [InlineData("Observation?date=2026-11-01", "obs-1,obs-2,obs-3")]
    [InlineData("Observation?date=ge2026-11-01T09:00:00Z&date=lt2026-11-01T12:00:00Z", "obs-2")]
    [InlineData("Observation?date=ge2015", "obs-1,obs-2,obs-3,obs-4")]
    [InlineData("Procedure?date=2026-10", "proc-2")]
    [InlineData("Procedure?date=gt2026-10-01T12:00:00Z", "proc-1,proc-2")]
    [InlineData("Procedure?date=eb2026-10-15", "proc-2")]
    [InlineData("Condition?onset-date=lt2021", "cond-2")]
    // reference: id, Type/id, absolute URL, :Type, :identifier, :missing
    [InlineData("Observation?subject=pat-a", "obs-1,obs-2,obs-3")]
    [InlineData("Observation?subject=Patient/pat-b", "obs-4")]
    [InlineData("Observation?subject:Patient=pat-b", "obs-4")]
    [InlineData("Observation?patient=pat-a", "obs-1,obs-2,obs-3")]
    [InlineData("Observation?subject=https://other.example.org/fhir/Patient/pat-c", "obs-5")]
    [InlineData("Observation?subject=http://localhost/fhir/Patient/pat-a", "obs-1,obs-2,obs-3")]
    [InlineData("Observation?part-of=Procedure/proc-1", "obs-1,obs-2,obs-3")]
    [InlineData("Observation?part-of:missing=true", "obs-4,obs-5")]
    // quantity: prefixes, precision, units
    [InlineData("Observation?value-quantity=gt100", "obs-4")]
    [InlineData("Observation?value-quantity=lt100", "obs-2,obs-3,obs-5")]
    [InlineData("Observation?value-quantity=100", "obs-5")]
    [InlineData("Observation?value-quantity=100.0", "")]
    [InlineData("Observation?value-quantity=ge105", "obs-4")]
    [InlineData("Observation?value-quantity=le1", "obs-3")]
    [InlineData("Observation?value-quantity=ne2", "obs-3,obs-4,obs-5")]
    [InlineData("Observation?value-quantity=ap100", "obs-4,obs-5")]
    [InlineData("Observation?value-quantity=2|http://unitsofmeasure.org|{score}", "obs-2")]
    [InlineData("Observation?value-quantity=gt0||mg", "obs-5")]
    [InlineData("Observation?value-quantity=gt0|http://unitsofmeasure.org|/min", "obs-4")]
    // uri, _id, _lastUpdated, _tag, _profile
    [InlineData("Condition?_profile=https://fhirmbb.org/fhir/StructureDefinition/mbb-axial-pain-condition", "cond-2")]
    [InlineData("Condition?_profile:below=https://fhirmbb.org/fhir/StructureDefinition", "cond-2")]
    [InlineData("Condition?_profile:below=https://fhirmbb.org/fhir/StructureDefinition/", "cond-2")]
    [InlineData("Condition?_profile:below=https://fhirmbb.org/fhir/Structure", "")]
    [InlineData("Condition?_profile:above=https://fhirmbb.org/fhir/StructureDefinition/mbb-axial-pain-condition/_history/2", "cond-2")]
    [InlineData("Condition?_profile:above=https://fhirmbb.org/fhir/StructureDefinition/mbb-axial-pain-condition", "cond-2")]
    [InlineData("Condition?_profile:above=https://fhirmbb.org/fhir/StructureDefinition", "")]
    [InlineData("Condition?_profile:above=https://fhirmbb.org/fhir/StructureDefinition/mbb-axial-pain-conditionx", "")]
    [InlineData("Condition?_tag=https://fhirmbb.org/fhir/CodeSystem/mbb|imported", "cond-2")]
    [InlineData("Condition?_security:missing=true", "cond-1,cond-2")]
    [InlineData("Patient?_id=pat-a,pat-c", "pat-a,pat-c")]
    [InlineData("Patient?_lastUpdated=gt2000-01-01", "pat-a,pat-b,pat-c")]
    [InlineData("Patient?_lastUpdated=lt2000-01-01", "")]
    // custom SearchParameter on an MBB extension, loaded at start-up
    [InlineData("Procedure?target-joint=L4-L5", "proc-1")]
    [InlineData("Procedure?target-joint=https://fhirmbb.org/fhir/CodeSystem/spinal-facet-joint|C2-C3", "proc-2")]
    // composite over the resource itself: both parts on one Observation; commas OR whole pairs
    [InlineData("Observation?code-value-quantity=http://loinc.org|8867-4$gt100", "obs-4")]
    [InlineData("Observation?code-value-quantity=72514-3$lt2", "obs-3")]
    [InlineData("Observation?code-value-quantity=72514-3$gt100", "")]
    [InlineData("Observation?code-value-quantity=8867-4$lt2,72514-3$le2", "obs-2,obs-3")]
    [InlineData("Observation?code-value-quantity=72514-3$2|http://unitsofmeasure.org|{score}", "obs-2")]
    [InlineData("Patient?_has:Observation:patient:code-value-quantity=8867-4$ge105", "pat-b")]
    // OR within a parameter, AND across repeats
    [InlineData("Observation?code=72514-3,8867-4&subject=pat-b", "obs-4")]
    [InlineData("Observation?code=72514-3&date=2026-11-01T15:00:00Z", "obs-3")]
    // chains and _has, one level
    [InlineData("Observation?subject:Patient.identifier=http://clinic.example.org/mrn|MRN-2", "obs-4")]
    [InlineData("Observation?subject.name=muller", "obs-1,obs-2,obs-3")]
    [InlineData("Observation?part-of:Procedure.status=completed", "obs-1,obs-2,obs-3")]
    [InlineData("Patient?_has:Observation:patient:code=8867-4", "pat-b")]
    [InlineData("Procedure?_has:Observation:part-of:value-quantity=lt2", "proc-1")]
    [InlineData("Patient?_has:Condition:subject:code=M47.816", "pat-a")]
    // compartment search
    [InlineData("Patient/pat-a/Observation?value-quantity=lt5", "obs-2,obs-3")]
    [InlineData("Patient/pat-b/Condition", "cond-2")]
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
