using System.Net;
using System.Text;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests.Smart;

/// <summary>PATCH, bundles and $evaluate-block under a patient token: nothing of another patient is reached.</summary>
public sealed class SmartNewEndpointsTests(SmartApiFactory factory) : IClassFixture<SmartApiFactory>
{
    private const string Me = "smart-new-me";
    private const string Other = "smart-new-other";

    private async Task<(HttpClient Admin, HttpClient PatientApp, BlockCase Theirs)> SetUpAsync()
    {
        var admin = factory.ClientWithScopes("user/*.cruds");
        foreach (var id in new[] { Me, Other })
        {
            var patient = FhirTest.Patient(id);
            patient.Id = id;
            Assert.True((await admin.PutAsync($"/fhir/Patient/{id}", FhirTest.Json(patient))).IsSuccessStatusCode);
        }
        var theirs = new BlockCase();
        await theirs.CreateAsync(admin);
        return (admin, factory.ClientWithScopes("patient/*.cruds", theirs.PatientId == Me ? Other : Me), theirs);
    }

    [Fact]
    public async Task A_patient_token_cannot_patch_another_patients_resource()
    {
        var (admin, app, theirs) = await SetUpAsync();
        var score = await admin.CreateAsync(FhirTest.PainScore(theirs.PatientId));

        var response = await app.PatchAsync($"/fhir/Observation/{score.Id}",
            new StringContent("""[{"op":"replace","path":"/status","value":"amended"}]""", Encoding.UTF8, "application/json-patch+json"));

        await response.AssertOutcome(HttpStatusCode.NotFound);
        Assert.Equal("1", (await (await admin.GetAsync($"/fhir/Observation/{score.Id}")).ReadAs<Observation>()).Meta.VersionId);
    }

    [Fact]
    public async Task A_patient_token_cannot_evaluate_another_patients_block()
    {
        var (_, app, theirs) = await SetUpAsync();
        await (await app.GetAsync($"/fhir/Procedure/{theirs.ProcedureIds[0]}/$evaluate-block")).AssertOutcome(HttpStatusCode.NotFound);
        var body = new Parameters().Add("patient", new ResourceReference($"Patient/{theirs.PatientId}"));
        await (await app.PostAsync("/fhir/Procedure/$evaluate-block", FhirTest.Json(body))).AssertOutcome(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_patient_token_cannot_send_a_transaction_and_a_user_token_can()
    {
        var (admin, app, _) = await SetUpAsync();
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry = [new Bundle.EntryComponent { FullUrl = "urn:uuid:" + Guid.NewGuid(), Resource = FhirTest.PainScore(Other), Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Observation" } }],
        };

        await (await app.PostAsync("/fhir", FhirTest.Json(bundle))).AssertOutcome(HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/fhir", FhirTest.Json(bundle))).StatusCode);
        await (await factory.ClientWithScopes("user/Patient.rs").PostAsync("/fhir", FhirTest.Json(bundle))).AssertOutcome(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_patient_token_searches_only_its_own_compartment()
    {
        var (admin, app, theirs) = await SetUpAsync();
        var me = theirs.PatientId == Me ? Other : Me;
        var mine = await admin.CreateAsync(FhirTest.PainScore(me));
        // Their diary entry points at my procedure, so an include from my side would reach it if unfiltered.
        var myBlock = await admin.CreateAsync(FhirTest.Procedure(me));
        var stray = FhirTest.PainScore(theirs.PatientId);
        stray.PartOf = [new ResourceReference($"Procedure/{myBlock.Id}")];
        await admin.CreateAsync(stray);

        var all = await (await app.GetAsync("/fhir/Observation?_count=1000")).ReadAs<Bundle>();
        var withDiary = await (await app.GetAsync($"/fhir/Procedure?_id={myBlock.Id}&_revinclude=Observation:part-of")).ReadAs<Bundle>();

        Assert.Contains(all.Entry, e => e.Resource.Id == mine.Id);
        Assert.All(all.Entry, e => Assert.Equal($"Patient/{me}", ((Observation)e.Resource).Subject.Reference));
        Assert.Equal([myBlock.Id], withDiary.Entry.Select(e => e.Resource.Id));
        await (await app.GetAsync($"/fhir/Patient/{theirs.PatientId}/Observation")).AssertOutcome(HttpStatusCode.NotFound);
    }
}
