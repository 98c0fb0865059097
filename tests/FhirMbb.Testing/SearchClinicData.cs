using Hl7.Fhir.Model;

namespace FhirMbb.Testing;

/// <summary>
/// The small fixed clinic the search tests run on, through the API and against each store: three patients, two
/// blocks, five observations, two conditions, under known ids, so each search can list exactly the ids it returns.
/// </summary>
public static class SearchClinicData
{
    public const string TargetJointUrl = "https://fhirmbb.org/fhir/StructureDefinition/mbb-target-joint";
    public const string FacetJointSystem = "https://fhirmbb.org/fhir/CodeSystem/spinal-facet-joint";

    /// <summary>
    /// Searches over this clinic and the ids each must return, in order: run through HTTP by the API tests and
    /// against each store by the search contract (query text as after the base URL; expected ids comma-separated).
    /// </summary>
    public static IEnumerable<object[]> MatchingCases() =>
    [
        ["Observation?code=72514-3", "obs-1,obs-2,obs-3"],
        ["Observation?code=http://loinc.org|8867-4", "obs-4"],
        ["Observation?code=http://snomed.info/sct|8867-4", ""],
        ["Patient?identifier=|MRN-1", ""],
        ["Patient?identifier=http://clinic.example.org/mrn|", "pat-a,pat-b"],
        ["Patient?identifier=MRN-2", "pat-b"],
        ["Observation?code:not=72514-3", "obs-4,obs-5"],
        ["Observation?code:text=douleur", "obs-5"],
        ["Observation?code:text=PAIN%20sev", "obs-1,obs-2,obs-3"],
        ["Patient?active:missing=true", "pat-c"],
        ["Patient?active:missing=false", "pat-a,pat-b"],
        ["Patient?active=true", "pat-a"],
        ["Patient?gender=female", "pat-a,pat-c"],
        ["Patient?gender=http://hl7.org/fhir/administrative-gender|male", "pat-b"],
        ["Patient?email=anna@example.org", "pat-a"],
        ["Observation?status=final,preliminary", "obs-1,obs-2,obs-3,obs-4,obs-5"],
        ["Condition?clinical-status=active", "cond-1"],
        ["Patient?family=muller", "pat-a"],
        ["Patient?family=MUEL", "pat-b"],
        ["Patient?name=mu", "pat-a,pat-b"],
        ["Patient?family:exact=Müller", "pat-a"],
        ["Patient?family:exact=müller", ""],
        ["Patient?family:contains=smi", "pat-b,pat-c"],
        ["Patient?address-city=zurich", "pat-a"],
        ["Patient?given=anna,carol", "pat-a,pat-c"],
        ["Patient?birthdate=1970", "pat-a"],
        ["Patient?birthdate=1985-03", ""],
        ["Patient?birthdate=eq1985", "pat-b"],
        ["Patient?birthdate=ne1985", "pat-a,pat-c"],
        ["Patient?birthdate=lt1985", "pat-a"],
        ["Patient?birthdate=gt1985", "pat-c"],
        ["Patient?birthdate=ge1985", "pat-b,pat-c"],
        ["Patient?birthdate=le1985", "pat-a,pat-b"],
        ["Patient?birthdate=sa1985-06", "pat-c"],
        ["Patient?birthdate=eb1985-06", "pat-a"],
        ["Patient?birthdate=ap1970-05-13", "pat-a"],
        ["Observation?date=2026-11-01", "obs-1,obs-2,obs-3"],
        ["Observation?date=ge2026-11-01T09:00:00Z&date=lt2026-11-01T12:00:00Z", "obs-2"],
        ["Observation?date=ge2015", "obs-1,obs-2,obs-3,obs-4"],
        ["Procedure?date=2026-10", "proc-2"],
        ["Procedure?date=gt2026-10-01T12:00:00Z", "proc-1,proc-2"],
        ["Procedure?date=eb2026-10-15", "proc-2"],
        ["Condition?onset-date=lt2021", "cond-2"],
        ["Observation?subject=pat-a", "obs-1,obs-2,obs-3"],
        ["Observation?subject=Patient/pat-b", "obs-4"],
        ["Observation?subject:Patient=pat-b", "obs-4"],
        ["Observation?patient=pat-a", "obs-1,obs-2,obs-3"],
        ["Observation?subject=https://other.example.org/fhir/Patient/pat-c", "obs-5"],
        ["Observation?subject=http://localhost/fhir/Patient/pat-a", "obs-1,obs-2,obs-3"],
        ["Observation?part-of=Procedure/proc-1", "obs-1,obs-2,obs-3"],
        ["Observation?part-of:missing=true", "obs-4,obs-5"],
        ["Observation?value-quantity=gt100", "obs-4"],
        ["Observation?value-quantity=lt100", "obs-2,obs-3,obs-5"],
        ["Observation?value-quantity=100", "obs-5"],
        ["Observation?value-quantity=100.0", ""],
        ["Observation?value-quantity=ge105", "obs-4"],
        ["Observation?value-quantity=le1", "obs-3"],
        ["Observation?value-quantity=ne2", "obs-3,obs-4,obs-5"],
        ["Observation?value-quantity=ap100", "obs-4,obs-5"],
        ["Observation?value-quantity=2|http://unitsofmeasure.org|{score}", "obs-2"],
        ["Observation?value-quantity=gt0||mg", "obs-5"],
        ["Observation?value-quantity=gt0|http://unitsofmeasure.org|/min", "obs-4"],
        ["Condition?_profile=https://fhirmbb.org/fhir/StructureDefinition/mbb-axial-pain-condition", "cond-2"],
        ["Condition?_profile:below=https://fhirmbb.org/fhir/StructureDefinition/", "cond-2"],
        ["Condition?_tag=https://fhirmbb.org/fhir/CodeSystem/mbb|imported", "cond-2"],
        ["Condition?_security:missing=true", "cond-1,cond-2"],
        ["Patient?_id=pat-a,pat-c", "pat-a,pat-c"],
        // _id with token modifiers: an id matches a code without a system; it has no text
        ["Patient?_id:not=pat-a", "pat-b,pat-c"],
        ["Patient?_id:not=pat-a,pat-c", "pat-b"],
        ["Patient?_id:not=|pat-b", "pat-a,pat-c"],
        ["Patient?_id:not=http://example.org/ids|pat-a", "pat-a,pat-b,pat-c"],
        ["Patient?_id:text=pat-a", ""],
        ["Observation?code=72514-3&_id:not=obs-1", "obs-2,obs-3"],
        ["Observation?subject:Patient._id:not=pat-a", "obs-4,obs-5"],
        ["Patient?_lastUpdated=gt2000-01-01", "pat-a,pat-b,pat-c"],
        ["Patient?_lastUpdated=lt2000-01-01", ""],
        ["Procedure?target-joint=L4-L5", "proc-1"],
        ["Procedure?target-joint=https://fhirmbb.org/fhir/CodeSystem/spinal-facet-joint|C2-C3", "proc-2"],
        ["Observation?code=72514-3,8867-4&subject=pat-b", "obs-4"],
        ["Observation?code=72514-3&date=2026-11-01T15:00:00Z", "obs-3"],
        ["Observation?subject:Patient.identifier=http://clinic.example.org/mrn|MRN-2", "obs-4"],
        ["Observation?subject.name=muller", "obs-1,obs-2,obs-3"],
        ["Observation?part-of:Procedure.status=completed", "obs-1,obs-2,obs-3"],
        ["Patient?_has:Observation:patient:code=8867-4", "pat-b"],
        ["Procedure?_has:Observation:part-of:value-quantity=lt2", "proc-1"],
        ["Patient?_has:Condition:subject:code=M47.816", "pat-a"],
        ["Patient/pat-a/Observation?value-quantity=lt5", "obs-2,obs-3"],
        ["Patient/pat-b/Condition", "cond-2"],
    ];

    public static IEnumerable<Resource> Resources()
    {
        yield return Patient("pat-a", "Müller", "Anna", AdministrativeGender.Female, "1970-05-12", "MRN-1", active: true, city: "Zürich", email: "anna@example.org");
        yield return Patient("pat-b", "Mueller-Smith", "Bob", AdministrativeGender.Male, "1985", "MRN-2", active: false, city: "Bern", email: null);
        yield return Patient("pat-c", "Smith", "Carol", AdministrativeGender.Female, "2001-02", null, active: null, city: null, email: null);

        yield return Block("proc-1", "pat-a", "64493", new FhirDateTime("2026-11-01T09:00:00Z"), EventStatus.Completed, "L4-L5");
        yield return Block("proc-2", "pat-b", "64490", new Period { Start = "2026-10-01", End = "2026-10-02" }, EventStatus.NotDone, "C2-C3");

        yield return Score("obs-1", "pat-a", "2026-11-01T08:30:00Z", new Integer(7), "proc-1");
        yield return Score("obs-2", "pat-a", "2026-11-01T09:30:00Z", new Quantity { Value = 2, Unit = "score", System = "http://unitsofmeasure.org", Code = "{score}" }, "proc-1");
        yield return Score("obs-3", "pat-a", "2026-11-01T15:00:00Z", new Quantity { Value = 1, Unit = "score", System = "http://unitsofmeasure.org", Code = "{score}" }, "proc-1");
        yield return new Observation
        {
            Id = "obs-4", Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4", "Heart rate"),
            Subject = new ResourceReference("Patient/pat-b"),
            Effective = new FhirDateTime("2015-06-01"),
            Value = new Quantity { Value = 105, Unit = "/min", System = "http://unitsofmeasure.org", Code = "/min" },
        };
        yield return new Observation
        {
            Id = "obs-5", Status = ObservationStatus.Preliminary,
            Code = new CodeableConcept { Text = "Douleur sévère" },
            Subject = new ResourceReference("https://other.example.org/fhir/Patient/pat-c"),
            Effective = new FhirDateTime("2014"),
            Value = new Quantity { Value = 99.5m, Unit = "mg", System = "http://unitsofmeasure.org", Code = "mg" },
        };

        yield return new Condition
        {
            Id = "cond-1", Subject = new ResourceReference("Patient/pat-a"),
            Code = new CodeableConcept("http://hl7.org/fhir/sid/icd-10-cm", "M47.816", "Spondylosis without myelopathy or radiculopathy, lumbar region"),
            ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
            Onset = new FhirDateTime("2025-01-15"),
        };
        yield return new Condition
        {
            Id = "cond-2", Subject = new ResourceReference("Patient/pat-b"),
            Code = new CodeableConcept("http://snomed.info/sct", "279039007", "Low back pain"),
            ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved"),
            Onset = new FhirDateTime("2020"),
            Meta = new Meta { Tag = [new Coding("https://fhirmbb.org/fhir/CodeSystem/mbb", "imported")], Profile = ["https://fhirmbb.org/fhir/StructureDefinition/mbb-axial-pain-condition"] },
        };
    }

    public static Patient Patient(string id, string family, string given, AdministrativeGender gender, string birthDate, string? mrn, bool? active, string? city, string? email)
    {
        var patient = new Patient
        {
            Id = id,
            Name = [new HumanName { Family = family, Given = [given] }],
            Gender = gender,
            BirthDate = birthDate,
            Active = active,
        };
        if (mrn is not null) patient.Identifier.Add(new Identifier("http://clinic.example.org/mrn", mrn));
        if (city is not null) patient.Address.Add(new Address { City = city, Country = "CH" });
        if (email is not null) patient.Telecom.Add(new ContactPoint(ContactPoint.ContactPointSystem.Email, null, email));
        return patient;
    }

    private static Procedure Block(string id, string patient, string cpt, DataType performed, EventStatus status, string joint) => new()
    {
        Id = id,
        Status = status,
        Subject = new ResourceReference($"Patient/{patient}"),
        Code = new CodeableConcept("http://www.ama-assn.org/go/cpt", cpt),
        Performed = performed,
        Extension = [new Extension(TargetJointUrl, new CodeableConcept(FacetJointSystem, joint))],
    };

    public static Observation Score(string id, string patient, string effective, DataType value, string block) => new()
    {
        Id = id,
        Status = ObservationStatus.Final,
        Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", "survey")],
        Code = new CodeableConcept("http://loinc.org", "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported"),
        Subject = new ResourceReference($"Patient/{patient}"),
        Effective = new FhirDateTime(effective),
        Value = value,
        PartOf = [new ResourceReference($"Procedure/{block}")],
    };
}
