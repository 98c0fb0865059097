using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests.Smart;

/// <summary>
/// A patient token probes every resource of another patient by read, vread, instance, type and system history
/// (all pages): nothing of that patient may come back, and "not yours" must read exactly like "not there".
/// </summary>
public sealed class CompartmentLeakTests : IClassFixture<CompartmentLeakTests.Clinic>
{
    public const string Me = "leak-me";
    public const string Other = "leak-victim";

    private readonly Clinic _clinic;
    private readonly HttpClient _patientApp;

    public CompartmentLeakTests(Clinic clinic)
    {
        _clinic = clinic;
        _patientApp = clinic.ClientWithScopes("patient/*.rs", Me);
    }

    /// <summary>Two patients with a little of everything: several versions, a deletion, and resources moved between them.</summary>
    public sealed class Clinic : SmartApiFactory, IAsyncLifetime
    {
        public List<(string Type, string Id, int Versions)> Theirs { get; } = [];
        public List<string> MineIds { get; } = [];
        public string MovedIn { get; private set; } = "";
        public string MovedOut { get; private set; } = "";

        public async Task InitializeAsync()
        {
            var admin = ClientWithScopes("user/*.cruds");
            foreach (var id in new[] { Me, Other })
            {
                var patient = FhirTest.Patient(id);
                patient.Id = id;
                Assert.True((await admin.PutAsync($"/fhir/Patient/{id}", FhirTest.Json(patient))).IsSuccessStatusCode);
            }
            Theirs.Add(("Patient", Other, 1));
            MineIds.Add(Me);

            foreach (var (owner, list) in new[] { (Other, (List<string>?)null), (Me, MineIds) })
            {
                var observation = await admin.CreateAsync(FhirTest.PainScore(owner, 7));
                for (var score = 6; score >= 5; score--)
                {
                    var update = (Observation)observation.DeepCopy();
                    update.Value = new Integer(score);
                    Assert.True((await admin.PutAsync($"/fhir/Observation/{observation.Id}", FhirTest.Json(update))).IsSuccessStatusCode);
                }
                var procedure = await admin.CreateAsync(FhirTest.Procedure(owner));
                var condition = await admin.CreateAsync(new Condition
                {
                    Subject = new ResourceReference($"Patient/{owner}"),
                    Code = new CodeableConcept("http://snomed.info/sct", "279039007"),
                });
                var deleted = await admin.CreateAsync(new Condition
                {
                    Subject = new ResourceReference($"Patient/{owner}"),
                    Code = new CodeableConcept("http://snomed.info/sct", "81680005"),
                });
                Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/fhir/Condition/{deleted.Id}")).StatusCode);

                if (list is null)
                {
                    Theirs.Add(("Observation", observation.Id, 3));
                    Theirs.Add(("Procedure", procedure.Id, 1));
                    Theirs.Add(("Condition", condition.Id, 1));
                    Theirs.Add(("Condition", deleted.Id, 2));
                }
                else
                {
                    list.AddRange([observation.Id, procedure.Id, condition.Id]);
                }
            }

            // Moved in: the victim's pain score re-assigned to me; its first version is still the victim's.
            var movedIn = await admin.CreateAsync(FhirTest.PainScore(Other, 9));
            var reassigned = (Observation)movedIn.DeepCopy();
            reassigned.Subject = new ResourceReference($"Patient/{Me}");
            Assert.True((await admin.PutAsync($"/fhir/Observation/{movedIn.Id}", FhirTest.Json(reassigned))).IsSuccessStatusCode);
            MovedIn = movedIn.Id;

            // Moved out: mine once, the victim's now.
            var movedOut = await admin.CreateAsync(FhirTest.PainScore(Me, 2));
            var given = (Observation)movedOut.DeepCopy();
            given.Subject = new ResourceReference($"Patient/{Other}");
            Assert.True((await admin.PutAsync($"/fhir/Observation/{movedOut.Id}", FhirTest.Json(given))).IsSuccessStatusCode);
            MovedOut = movedOut.Id;
            Theirs.Add(("Observation", movedOut.Id, 2));
        }

        Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;
    }

    [Fact]
    public async Task Reading_another_patients_resources_answers_exactly_as_for_absent_ones()
    {
        foreach (var (type, id, versions) in _clinic.Theirs)
        {
            await AssertAbsent($"/fhir/{type}/{id}", type, id);
            await AssertAbsent($"/fhir/{type}/{id}/_history", type, id);
            for (var version = 1; version <= versions; version++)
                await AssertAbsent($"/fhir/{type}/{id}/_history/{version}", type, id);
        }
    }

    [Fact]
    public async Task Type_and_system_history_on_every_page_hold_only_my_resources()
    {
        var bodies = new List<string>();
        var seen = new HashSet<string>();
        foreach (var start in new[] { "/fhir/_history?_count=2", "/fhir/Patient/_history?_count=1", "/fhir/Observation/_history?_count=2",
                     "/fhir/Procedure/_history?_count=1", "/fhir/Condition/_history?_count=1" })
        {
            string? next = start;
            while (next is not null)
            {
                var response = await _patientApp.GetAsync(next);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                bodies.Add(await response.Content.ReadAsStringAsync());
                var bundle = await response.ReadAs<Bundle>();
                foreach (var entry in bundle.Entry) seen.Add(entry.FullUrl);
                next = bundle.Link.FirstOrDefault(l => l.Relation == "next")?.Url;
            }
        }

        AssertNothingOfTheirs(bodies);
        // The control: my own resources do come back, so an empty answer would fail this test.
        foreach (var id in _clinic.MineIds.Append(_clinic.MovedIn))
            Assert.Contains(seen, url => url.EndsWith("/" + id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_resource_moved_into_my_compartment_shows_only_the_versions_that_are_mine()
    {
        Assert.Equal(HttpStatusCode.OK, (await _patientApp.GetAsync($"/fhir/Observation/{_clinic.MovedIn}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _patientApp.GetAsync($"/fhir/Observation/{_clinic.MovedIn}/_history/2")).StatusCode);
        await AssertAbsent($"/fhir/Observation/{_clinic.MovedIn}/_history/1", "Observation", _clinic.MovedIn);

        var history = await _patientApp.GetAsync($"/fhir/Observation/{_clinic.MovedIn}/_history");
        var bundle = await history.ReadAs<Bundle>();
        Assert.Equal(["2"], bundle.Entry.Select(e => e.Resource.Meta.VersionId));
        AssertNothingOfTheirs([await history.Content.ReadAsStringAsync()]);
    }

    [Fact]
    public async Task A_user_token_sees_both_patients_which_proves_the_probes_look_at_real_data()
    {
        var clinician = _clinic.ClientWithScopes("user/*.rs");
        foreach (var (type, id, _) in _clinic.Theirs.Where(t => t.Type != "Condition" || t.Versions == 1))
            Assert.Equal(HttpStatusCode.OK, (await clinician.GetAsync($"/fhir/{type}/{id}")).StatusCode);
        var deleted = _clinic.Theirs.Single(t => t.Versions == 2 && t.Type == "Condition");
        Assert.Equal(HttpStatusCode.Gone, (await clinician.GetAsync($"/fhir/Condition/{deleted.Id}")).StatusCode);
        Assert.Contains(Other, await (await clinician.GetAsync("/fhir/_history?_count=1000")).Content.ReadAsStringAsync());
    }

    private async Task AssertAbsent(string path, string type, string id)
    {
        var response = await _patientApp.GetAsync(path);
        await response.AssertOutcome(HttpStatusCode.NotFound);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(Other, body.Replace(id, "", StringComparison.Ordinal)); // the id asked for is echoed, nothing else

        // The same request for an id that never existed reads the same, but for the id itself.
        var absent = "never-" + Guid.NewGuid().ToString("N")[..8];
        var control = await _patientApp.GetAsync(path.Replace(id, absent, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, control.StatusCode);
        Assert.Equal(body.Replace(id, absent, StringComparison.Ordinal), await control.Content.ReadAsStringAsync());
    }

    private void AssertNothingOfTheirs(IEnumerable<string> bodies)
    {
        foreach (var body in bodies)
        {
            Assert.DoesNotContain(Other, body);
            foreach (var (_, id, _) in _clinic.Theirs) Assert.DoesNotContain(id, body);
        }
    }
}
