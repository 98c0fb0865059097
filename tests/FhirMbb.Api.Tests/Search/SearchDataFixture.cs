using System.Text.Json;
using FhirMbb.Api.Tests.Infrastructure;
using FhirMbb.Core.Serialization;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests.Search;

/// <summary>
/// A server holding a small, fixed clinic: three patients, two blocks, five observations, two conditions,
/// stored under known ids so each search can list exactly the ids it must return. Also carries one custom
/// SearchParameter (target-joint on the MBB extension), loaded at start-up from a directory of JSON files.
/// </summary>
public sealed class SearchDataFixture : FhirApiFactory, IAsyncLifetime
{
    public const string TargetJointUrl = "https://fhirmbb.org/fhir/StructureDefinition/mbb-target-joint";
    public const string FacetJointSystem = "https://fhirmbb.org/fhir/CodeSystem/spinal-facet-joint";
    private readonly string _parameters = Path.Combine(Path.GetTempPath(), "fhirmbb-search-params", Guid.NewGuid().ToString("N"));

    public SearchDataFixture()
    {
        Directory.CreateDirectory(_parameters);
        var targetJoint = new SearchParameter
        {
            Url = "https://fhirmbb.org/fhir/SearchParameter/mbb-target-joint",
            Name = "TargetJoint",
            Status = PublicationStatus.Active,
            Description = "The facet joint a block targets",
            Code = "target-joint",
            Base = [ResourceType.Procedure],
            Type = SearchParamType.Token,
            Expression = $"Procedure.extension('{TargetJointUrl}').value",
        };
        File.WriteAllText(Path.Combine(_parameters, "SearchParameter-mbb-target-joint.json"), FhirSerialization.Shared.ToJsonString(targetJoint));
    }

    // The data here exercises search, not the profiles: its sparse MBB-coded blocks would not pass validation.
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
        [new("Search:ParameterDirectory", _parameters), new("Validation:Mode", "off")];

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Client = CreateClient();
        foreach (var resource in Resources()) await Put(resource);
    }

    Task IAsyncLifetime.DisposeAsync()
    {
        try { Directory.Delete(_parameters, true); } catch (IOException) { /* temp folder */ }
        return Task.CompletedTask;
    }

    public async Task Put(Resource resource)
    {
        var response = await Client.PutAsync($"/fhir/{resource.TypeName}/{resource.Id}", FhirTest.Json(resource));
        Assert.True(response.IsSuccessStatusCode, $"PUT {resource.TypeName}/{resource.Id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The ids of the matches (search mode "match") of a search, sorted, comma-separated.</summary>
    public async Task<string> MatchIds(string url, params (string, string)[] headers)
    {
        var bundle = await Bundle(url, headers);
        return string.Join(",", Entries(bundle, "match").Select(e => e.GetProperty("resource").GetProperty("id").GetString()).Order(StringComparer.Ordinal));
    }

    public async Task<JsonElement> Bundle(string url, params (string, string)[] headers)
    {
        var response = await Client.SendAsync(FhirTest.Request(HttpMethod.Get, url, null, headers));
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var bundle = await response.ReadJson();
        Assert.Equal("searchset", bundle.GetProperty("type").GetString());
        return bundle;
    }

    public static IEnumerable<JsonElement> Entries(JsonElement bundle, string? mode = null) =>
        bundle.TryGetProperty("entry", out var entries)
            ? entries.EnumerateArray().Where(e => mode is null || e.GetProperty("search").GetProperty("mode").GetString() == mode)
            : [];

    private static IEnumerable<Resource> Resources()
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

    private static Patient Patient(string id, string family, string given, AdministrativeGender gender, string birthDate, string? mrn, bool? active, string? city, string? email)
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

    private static Observation Score(string id, string patient, string effective, DataType value, string block) => new()
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
