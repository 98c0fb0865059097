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
