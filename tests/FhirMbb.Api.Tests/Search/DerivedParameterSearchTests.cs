using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests.Search;

/// <summary>
/// Observations whose subjects and components tell a derived parameter's rows apart from its sources' rows:
/// patient is subject to a Patient only, combo-code and combo-value-quantity are the value's and the components'.
/// </summary>
public sealed class DerivedParameterFixture : FhirApiFactory, IAsyncLifetime
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Validation:Mode", "off")];

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Client = CreateClient();
        foreach (var resource in Resources())
        {
            var response = await Client.PutAsync($"/fhir/{resource.TypeName}/{resource.Id}", FhirTest.Json(resource));
            Assert.True(response.IsSuccessStatusCode, $"PUT {resource.TypeName}/{resource.Id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    private static Observation Observation(string id, string code, ResourceReference? subject, decimal? value) => new()
    {
        Id = id,
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", code),
        Subject = subject,
        Value = value is null ? null : new Quantity(value.Value, "/min"),
    };

    /// <summary>In this order, so ties in a sort fall in it: obs-bp, obs-hr, obs-group, obs-ident, obs-none, obs-abs.</summary>
    private static IEnumerable<Resource> Resources()
    {
        yield return new Patient { Id = "pa", Name = [new HumanName { Family = "Ada" }] };
        yield return new Patient { Id = "pb", Name = [new HumanName { Family = "Bea" }] };
        var pressure = Observation("obs-bp", "85354-9", new ResourceReference("Patient/pa"), null);
        pressure.Component =
        [
            new Observation.ComponentComponent { Code = new CodeableConcept("http://loinc.org", "8480-6"), Value = new Quantity(120, "mm[Hg]") },
            new Observation.ComponentComponent { Code = new CodeableConcept("http://loinc.org", "8462-4"), Value = new Quantity(80, "mm[Hg]") },
        ];
        yield return pressure;
        yield return Observation("obs-hr", "8867-4", new ResourceReference("Patient/pb"), 72);
        yield return Observation("obs-group", "8867-4", new ResourceReference("Group/g1"), 3);
        yield return Observation("obs-ident", "8867-4", new ResourceReference { Identifier = new Identifier("http://ids", "42") }, 6);
        yield return Observation("obs-none", "29463-7", null, 1);
        yield return Observation("obs-abs", "8867-4", new ResourceReference("https://other.example.org/fhir/Patient/pa"), null);
    }
}

public sealed class DerivedParameterSearchTests(DerivedParameterFixture data) : IClassFixture<DerivedParameterFixture>
{
    private async Task<List<string>> Ids(string query, string mode = "match")
    {
        var response = await data.Client.GetAsync("/fhir/" + query);
        Assert.True(response.IsSuccessStatusCode, $"GET {query}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var bundle = await response.ReadJson();
        return SearchDataFixture.Entries(bundle, mode)
            .Select(e => e.GetProperty("resource"))
            .Select(r => mode == "match" ? r.GetProperty("id").GetString()! : $"{r.GetProperty("resourceType").GetString()}/{r.GetProperty("id").GetString()}")
            .ToList();
    }

    private async Task<string> Matches(string query) => string.Join(",", (await Ids(query)).Order(StringComparer.Ordinal));

    [Theory]
    [InlineData("Observation?patient=pa", "obs-abs,obs-bp")]
    [InlineData("Observation?patient=Patient/pb", "obs-hr")]
    [InlineData("Observation?subject=g1", "obs-group")]
    [InlineData("Observation?patient=g1", "")]
    [InlineData("Observation?subject:identifier=http://ids|42", "obs-ident")]
    [InlineData("Observation?patient:identifier=http://ids|42", "")]
    [InlineData("Observation?patient:missing=true", "obs-group,obs-ident,obs-none")]
    [InlineData("Observation?patient:missing=false", "obs-abs,obs-bp,obs-hr")]
    [InlineData("Observation?patient.name=ada", "obs-abs,obs-bp")]
    [InlineData("Observation?patient:Patient.name=bea", "obs-hr")]
    [InlineData("Observation?code=8867-4&patient=pa,pb", "obs-abs,obs-hr")]
    [InlineData("Observation?combo-code=8480-6", "obs-bp")]
    [InlineData("Observation?combo-code=http://loinc.org|85354-9", "obs-bp")]
    [InlineData("Observation?combo-code=8867-4", "obs-abs,obs-group,obs-hr,obs-ident")]
    [InlineData("Observation?combo-code:not=8867-4", "obs-bp,obs-none")]
    [InlineData("Observation?combo-code:not=8462-4", "obs-abs,obs-group,obs-hr,obs-ident,obs-none")]
    [InlineData("Observation?combo-code:missing=true", "")]
    [InlineData("Observation?combo-value-quantity=gt5", "obs-bp,obs-hr,obs-ident")]
    [InlineData("Observation?combo-value-quantity=gt100", "obs-bp")]
    [InlineData("Observation?combo-value-quantity=80", "obs-bp")]
    [InlineData("Observation?combo-value-quantity:missing=true", "obs-abs")]
    [InlineData("Observation?value-quantity:missing=true", "obs-abs,obs-bp")]
    [InlineData("Observation?combo-code=8867-4&combo-value-quantity=lt10", "obs-group,obs-ident")]
    [InlineData("Patient?_has:Observation:patient:code=8867-4", "pa,pb")]
    [InlineData("Patient?_has:Observation:patient:combo-code=8480-6", "pa")]
    [InlineData("Patient?_has:Observation:patient:combo-value-quantity=gt50", "pa,pb")]
    [InlineData("Patient/pa/Observation?combo-code=8462-4", "obs-bp")]
    public async Task A_derived_parameter_finds_what_its_own_rows_would_find(string query, string expected)
    {
        Assert.Equal(expected, await Matches(query + (query.Contains('?') ? "&" : "?") + "_count=100"));
    }

    [Fact]
    public async Task Include_by_patient_adds_only_the_patients_the_subjects_are()
    {
        Assert.Equal(["Patient/pb"], await Ids("Observation?_id=obs-hr,obs-group,obs-ident&_include=Observation:patient", "include"));
        Assert.Equal(["Patient/pa"], await Ids("Observation?_id=obs-bp&_include=Observation:patient:Patient", "include"));
    }

    [Fact]
    public async Task Revinclude_by_patient_adds_the_observations_of_the_patient()
    {
        var included = await Ids("Patient?_id=pa,pb&_revinclude=Observation:patient", "include");
        Assert.Equal(["Observation/obs-abs", "Observation/obs-bp", "Observation/obs-hr"], included.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Sorting_by_patient_orders_by_the_patient_and_puts_other_subjects_last()
    {
        Assert.Equal(["obs-bp", "obs-abs", "obs-hr", "obs-group", "obs-ident", "obs-none"], await Ids("Observation?_sort=patient"));
        Assert.Equal(["obs-hr", "obs-bp", "obs-abs", "obs-group", "obs-ident", "obs-none"], await Ids("Observation?_sort=-patient"));
        // By subject, the Group sorts among the patients: g1 before pa.
        Assert.Equal(["obs-group", "obs-bp", "obs-abs", "obs-hr", "obs-ident", "obs-none"], await Ids("Observation?_sort=subject"));
    }
}
