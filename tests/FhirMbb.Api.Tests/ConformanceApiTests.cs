using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using FhirMbb.Core;
using FhirMbb.Testing;
using Hl7.Fhir.Model;

namespace FhirMbb.Api.Tests;

public sealed class ConformanceApiTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task A_profile_is_found_by_canonical_url_and_read_by_id()
    {
        var search = await (await _client.GetAsync($"/fhir/StructureDefinition?url={Uri.EscapeDataString(Canonicals.Profiles.MbbPainScore)}")).ReadAs<Bundle>();

        Assert.Equal(Bundle.BundleType.Searchset, search.Type);
        var profile = Assert.IsType<StructureDefinition>(Assert.Single(search.Entry).Resource);
        Assert.Equal(Canonicals.Profiles.MbbPainScore, profile.Url);
        var read = await (await _client.GetAsync($"/fhir/StructureDefinition/{profile.Id}")).ReadAs<StructureDefinition>();
        Assert.Equal(profile.Url, read.Url);
    }

    [Fact]
    public async Task Search_by_url_and_version_name_and_type()
    {
        var profile = await (await _client.GetAsync("/fhir/StructureDefinition/mbb-procedure")).ReadAs<StructureDefinition>();

        var byVersion = await (await _client.GetAsync($"/fhir/StructureDefinition?url={Uri.EscapeDataString(profile.Url + "|" + profile.Version)}")).ReadAs<Bundle>();
        var wrongVersion = await (await _client.GetAsync($"/fhir/StructureDefinition?url={Uri.EscapeDataString(profile.Url + "|0.0.0-none")}")).ReadAs<Bundle>();
        var byType = await (await _client.GetAsync("/fhir/StructureDefinition?type=Observation")).ReadAs<Bundle>();
        var byName = await (await _client.GetAsync($"/fhir/StructureDefinition?name={profile.Name}")).ReadAs<Bundle>();

        Assert.Single(byVersion.Entry);
        Assert.Empty(wrongVersion.Entry);
        Assert.Contains(byType.Entry, e => ((StructureDefinition)e.Resource).Url == Canonicals.Profiles.MbbPainScore);
        Assert.DoesNotContain(byType.Entry, e => ((StructureDefinition)e.Resource).Url == Canonicals.Profiles.MbbProcedure);
        Assert.Equal(profile.Url, ((StructureDefinition)Assert.Single(byName.Entry).Resource).Url);
    }

    [Theory]
    [InlineData("ValueSet", "mbb-procedure-codes")]
    [InlineData("CodeSystem", "mbb")]
    [InlineData("ConceptMap", "facet-joint-to-medial-branch")]
    [InlineData("OperationDefinition", "evaluate-block")]
    public async Task Every_published_type_is_readable(string type, string id)
    {
        var response = await _client.GetAsync($"/fhir/{type}/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, (await response.ReadAs<Resource>()).TypeName);
    }

    [Fact]
    public async Task Published_content_is_read_only()
    {
        var profile = await (await _client.GetAsync("/fhir/StructureDefinition/mbb-procedure")).ReadAs<StructureDefinition>();
        await (await _client.PutAsync("/fhir/StructureDefinition/mbb-procedure", FhirTest.Json(profile))).AssertOutcome(HttpStatusCode.MethodNotAllowed);
        await (await _client.PostAsync("/fhir/StructureDefinition", FhirTest.Json(profile))).AssertOutcome(HttpStatusCode.MethodNotAllowed);
        await (await _client.GetAsync("/fhir/StructureDefinition/not-ours")).AssertOutcome(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Unknown_search_parameters_are_ignored_unless_handling_is_strict()
    {
        var lenient = await _client.GetAsync("/fhir/ValueSet?colour=blue");
        Assert.Equal(HttpStatusCode.OK, lenient.StatusCode);
        var strict = await _client.SendAsync(FhirTest.Request(HttpMethod.Get, "/fhir/ValueSet?colour=blue", null, ("Prefer", "handling=strict")));
        await strict.AssertOutcome(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_capability_statement_lists_profiles_and_operations()
    {
        var statement = await (await _client.GetAsync("/fhir/metadata")).ReadAs<CapabilityStatement>();
        var procedure = statement.Rest[0].Resource.Single(r => r.Type == "Procedure");
        Assert.Contains(Canonicals.Profiles.MbbProcedure, procedure.SupportedProfile);
        Assert.Contains(procedure.Operation, o => o.Name == "evaluate-block" && o.Definition == Canonicals.Operations.EvaluateBlock);
        Assert.Contains(statement.Rest[0].Resource, r => r.Type == "ConceptMap");
    }

    [Fact]
    public async Task An_invalid_pain_score_is_refused_with_422_listing_each_issue_and_nothing_is_stored()
    {
        var score = MbbBuilders.PainScore(o =>
        {
            o.Value = new Integer(11);
            o.PartOf = [];
            o.Subject = new ResourceReference("Patient/p422");
        });
        var before = (await (await _client.GetAsync("/fhir/Observation/_history?_count=1000")).ReadAs<Bundle>()).Entry.Count;

        var response = await _client.PostAsync("/fhir/Observation", FhirTest.Json(score));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var outcome = await response.ReadAs<OperationOutcome>();
        var error = Assert.Single(outcome.Issue, i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
        Assert.Contains("mbb-ps-1", error.Diagnostics + error.Details?.Text);
        Assert.Contains(error.Expression, e => e.StartsWith("Observation.value"));
        Assert.Equal(before, (await (await _client.GetAsync("/fhir/Observation/_history?_count=1000")).ReadAs<Bundle>()).Entry.Count);
    }

    [Fact]
    public async Task A_procedure_coded_as_a_block_without_laterality_is_refused()
    {
        var block = MbbBuilders.Block(p =>
        {
            p.Meta = null; // not claimed: it is evidently a block by its code
            MbbBuilders.RemoveExtension(p, Canonicals.Extensions.Laterality);
        });
        var response = await _client.PostAsync("/fhir/Procedure", FhirTest.Json(block));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var outcome = await response.ReadAs<OperationOutcome>();
        Assert.Contains(outcome.Issue, i => (i.Details?.Text + i.Diagnostics).Contains("laterality"));
    }

    [Fact]
    public async Task An_ordinary_clinic_pain_score_is_accepted_as_any_observation()
    {
        // Synthea's visit pain scores: LOINC 72514-3, a fractional {score} quantity, no MBB extension.
        var score = FhirTest.PainScore();
        score.Value = new Quantity { Value = 0.42m, Unit = "{score}", System = "http://unitsofmeasure.org", Code = "{score}" };
        var response = await _client.PostAsync("/fhir/Observation", FhirTest.Json(score));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Validate_answers_200_with_the_outcome_even_when_invalid()
    {
        var invalid = MbbBuilders.PainScore(o => o.Value = new Integer(11));
        var valid = MbbBuilders.PainScore();

        var bad = await _client.PostAsync("/fhir/Observation/$validate", FhirTest.Json(invalid));
        var good = await _client.PostAsync("/fhir/Observation/$validate", FhirTest.Json(new Parameters
        {
            Parameter = [new Parameters.ParameterComponent { Name = "resource", Resource = valid }, new Parameters.ParameterComponent { Name = "mode", Value = new Code("create") }],
        }));

        Assert.Equal(HttpStatusCode.OK, bad.StatusCode);
        Assert.Contains((await bad.ReadAs<OperationOutcome>()).Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.DoesNotContain((await good.ReadAs<OperationOutcome>()).Issue, i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);
    }

    [Fact]
    public async Task Validate_an_instance_against_a_named_profile()
    {
        var plain = await _client.CreateAsync(FhirTest.PainScore());
        var response = await _client.GetAsync($"/fhir/Observation/{plain.Id}/$validate?profile={Uri.EscapeDataString(Canonicals.Profiles.MbbPainScore)}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // A plain visit score lacks the assessment phase the MBB profile requires.
        Assert.Contains((await response.ReadAs<OperationOutcome>()).Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
    }

    [Fact]
    public async Task Translate_l4_l5_gives_l3_and_l4_medial_branches()
    {
        var url = $"/fhir/ConceptMap/$translate?url={Uri.EscapeDataString(Canonicals.ConceptMaps.FacetJointToMedialBranch)}&system={Uri.EscapeDataString(Canonicals.CodeSystems.SpinalFacetJoint)}&code=L4-L5";
        var answer = await (await _client.GetAsync(url)).ReadAs<Parameters>();
        Assert.True(((FhirBoolean)answer.Parameter.Single(p => p.Name == "result").Value).Value);
        var nerves = answer.Parameter.Where(p => p.Name == "match").Select(m => ((Coding)m.Part.Single(p => p.Name == "concept").Value).Code);
        Assert.Equal(["L3-MB", "L4-MB"], nerves.Order());
    }

    [Fact]
    public async Task Expand_validate_code_and_lookup_answer_from_local_content()
    {
        var expansion = await (await _client.GetAsync($"/fhir/ValueSet/$expand?url={Uri.EscapeDataString(Canonicals.ValueSets.ProcedureCodes)}")).ReadAs<ValueSet>();
        Assert.Contains(expansion.Expansion.Contains, c => c.Code == "64493");

        var check = await (await _client.GetAsync($"/fhir/ValueSet/$validate-code?url={Uri.EscapeDataString(Canonicals.ValueSets.ProcedureCodes)}&system={Uri.EscapeDataString(Canonicals.CodeSystems.Cpt)}&code=99213")).ReadAs<Parameters>();
        Assert.False(((FhirBoolean)check.Parameter.Single(p => p.Name == "result").Value).Value);

        var lookup = await (await _client.GetAsync($"/fhir/CodeSystem/$lookup?system={Uri.EscapeDataString(Canonicals.CodeSystems.SpinalMedialBranch)}&code=C3-TON")).ReadAs<Parameters>();
        Assert.Contains("occipital", ((FhirString)lookup.Parameter.Single(p => p.Name == "display").Value).Value, StringComparison.OrdinalIgnoreCase);

        await (await _client.GetAsync("/fhir/ValueSet/$expand?url=https://example.org/none")).AssertOutcome(HttpStatusCode.NotFound);
        await (await _client.GetAsync("/fhir/ValueSet/$expand")).AssertOutcome(HttpStatusCode.BadRequest);
        // A code without its system: the client's error (R4 $validate-code), not the server's.
        await (await _client.GetAsync($"/fhir/ValueSet/$validate-code?url={Uri.EscapeDataString(Canonicals.ValueSets.ProcedureCodes)}&code=64493")).AssertOutcome(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Concurrent_terminology_operations_answer_each_one()
    {
        var url = Uri.EscapeDataString(Canonicals.ValueSets.ProcedureCodes);
        var system = Uri.EscapeDataString(Canonicals.CodeSystems.Cpt);
        var answers = await Task.WhenAll(Enumerable.Range(0, 24).Select(async i => i % 2 == 0
            ? (await (await _client.GetAsync($"/fhir/ValueSet/$expand?url={url}")).ReadAs<ValueSet>()).Expansion.Contains.Any(c => c.Code == "64493")
            : ((FhirBoolean)(await (await _client.GetAsync($"/fhir/ValueSet/$validate-code?url={url}&system={system}&code=64493")).ReadAs<Parameters>())
                .Parameter.Single(p => p.Name == "result").Value).Value == true));
        Assert.All(answers, Assert.True);
    }

    [Fact]
    public async Task Readiness_waits_for_the_validator()
    {
        var ready = await _client.GetAsync("/readyz");
        var body = await ready.ReadJson();
        Assert.True(body.GetProperty("checks").TryGetProperty("validator", out var validator));
        Assert.Equal(ready.StatusCode == HttpStatusCode.OK, validator.GetString() == "ready");
    }
}
