using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using FhirMbb.Core.Serialization;
using FhirMbb.Testing;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

public sealed class BundleTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static Bundle.EntryComponent Post(Resource resource, string fullUrl) => new()
    {
        FullUrl = fullUrl,
        Resource = resource,
        Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = resource.TypeName },
    };

    private static string Urn() => "urn:uuid:" + Guid.NewGuid();

    private static Bundle Transaction(params Bundle.EntryComponent[] entries) => new() { Type = Bundle.BundleType.Transaction, Entry = [.. entries] };

    private async Task<int> CountAsync(string type) =>
        (await (await _client.GetAsync($"/fhir/{type}/_history?_count=1000")).ReadAs<Bundle>()).Entry.Count;

    /// <summary>
    /// A transaction of plain creates drops each parsed resource once its version is prepared, so the parsed bundle is
    /// garbage while the transaction waits for its commit; one with an update keeps them, as a retry prepares it again.
    /// </summary>
    [Fact]
    public async Task Creates_release_their_parsed_resources_before_the_commit_and_an_update_keeps_them()
    {
        var bundles = (FhirMbb.Core.Bundles.BundleService)factory.Services.GetService(typeof(FhirMbb.Core.Bundles.BundleService))!;
        var patientUrl = Urn();
        var creates = Transaction(Post(FhirTest.PainScore(), Urn()), Post(FhirTest.Patient("Released"), patientUrl));
        ((Observation)creates.Entry[0].Resource).Subject = new ResourceReference(patientUrl);

        var created = await bundles.ProcessAsync(creates, CancellationToken.None);

        Assert.All(created.Entries, e => Assert.StartsWith("201", e.Status));
        Assert.All(creates.Entry, e => Assert.Null(e.Resource));
        var patientId = created.Entries[1].Stored!.Id;
        var stored = await (await _client.GetAsync($"/fhir/Observation/{created.Entries[0].Stored!.Id}")).ReadAs<Observation>();
        Assert.Equal($"Patient/{patientId}", stored.Subject.Reference);

        var update = FhirTest.Patient("Kept");
        update.Id = patientId;
        var mixed = Transaction(Post(FhirTest.Patient("Other"), Urn()), new Bundle.EntryComponent
        {
            Resource = update,
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"Patient/{patientId}" },
        });

        var answered = await bundles.ProcessAsync(mixed, CancellationToken.None);

        Assert.Equal(["201 Created", "200 OK"], answered.Entries.Select(e => e.Status));
        Assert.All(mixed.Entry, e => Assert.NotNull(e.Resource));
    }

    [Fact]
    public async Task A_transaction_stores_every_entry_and_points_urn_uuid_references_at_the_new_ids()
    {
        var patientUrl = "urn:uuid:" + Guid.NewGuid();
        var scoreUrl = "urn:uuid:" + Guid.NewGuid();
        var bundle = Transaction(Post(FhirTest.PainScore(), scoreUrl), Post(FhirTest.Patient("Urn"), patientUrl));
        ((Observation)bundle.Entry[0].Resource).Subject = new ResourceReference(patientUrl);

        var response = await _client.PostAsync("/fhir", FhirTest.Json(bundle));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<Bundle>();
        Assert.Equal(Bundle.BundleType.TransactionResponse, answer.Type);
        Assert.All(answer.Entry, e => Assert.StartsWith("201", e.Response.Status));
        var patientId = answer.Entry[1].Response.Location.Split('/')[1];
        var scoreLocation = answer.Entry[0].Response.Location;
        var score = await (await _client.GetAsync($"/fhir/{scoreLocation}")).ReadAs<Observation>();
        Assert.Equal($"Patient/{patientId}", score.Subject.Reference);
    }

    [Fact]
    public async Task A_reference_in_an_extension_of_a_primitive_is_pointed_at_the_new_id_too()
    {
        var patientUrl = Urn();
        var score = FhirTest.PainScore();
        // The walk over a resource skips primitives without extensions; one with an extension may hold a reference.
        score.StatusElement.Extension.Add(new Extension("http://example.org/fhir/StructureDefinition/status-source", new ResourceReference(patientUrl)));
        var bundle = Transaction(Post(score, Urn()), Post(FhirTest.Patient("Extension"), patientUrl));

        var response = await _client.PostAsync("/fhir", FhirTest.Json(bundle));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<Bundle>();
        var patientId = answer.Entry[1].Response.Location.Split('/')[1];
        var stored = await (await _client.GetAsync($"/fhir/{answer.Entry[0].Response.Location}")).ReadAs<Observation>();
        var reference = Assert.IsType<ResourceReference>(Assert.Single(stored.StatusElement.Extension).Value);
        Assert.Equal($"Patient/{patientId}", reference.Reference);
    }

    /// <summary>
    /// A relative reference in an entry under a RESTful fullUrl ([base]/Type/id) names [base]/Type/id, here another
    /// entry, which gets a new id. In an entry under a urn the same reference names a resource on this server.
    /// </summary>
    [Fact]
    public async Task A_relative_reference_resolves_against_the_base_of_its_entry_s_full_url()
    {
        var source = "http://example.org/fhir";
        var sentId = "p" + Guid.NewGuid().ToString("N")[..12];
        var fromRest = FhirTest.PainScore();
        fromRest.Subject = new ResourceReference($"Patient/{sentId}");
        var fromUrn = FhirTest.PainScore();
        fromUrn.Subject = new ResourceReference($"Patient/{sentId}");
        var bundle = Transaction(
            Post(fromRest, $"{source}/Observation/o1"),
            Post(FhirTest.Patient("Rest"), $"{source}/Patient/{sentId}"),
            Post(fromUrn, Urn()));

        var response = await _client.PostAsync("/fhir", FhirTest.Json(bundle));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<Bundle>();
        var patientId = answer.Entry[1].Response.Location.Split('/')[1];
        Assert.NotEqual(sentId, patientId);
        var rest = await (await _client.GetAsync($"/fhir/{answer.Entry[0].Response.Location}")).ReadAs<Observation>();
        Assert.Equal($"Patient/{patientId}", rest.Subject.Reference);
        var urn = await (await _client.GetAsync($"/fhir/{answer.Entry[2].Response.Location}")).ReadAs<Observation>();
        Assert.Equal($"Patient/{sentId}", urn.Subject.Reference);
    }

    /// <summary>
    /// The transaction rules ask for every link to an entry to be rewritten, not references alone: uri and url elements
    /// and the narrative's href and src. Only urn fullUrls are followed (see BundleLinks); canonical and uuid elements
    /// keep their value.
    /// </summary>
    [Fact]
    public async Task Uri_url_and_narrative_links_that_name_an_entry_by_urn_point_at_its_new_id()
    {
        var patientUrl = Urn();
        var absoluteUrl = "http://example.org/fhir/Patient/" + Guid.NewGuid();
        var unknownUrn = Urn();
        const string Ext = "http://example.org/fhir/StructureDefinition/link-";
        var linking = FhirTest.Patient("Linking");
        linking.Extension.Add(new Extension(Ext + "uri", new FhirUri(patientUrl)));
        linking.Extension.Add(new Extension(Ext + "url", new FhirUrl(patientUrl)));
        linking.Extension.Add(new Extension(Ext + "canonical", new Canonical(patientUrl)));
        linking.Extension.Add(new Extension(Ext + "uuid", new Uuid(patientUrl)));
        linking.Extension.Add(new Extension(Ext + "absolute", new FhirUri(absoluteUrl)));
        linking.Extension.Add(new Extension(Ext + "unknown", new FhirUri(unknownUrn)));
        linking.Link = [new Patient.LinkComponent { Other = new ResourceReference(absoluteUrl), Type = Patient.LinkType.Seealso }];
        linking.Text = new Narrative
        {
            Status = Narrative.NarrativeStatus.Generated,
            Div = $"""<div xmlns="http://www.w3.org/1999/xhtml"><a href="{patientUrl}">the patient</a> <img src='{patientUrl}' alt="photo"/> <a href="{unknownUrn}">nobody</a></div>""",
        };
        var absolute = new Bundle.EntryComponent
        {
            FullUrl = absoluteUrl,
            Resource = FhirTest.Patient("Absolute"),
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" },
        };
        var bundle = Transaction(Post(linking, Urn()), Post(FhirTest.Patient("Linked"), patientUrl), absolute);

        var response = await _client.PostAsync("/fhir", FhirTest.Json(bundle));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<Bundle>();
        var linked = "Patient/" + answer.Entry[1].Response.Location.Split('/')[1];
        var absoluteLocal = "Patient/" + answer.Entry[2].Response.Location.Split('/')[1];
        var stored = await (await _client.GetAsync($"/fhir/{answer.Entry[0].Response.Location}")).ReadAs<Patient>();
        string Value(string suffix) => ((PrimitiveType)stored.GetExtension(Ext + suffix).Value).ToString()!;
        Assert.Equal(linked, Value("uri"));
        Assert.Equal(linked, Value("url"));
        Assert.Equal(patientUrl, Value("canonical"));
        Assert.Equal(patientUrl, Value("uuid"));
        Assert.Equal(absoluteUrl, Value("absolute"));
        Assert.Equal(unknownUrn, Value("unknown"));
        Assert.Equal(absoluteLocal, Assert.Single(stored.Link).Other.Reference);
        Assert.Contains($"href=\"{linked}\"", stored.Text.Div);
        Assert.Contains($"src='{linked}'", stored.Text.Div);
        Assert.Contains($"href=\"{unknownUrn}\"", stored.Text.Div);
        Assert.DoesNotContain(patientUrl, stored.Text.Div);
    }

    private static Bundle.EntryComponent Patch(string url, Resource patch, string? ifMatch = null) => new()
    {
        Resource = patch,
        Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PATCH, Url = url, IfMatch = ifMatch },
    };

    private static Binary JsonPatchBinary(string json) => new() { ContentType = "application/json-patch+json", Data = System.Text.Encoding.UTF8.GetBytes(json) };

    /// <summary>
    /// PATCH entries in a transaction: a JSON Patch in a Binary and a FHIRPath Patch in a Parameters, each applied to the
    /// current version and stored as the next; a reference to another entry inside the patch is rewritten like any other.
    /// </summary>
    [Fact]
    public async Task A_transaction_patches_with_json_patch_and_fhirpath_patch_beside_a_create()
    {
        var first = await _client.CreateAsync(FhirTest.PainScore(score: 7));
        var second = await _client.CreateAsync(FhirTest.PainScore(score: 5));
        var newUrl = Urn();
        var bundle = Transaction(
            Patch($"Observation/{first.Id}", JsonPatchBinary("""[{"op":"test","path":"/valueInteger","value":7},{"op":"replace","path":"/valueInteger","value":3}]"""), ifMatch: "W/\"1\""),
            Patch($"Observation/{second.Id}", FhirTest.FhirPathPatch("add", "Observation", new ResourceReference(newUrl), name: "focus")),
            Post(FhirTest.PainScore(score: 2), newUrl));

        var response = await _client.PostAsync("/fhir", FhirTest.Json(bundle));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<Bundle>();
        Assert.Equal(["200 OK", "200 OK", "201 Created"], answer.Entry.Select(e => e.Response.Status));
        var created = answer.Entry[2].Response.Location.Split('/')[1];
        var patched = await (await _client.GetAsync($"/fhir/Observation/{first.Id}")).ReadAs<Observation>();
        Assert.Equal("2", patched.Meta.VersionId);
        Assert.Equal(3, ((Integer)patched.Value).Value);
        var focused = await (await _client.GetAsync($"/fhir/Observation/{second.Id}")).ReadAs<Observation>();
        Assert.Equal("2", focused.Meta.VersionId);
        Assert.Equal($"Observation/{created}", Assert.Single(focused.Focus).Reference);
    }

    /// <summary>A patch whose result breaks a profile is refused like an update that does (422), and the transaction stores nothing.</summary>
    [Fact]
    public async Task A_transaction_whose_patch_breaks_a_profile_is_422_and_stores_nothing()
    {
        var patient = await _client.CreateAsync(FhirTest.Patient("PatchProfile"));
        var score = await _client.CreateAsync(MbbBuilders.PainScore(o => { o.Subject = new ResourceReference($"Patient/{patient.Id}"); o.PartOf = []; }));
        var before = await CountAsync("Patient");
        var bundle = Transaction(
            Post(FhirTest.Patient("NotStored"), Urn()),
            Patch($"Observation/{score.Id}", JsonPatchBinary("""[{"op":"replace","path":"/valueInteger","value":11}]""")));

        var response = await _client.PostAsync("/fhir", FhirTest.Json(bundle));

        var outcome = await response.AssertOutcome(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("entry 1", outcome);
        Assert.Equal(before, await CountAsync("Patient"));
        var current = await (await _client.GetAsync($"/fhir/Observation/{score.Id}")).ReadAs<Observation>();
        Assert.Equal("1", current.Meta.VersionId);
    }

    /// <summary>A conditional PATCH (Type?criteria) patches the one resource its criteria select; none is 404, several 412.</summary>
    [Fact]
    public async Task A_conditional_patch_patches_the_one_match_and_refuses_none_or_several()
    {
        var (one, mrn, twin) = await _client.CreatePatientsByMrnAsync();
        var activate = FhirTest.FhirPathPatch("add", "Patient", new FhirBoolean(true), name: "active");

        var response = await _client.PostAsync("/fhir", FhirTest.Json(Transaction(Patch($"Patient?identifier={FhirTest.MrnSystem}|{mrn}", activate))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<Bundle>();
        Assert.Equal($"Patient/{one}/_history/2", answer.Entry[0].Response.Location);
        Assert.True((await (await _client.GetAsync($"/fhir/Patient/{one}")).ReadAs<Patient>()).Active);

        var batch = new Bundle
        {
            Type = Bundle.BundleType.Batch,
            Entry = [Patch($"Patient?identifier={FhirTest.MrnSystem}|{Guid.NewGuid():N}", activate), Patch($"Patient?identifier={FhirTest.MrnSystem}|{twin}", activate)],
        };
        var answers = await (await _client.PostAsync("/fhir", FhirTest.Json(batch))).ReadAs<Bundle>();
        Assert.Equal(["404 Not Found", "412 Precondition Failed"], answers.Entry.Select(e => e.Response.Status));
    }

    /// <summary>A read entry's ifNoneMatch and ifModifiedSince: 304 without the resource when the client's copy is current.</summary>
    [Fact]
    public async Task Read_entries_honour_if_none_match_and_if_modified_since()
    {
        var patient = await _client.CreateAsync(FhirTest.Patient("NotModified"));
        var lastUpdated = patient.Meta.LastUpdated!.Value;
        Bundle.EntryComponent Read(string? ifNoneMatch = null, DateTimeOffset? ifModifiedSince = null) => new()
        {
            Request = new Bundle.RequestComponent
            {
                Method = Bundle.HTTPVerb.GET, Url = $"Patient/{patient.Id}", IfNoneMatch = ifNoneMatch, IfModifiedSince = ifModifiedSince,
            },
        };
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Batch,
            Entry = [Read("W/\"1\""), Read("W/\"2\""), Read(ifModifiedSince: lastUpdated), Read(ifModifiedSince: lastUpdated.AddSeconds(-1)), Read()],
        };

        var answer = await (await _client.PostAsync("/fhir", FhirTest.Json(bundle))).ReadAs<Bundle>();

        Assert.Equal(["304 Not Modified", "200 OK", "304 Not Modified", "200 OK", "200 OK"], answer.Entry.Select(e => e.Response.Status));
        Assert.Null(answer.Entry[0].Resource);
        Assert.Null(answer.Entry[2].Resource);
        Assert.Equal(patient.Id, answer.Entry[1].Resource.Id);
    }

    [Fact]
    public async Task A_batch_answers_each_patch_on_its_own()
    {
        var score = await _client.CreateAsync(FhirTest.PainScore(score: 4));
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Batch,
            Entry =
            [
                Patch($"Observation/{score.Id}", JsonPatchBinary("""[{"op":"replace","path":"/valueInteger","value":1}]""")),
                Patch($"Observation/{Guid.NewGuid():N}", JsonPatchBinary("""[{"op":"replace","path":"/valueInteger","value":1}]""")),
                Patch($"Observation/{score.Id}", JsonPatchBinary("""[{"op":"replace","path":"/valueInteger","value":2}]"""), ifMatch: "W/\"1\""),
                Patch($"Observation/{score.Id}", new Binary { ContentType = "text/plain", Data = [1] }),
                Patch($"Observation/{score.Id}", JsonPatchBinary("""[{"op":"replace","path":"/id","value":"other"}]""")),
            ],
        };

        var response = await _client.PostAsync("/fhir", FhirTest.Json(bundle));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<Bundle>();
        Assert.Equal(["200 OK", "404 Not Found", "412 Precondition Failed", "400 Bad Request", "422 Unprocessable Entity"], answer.Entry.Select(e => e.Response.Status));
        var current = await (await _client.GetAsync($"/fhir/Observation/{score.Id}")).ReadAs<Observation>();
        Assert.Equal("2", current.Meta.VersionId);
        Assert.Equal(1, ((Integer)current.Value).Value);
    }

    [Fact]
    public async Task A_transaction_with_a_bad_entry_in_the_middle_changes_nothing_and_names_the_entry()
    {
        var before = await CountAsync("Patient");
        var badUrl = Urn();
        var bad = Post(FhirTest.Patient(), badUrl);
        bad.Request.Url = "Observation"; // body and URL disagree
        var bundle = Transaction(Post(FhirTest.Patient("First"), Urn()), bad, Post(FhirTest.Patient("Third"), Urn()));

        var response = await _client.PostAsync("/fhir", FhirTest.Json(bundle));

        var message = await response.AssertOutcome(HttpStatusCode.BadRequest);
        Assert.Contains($"entry 1 ({badUrl})", message);
        Assert.Equal(before, await CountAsync("Patient"));
    }

    [Fact]
    public async Task A_large_transaction_answers_every_entry_with_its_own_stored_resource()
    {
        // Several hundred kilobytes each way: the body and the answer outgrow any first guess at their size.
        var entries = Enumerable.Range(0, 400).Select(i => Post(FhirTest.Patient($"Large{i}-" + new string('x', 600)), Urn())).ToArray();

        var response = await _client.PostAsync("/fhir", FhirTest.Json(Transaction(entries)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<Bundle>();
        Assert.Equal(400, answer.Entry.Count);
        for (var i = 0; i < answer.Entry.Count; i++)
        {
            var patient = Assert.IsType<Patient>(answer.Entry[i].Resource);
            Assert.StartsWith($"Large{i}-", patient.Name[0].Family);
            Assert.Equal($"Patient/{patient.Id}/_history/1", answer.Entry[i].Response.Location);
        }
    }

    [Fact]
    public async Task A_stale_if_match_fails_the_whole_transaction_with_412()
    {
        var existing = await _client.CreateAsync(FhirTest.Patient());
        await _client.PutAsync($"/fhir/Patient/{existing.Id}", FhirTest.Json(existing));
        var before = await CountAsync("Observation");
        var update = new Bundle.EntryComponent
        {
            Resource = existing,
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"Patient/{existing.Id}", IfMatch = "W/\"1\"" },
        };

        var response = await _client.PostAsync("/fhir", FhirTest.Json(Transaction(Post(FhirTest.PainScore(), Urn()), update)));

        var message = await response.AssertOutcome(HttpStatusCode.PreconditionFailed);
        Assert.Contains("entry 1", message);
        Assert.Equal(before, await CountAsync("Observation"));
    }

    [Fact]
    public async Task Duplicate_full_urls_or_two_entries_on_one_resource_are_400()
    {
        var same = Urn();
        var duplicateUrls = Transaction(Post(FhirTest.Patient(), same), Post(FhirTest.Patient(), same));
        await (await _client.PostAsync("/fhir", FhirTest.Json(duplicateUrls))).AssertOutcome(HttpStatusCode.BadRequest);

        var patient = FhirTest.Patient();
        patient.Id = "twice";
        Bundle.EntryComponent Put() => new() { Resource = patient, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = "Patient/twice" } };
        var message = await (await _client.PostAsync("/fhir", FhirTest.Json(Transaction(Put(), Put())))).AssertOutcome(HttpStatusCode.BadRequest);
        Assert.Contains("Patient/twice", message);
    }

    [Fact]
    public async Task A_batch_answers_each_entry_on_its_own()
    {
        var existing = await _client.CreateAsync(FhirTest.Patient());
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Batch,
            Entry =
            [
                Post(FhirTest.Patient("Good"), Urn()),
                new() { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = "Patient/nobody-here" } },
                new() { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = $"Patient/{existing.Id}" } },
                new() { Resource = FhirTest.PainScore(), Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" } },
                new() { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.DELETE, Url = $"Patient/{existing.Id}" } },
            ],
        };

        var answer = await (await _client.PostAsync("/fhir", FhirTest.Json(bundle))).ReadAs<Bundle>();

        Assert.Equal(Bundle.BundleType.BatchResponse, answer.Type);
        Assert.Equal(["201", "404", "200", "400", "204"], answer.Entry.Select(e => e.Response.Status[..3]));
        Assert.IsType<OperationOutcome>(answer.Entry[1].Response.Outcome);
        Assert.Equal(existing.Id, answer.Entry[2].Resource.Id);
        await (await _client.GetAsync($"/fhir/Patient/{existing.Id}")).AssertOutcome(HttpStatusCode.Gone);
    }

    [Fact]
    public async Task Gets_in_a_transaction_see_its_writes()
    {
        var patient = FhirTest.Patient("Seen");
        patient.Id = "seen-" + Guid.NewGuid().ToString("N")[..8];
        var bundle = Transaction(
            new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = $"Patient/{patient.Id}" } },
            new Bundle.EntryComponent { Resource = patient, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"Patient/{patient.Id}" } });

        var answer = await (await _client.PostAsync("/fhir", FhirTest.Json(bundle))).ReadAs<Bundle>();

        Assert.Equal("200 OK", answer.Entry[0].Response.Status);
        Assert.Equal("Seen", ((Patient)answer.Entry[0].Resource).Name[0].Family);
        Assert.StartsWith("201", answer.Entry[1].Response.Status);
    }

    [Fact]
    public async Task Prefer_return_minimal_leaves_the_resources_out()
    {
        var request = FhirTest.Request(HttpMethod.Post, "/fhir", FhirTest.Json(Transaction(Post(FhirTest.Patient(), Urn()))), ("Prefer", "return=minimal"));
        var answer = await (await _client.SendAsync(request)).ReadAs<Bundle>();
        Assert.Null(answer.Entry[0].Resource);
        Assert.NotNull(answer.Entry[0].Response.Location);
    }

    [Fact]
    public async Task Something_other_than_a_batch_or_transaction_is_400()
    {
        await (await _client.PostAsync("/fhir", FhirTest.Json(new Bundle { Type = Bundle.BundleType.Collection }))).AssertOutcome(HttpStatusCode.BadRequest);
        await (await _client.PostAsync("/fhir", FhirTest.Json(FhirTest.Patient()))).AssertOutcome(HttpStatusCode.BadRequest);
    }
}

/// <summary>Every Synthea bundle loads as a transaction, and each Observation ends up pointing at its own bundle's Patient.</summary>
public sealed class SyntheaTransactionTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    [Fact]
    public async Task Every_synthea_bundle_loads_and_observations_point_at_the_patient_of_their_bundle()
    {
        var client = factory.CreateClient();
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "data", "synthea-r4"), "patient-*.json").Order().ToList();
        Assert.Equal(60, files.Count);
        var loaded = 0;
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(file);
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(FhirTest.JsonType);
            var response = await client.SendAsync(FhirTest.Request(HttpMethod.Post, "/fhir", content, ("Prefer", "return=minimal")));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{Path.GetFileName(file)}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var answer = await response.ReadAs<Bundle>();
            var source = (Bundle)FhirSerialization.Shared.ParseJson(bytes);
            Assert.Equal(source.Entry.Count, answer.Entry.Count);
            loaded += answer.Entry.Count;

            var patientId = answer.Entry.Select(e => e.Response.Location).Single(l => l.StartsWith("Patient/")).Split('/')[1];
            var observationLocations = answer.Entry.Select(e => e.Response.Location).Where(l => l.StartsWith("Observation/")).Take(5);
            foreach (var location in observationLocations)
            {
                var observation = await (await client.GetAsync($"/fhir/{location}")).ReadAs<Observation>();
                Assert.Equal($"Patient/{patientId}", observation.Subject.Reference);
            }
        }
        Assert.Equal(10_359, loaded);
    }
}
