using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests.Smart;

/// <summary>Scope x interaction x compartment: each row is one token doing one thing to a resource of its own patient or another's.</summary>
public sealed class ScopeMatrixTests(SmartApiFactory factory) : IClassFixture<SmartApiFactory>
{
    public const string Me = "pat-me";
    public const string Other = "pat-other";

    public enum Probe { Read, VRead, InstanceHistory, TypeHistory, SystemHistory, Create, Update, Move, Delete }

    private readonly HttpClient _admin = factory.ClientWithScopes("system/*.cruds");

    [Theory]
    // v1 user scopes: read is r+s, write is c+u+d, * is everything, across patients.
    [InlineData("user/Observation.read", null, Probe.Read, Other, 200)]
    [InlineData("user/Observation.read", null, Probe.VRead, Other, 200)]
    [InlineData("user/Observation.read", null, Probe.InstanceHistory, Other, 200)]
    [InlineData("user/Observation.read", null, Probe.TypeHistory, Other, 200)]
    [InlineData("user/Observation.read", null, Probe.SystemHistory, Other, 200)]
    [InlineData("user/Observation.read", null, Probe.Create, Other, 403)]
    [InlineData("user/Observation.read", null, Probe.Update, Other, 403)]
    [InlineData("user/Observation.read", null, Probe.Delete, Other, 403)]
    [InlineData("user/*.write", null, Probe.Read, Me, 403)]
    [InlineData("user/*.write", null, Probe.Create, Other, 201)]
    [InlineData("user/*.write", null, Probe.Update, Other, 200)]
    [InlineData("user/*.write", null, Probe.Delete, Other, 204)]
    [InlineData("user/*.*", null, Probe.Read, Other, 200)]
    [InlineData("user/*.*", null, Probe.Move, Other, 200)]
    [InlineData("user/Patient.read", null, Probe.Read, Me, 403)]
    [InlineData("user/Patient.read", null, Probe.TypeHistory, Me, 403)]
    // v2 letters, one at a time: r is read/vread/instance history, s is search and type/system history.
    [InlineData("user/Observation.r", null, Probe.Read, Other, 200)]
    [InlineData("user/Observation.r", null, Probe.InstanceHistory, Other, 200)]
    [InlineData("user/Observation.r", null, Probe.TypeHistory, Other, 403)]
    [InlineData("user/Observation.r", null, Probe.SystemHistory, Other, 403)]
    [InlineData("user/Observation.s", null, Probe.Read, Other, 403)]
    [InlineData("user/Observation.s", null, Probe.TypeHistory, Other, 200)]
    [InlineData("user/Observation.c", null, Probe.Create, Other, 201)]
    [InlineData("user/Observation.c", null, Probe.Update, Other, 403)]
    [InlineData("user/Observation.u", null, Probe.Update, Other, 200)]
    [InlineData("user/Observation.u", null, Probe.Create, Other, 403)]
    [InlineData("user/Observation.d", null, Probe.Delete, Other, 204)]
    [InlineData("user/Observation.d", null, Probe.Read, Other, 403)]
    [InlineData("user/Procedure.cruds", null, Probe.Read, Other, 403)]
    [InlineData("user/Observation.rcs", null, Probe.Read, Other, 403)] // letters out of order: not a scope
    // system/ scopes: backend services, every patient.
    [InlineData("system/Observation.rs", null, Probe.Read, Other, 200)]
    [InlineData("system/Observation.rs", null, Probe.Create, Other, 403)]
    [InlineData("system/*.cruds", null, Probe.Delete, Other, 204)]
    // patient/ scopes: the launch patient only; another patient's resource reads as absent (404), writes are refused (403).
    [InlineData("patient/Observation.rs", Me, Probe.Read, Me, 200)]
    [InlineData("patient/Observation.rs", Me, Probe.Read, Other, 404)]
    [InlineData("patient/Observation.rs", Me, Probe.VRead, Me, 200)]
    [InlineData("patient/Observation.rs", Me, Probe.VRead, Other, 404)]
    [InlineData("patient/Observation.rs", Me, Probe.InstanceHistory, Me, 200)]
    [InlineData("patient/Observation.rs", Me, Probe.InstanceHistory, Other, 404)]
    [InlineData("patient/Observation.rs", Me, Probe.TypeHistory, Me, 200)]
    [InlineData("patient/Observation.rs", Me, Probe.SystemHistory, Me, 200)]
    [InlineData("patient/Observation.rs", Me, Probe.Create, Me, 403)]
    [InlineData("patient/Observation.read", Me, Probe.Read, Me, 200)]
    [InlineData("patient/Observation.read", Me, Probe.Read, Other, 404)]
    [InlineData("patient/Observation.rs", null, Probe.Read, Me, 403)] // patient scope without a patient claim grants nothing
    [InlineData("patient/Observation.cruds", Me, Probe.Create, Me, 201)]
    [InlineData("patient/Observation.cruds", Me, Probe.Create, Other, 403)]
    [InlineData("patient/Observation.cruds", Me, Probe.Update, Me, 200)]
    [InlineData("patient/Observation.cruds", Me, Probe.Update, Other, 403)]
    [InlineData("patient/Observation.cruds", Me, Probe.Move, Me, 403)] // out of the compartment
    [InlineData("patient/Observation.cruds", Me, Probe.Move, Other, 403)] // into it, from another patient
    [InlineData("patient/Observation.cruds", Me, Probe.Delete, Me, 204)]
    [InlineData("patient/Observation.cruds", Me, Probe.Delete, Other, 403)]
    [InlineData("patient/*.*", Me, Probe.Read, Me, 200)]
    [InlineData("patient/*.*", Me, Probe.Read, Other, 404)]
    [InlineData("patient/*.*", Me, Probe.Create, Me, 201)]
    [InlineData("patient/*.*", Me, Probe.Create, Other, 403)]
    [InlineData("patient/*.write", Me, Probe.Read, Me, 403)]
    [InlineData("patient/*.write", Me, Probe.Update, Me, 200)]
    // Scopes add up: a user/ grant reaches where the patient/ one does not.
    [InlineData("patient/Observation.rs user/Observation.rs", Me, Probe.Read, Other, 200)]
    [InlineData("patient/Observation.rs user/Procedure.rs", Me, Probe.Read, Other, 404)]
    [InlineData("openid fhirUser launch/patient offline_access", Me, Probe.Read, Me, 403)]
    public async Task Scope_by_interaction_by_compartment(string scope, string? patient, Probe probe, string whose, int expected)
    {
        var target = await SeedObservationAsync(whose);
        var client = factory.ClientWithScopes(scope, patient);

        var response = probe switch
        {
            Probe.Read => await client.GetAsync($"/fhir/Observation/{target.Id}"),
            Probe.VRead => await client.GetAsync($"/fhir/Observation/{target.Id}/_history/1"),
            Probe.InstanceHistory => await client.GetAsync($"/fhir/Observation/{target.Id}/_history"),
            Probe.TypeHistory => await client.GetAsync("/fhir/Observation/_history"),
            Probe.SystemHistory => await client.GetAsync("/fhir/_history"),
            Probe.Create => await client.PostAsync("/fhir/Observation", FhirTest.Json(FhirTest.PainScore(whose))),
            Probe.Update => await client.PutAsync($"/fhir/Observation/{target.Id}", FhirTest.Json(WithScore(target, whose, 3))),
            Probe.Move => await client.PutAsync($"/fhir/Observation/{target.Id}", FhirTest.Json(WithScore(target, whose == Me ? Other : Me, 3))),
            Probe.Delete => await client.DeleteAsync($"/fhir/Observation/{target.Id}"),
            _ => throw new ArgumentOutOfRangeException(nameof(probe)),
        };

        Assert.True(expected == (int)response.StatusCode,
            $"{scope} (patient {patient ?? "none"}) {probe} on {whose}'s Observation: expected {expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        if (expected >= 400) await response.AssertOutcome((HttpStatusCode)expected);
        if (probe is Probe.Update or Probe.Move or Probe.Delete && expected >= 400)
            Assert.Equal("1", (await (await _admin.GetAsync($"/fhir/Observation/{target.Id}")).ReadAs<Observation>()).Meta.VersionId);
    }

    [Fact]
    public async Task A_patient_token_may_update_as_create_only_inside_its_compartment()
    {
        var client = factory.ClientWithScopes("patient/Observation.cruds", Me);
        var mine = FhirTest.PainScore(Me);
        mine.Id = "chosen-" + Guid.NewGuid().ToString("N")[..12];
        var theirs = FhirTest.PainScore(Other);
        theirs.Id = "chosen-" + Guid.NewGuid().ToString("N")[..12];

        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync($"/fhir/Observation/{mine.Id}", FhirTest.Json(mine))).StatusCode);
        await (await client.PutAsync($"/fhir/Observation/{theirs.Id}", FhirTest.Json(theirs))).AssertOutcome(HttpStatusCode.Forbidden);
        await (await _admin.GetAsync($"/fhir/Observation/{theirs.Id}")).AssertOutcome(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_patient_token_reads_its_own_patient_and_cannot_create_patients()
    {
        await SeedPatientsAsync();
        var client = factory.ClientWithScopes("patient/Patient.cruds", Me);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/fhir/Patient/{Me}")).StatusCode);
        await (await client.GetAsync($"/fhir/Patient/{Other}")).AssertOutcome(HttpStatusCode.NotFound);
        // The server picks the id of a create, so the new Patient could never be the token's own.
        var impersonation = FhirTest.Patient("Mallory");
        impersonation.Id = Me;
        await (await client.PostAsync("/fhir/Patient", FhirTest.Json(impersonation))).AssertOutcome(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_granular_scope_reads_only_matching_resources()
    {
        var survey = FhirTest.PainScore(Me);
        survey.Category.Add(new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", "survey"));
        var surveyId = (await _admin.CreateAsync(survey)).Id;
        var vitalsign = FhirTest.PainScore(Me);
        vitalsign.Category.Add(new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs"));
        var vitalId = (await _admin.CreateAsync(vitalsign)).Id;

        foreach (var scope in new[] { "patient/Observation.rs?category=survey", "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|survey" })
        {
            var client = factory.ClientWithScopes(scope, Me);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/fhir/Observation/{surveyId}")).StatusCode);
            await (await client.GetAsync($"/fhir/Observation/{vitalId}")).AssertOutcome(HttpStatusCode.NotFound);

            var history = await (await client.GetAsync("/fhir/Observation/_history?_count=1000")).ReadAs<Bundle>();
            var ids = history.Entry.Select(e => e.Resource?.Id).ToHashSet();
            Assert.Contains(surveyId, ids);
            Assert.DoesNotContain(vitalId, ids);
        }
    }

    [Fact]
    public async Task A_granular_scope_cannot_write_outside_its_restriction()
    {
        var client = factory.ClientWithScopes("user/Observation.cruds?category=survey");
        var survey = FhirTest.PainScore(Other);
        survey.Category.Add(new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", "survey"));

        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/fhir/Observation", FhirTest.Json(survey))).StatusCode);
        await (await client.PostAsync("/fhir/Observation", FhirTest.Json(FhirTest.PainScore(Other)))).AssertOutcome(HttpStatusCode.Forbidden);
    }

    private async Task SeedPatientsAsync()
    {
        foreach (var id in new[] { Me, Other })
        {
            var patient = FhirTest.Patient(id);
            patient.Id = id;
            var response = await _admin.PutAsync($"/fhir/Patient/{id}", FhirTest.Json(patient));
            Assert.True(response.IsSuccessStatusCode);
        }
    }

    private async Task<Observation> SeedObservationAsync(string patientId)
    {
        await SeedPatientsAsync();
        return (Observation)await _admin.CreateAsync(FhirTest.PainScore(patientId));
    }

    private static Observation WithScore(Observation existing, string patientId, int score)
    {
        var copy = (Observation)existing.DeepCopy();
        copy.Subject = new ResourceReference($"Patient/{patientId}");
        copy.Value = new Integer(score);
        return copy;
    }
}
