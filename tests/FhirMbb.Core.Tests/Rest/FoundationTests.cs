using FhirMbb.Core;
using FhirMbb.Core.Rest;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Rest;

public sealed class FhirIdTests
{
    [Theory]
    [InlineData("a", true)]
    [InlineData("L4-L5.block-1", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("under_score", false)]
    [InlineData("slash/ed", false)]
    public void Ids_follow_the_fhir_id_rules(string id, bool valid) => Assert.Equal(valid, FhirId.IsValid(id));

    [Fact]
    public void Sixty_four_characters_is_the_longest_id()
    {
        Assert.True(FhirId.IsValid(new string('a', 64)));
        Assert.False(FhirId.IsValid(new string('a', 65)));
    }

    [Fact]
    public void Generated_ids_are_valid_and_distinct()
    {
        // More than one 4 KiB draw of random bytes on this thread.
        var ids = Enumerable.Range(0, 5000).Select(_ => FhirId.NewId()).ToList();
        Assert.All(ids, id => Assert.True(FhirId.IsValid(id)));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void Generated_ids_are_version_7_uuids_of_the_current_millisecond()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var id = FhirId.NewId();
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var guid = Guid.Parse(id);
        Assert.Equal(7, guid.Version);
        Assert.Equal(0b10, guid.Variant >> 2);
        var ms = Convert.ToInt64(id.Replace("-", "")[..12], 16);
        Assert.InRange(ms, before, after);
        // Ids made later sort after it, as text.
        Thread.Sleep(2);
        Assert.True(string.CompareOrdinal(FhirId.NewId(), id) > 0);
    }
}

public sealed class PatientCompartmentTests
{
    [Theory]
    [InlineData("Patient/p1", "p1")]
    [InlineData("https://ehr.example.org/fhir/Patient/p1", "p1")]
    [InlineData("Patient/p1/_history/3", "p1")]
    [InlineData("Group/g1", null)]
    [InlineData("RelatedPatient/p1", null)]
    public void The_patient_of_a_subject_reference(string reference, string? expected) =>
        Assert.Equal(expected, PatientCompartment.PatientIdOf(new Observation { Subject = new ResourceReference(reference) }));

    [Fact]
    public void A_patient_is_in_its_own_compartment() =>
        Assert.Equal("p9", PatientCompartment.PatientIdOf(new Patient { Id = "p9" }));
}

public sealed class FhirSerializationTests
{
    private readonly FhirSerialization _serialization = FhirSerialization.Shared;

    [Fact]
    public void Json_and_xml_round_trip_the_same_resource()
    {
        var observation = new Observation
        {
            Id = "o1",
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "72514-3"),
            Value = new Integer(4),
        };

        var fromJson = _serialization.ParseJson(_serialization.ToJsonBytes(observation));
        var fromXml = _serialization.ParseXml(_serialization.ToXmlBytes(observation));

        Assert.True(observation.IsExactly(fromJson));
        Assert.True(observation.IsExactly(fromXml));
    }

    [Fact]
    public void Malformed_json_is_a_400_with_the_parser_message()
    {
        var e = Assert.Throws<FhirOperationException>(() => _serialization.ParseJson("{\"resourceType\":"u8));
        Assert.Equal(400, e.Status);
        Assert.Contains("JSON", e.Message);
    }

    [Fact]
    public void An_unknown_element_is_a_400_naming_it()
    {
        var e = Assert.Throws<FhirOperationException>(() => _serialization.ParseJson("{\"resourceType\":\"Patient\",\"colour\":\"blue\"}"u8));
        Assert.Equal(400, e.Status);
        Assert.Contains("colour", e.Message);
    }

    [Fact]
    public void Json_output_keeps_the_plus_of_a_time_zone_readable()
    {
        var patient = new Patient { Meta = new Meta { LastUpdated = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero) } };
        Assert.Contains("+00:00", _serialization.ToJsonString(patient));
    }
}
