using FhirMbb.Core.Conformance;
using Hl7.Fhir.Model;
using static FhirMbb.Core.Canonicals;

namespace FhirMbb.Core.Tests.Conformance;

[Collection(ConformanceCollection.Name)]
public sealed class TerminologyTests(ValidatorFixture fixture)
{
    private IReadOnlyList<string> NervesOf(string joint) =>
        fixture.Terminology.TranslateToCodings(ConceptMaps.FacetJointToMedialBranch, CodeSystems.SpinalFacetJoint, joint).Select(c => c.Code ?? "").ToList();

    [Theory]
    [InlineData("L4-L5", "L3-MB", "L4-MB")]
    [InlineData("L5-S1", "L4-MB", "L5-DR")]
    [InlineData("L1-L2", "T12-MB", "L1-MB")]
    [InlineData("C4-C5", "C4-MB", "C5-MB")]
    [InlineData("C7-T1", "C7-MB", "C8-MB")]
    [InlineData("T12-L1", "T11-MB", "T12-MB")]
    [InlineData("T5-T6", "T4-MB", "T5-MB")]
    public void A_facet_joint_translates_to_its_two_nerves(string joint, string upperNerve, string lowerNerve)
    {
        Assert.Equal([upperNerve, lowerNerve], NervesOf(joint));
    }

    [Fact]
    public void C2_C3_translates_to_the_third_occipital_nerve_only()
    {
        Assert.Equal(["C3-TON"], NervesOf("C2-C3"));
    }

    [Fact]
    public void Every_joint_of_the_code_system_is_mapped_to_nerves_of_the_nerve_code_system()
    {
        var joints = fixture.Catalog.FindByCanonical<CodeSystem>(CodeSystems.SpinalFacetJoint)!.Concept.Select(c => c.Code ?? "").ToList();
        var nerves = fixture.Catalog.FindByCanonical<CodeSystem>(CodeSystems.SpinalMedialBranch)!.Concept.Select(c => c.Code).ToHashSet();

        Assert.Equal(23, joints.Count);
        Assert.All(joints, joint =>
        {
            var mapped = NervesOf(joint);
            Assert.Equal(joint == "C2-C3" ? 1 : 2, mapped.Count);
            Assert.All(mapped, n => Assert.Contains(n, nerves));
        });
    }

    [Fact]
    public void Translation_says_which_facts_need_verification()
    {
        var answer = fixture.Terminology.Translate(ConceptMaps.FacetJointToMedialBranch, CodeSystems.SpinalFacetJoint, "T12-L1");

        var comments = answer.Parameter.Where(p => p.Name == "match").Select(m => m.PartText("comment")).ToList();
        Assert.Equal(2, comments.Count);
        Assert.All(comments, c => Assert.Contains("verify", c));
        Assert.True(answer.Result());
    }

    [Fact]
    public void Translating_an_unknown_joint_gives_result_false()
    {
        var answer = fixture.Terminology.Translate(ConceptMaps.FacetJointToMedialBranch, CodeSystems.SpinalFacetJoint, "L6-S1");

        Assert.False(answer.Result());
        Assert.DoesNotContain(answer.Parameter, p => p.Name == "match");
    }

    [Fact]
    public async Task Procedure_codes_expand_to_the_project_code_and_cpt_64490_to_64495()
    {
        var expansion = await fixture.Terminology.ExpandAsync(ValueSets.ProcedureCodes);

        var codes = expansion.Expansion!.Contains.Select(c => $"{c.System}|{c.Code}").Order().ToList();
        Assert.Equal(
            new[] { "64490", "64491", "64492", "64493", "64494", "64495" }.Select(c => $"{CodeSystems.Cpt}|{c}")
                .Append($"{CodeSystems.Mbb}|medial-branch-block").Order(),
            codes);
    }

    [Fact]
    public async Task Our_whole_code_system_value_set_expands_to_every_joint()
    {
        var expansion = await fixture.Terminology.ExpandAsync(ValueSets.SpinalFacetJoints);

        Assert.Equal(23, expansion.Expansion!.Contains.Count);
    }

    [Fact]
    public async Task Expanding_an_unknown_value_set_is_a_not_found()
    {
        await Assert.ThrowsAsync<TerminologyResourceNotFoundException>(() => fixture.Terminology.ExpandAsync(Canonicals.Base + "/ValueSet/nope"));
    }

    [Theory]
    [InlineData("M54.16", true)]
    [InlineData("S32.000A", true)]
    [InlineData("C41.2", true)]
    [InlineData("M47.816", false)]
    public async Task Exclusion_diagnoses_validate_code_by_code(string icd10, bool excluded)
    {
        var answer = await fixture.Terminology.ValidateCodeAsync(ValueSets.ExclusionDiagnoses, CodeSystems.Icd10Cm, icd10);

        Assert.Equal(excluded, answer.Result());
    }

    [Fact]
    public async Task Validate_code_against_an_unknown_value_set_is_a_not_found()
    {
        await Assert.ThrowsAsync<TerminologyResourceNotFoundException>(() => fixture.Terminology.ValidateCodeAsync(Canonicals.Base + "/ValueSet/nope", CodeSystems.Snomed, "1"));
    }

    [Fact]
    public async Task Validate_code_asks_the_fallback_for_value_sets_it_does_not_have()
    {
        var terminology = new LocalTerminology(fixture.Catalog, new AnsweringFallback());

        var answer = await terminology.ValidateCodeAsync("http://example.org/ValueSet/external", CodeSystems.Snomed, "1");

        Assert.Equal("from fallback", answer.Text("message"));
    }

    [Fact]
    public async Task Code_system_validate_code_knows_our_nerves()
    {
        var known = await fixture.Terminology.ValidateCodeInCodeSystemAsync(CodeSystems.SpinalMedialBranch, "L5-DR");
        var unknown = await fixture.Terminology.ValidateCodeInCodeSystemAsync(CodeSystems.SpinalMedialBranch, "L5-MB");

        Assert.True(known.Result());
        Assert.False(unknown.Result());
    }

    [Fact]
    public async Task Lookup_gives_display_and_definition()
    {
        var answer = await fixture.Terminology.LookupAsync(CodeSystems.Mbb, "discordant-duration");

        Assert.Equal("Discordant duration", answer.Text("display"));
        var definition = answer.Parameter.Where(p => p.Name == "property").Single(p => p.PartText("code") == "definition");
        Assert.Contains("placebo", definition.PartText("value"));
    }

    [Fact]
    public async Task Lookup_of_an_unknown_code_is_a_not_found()
    {
        await Assert.ThrowsAsync<TerminologyResourceNotFoundException>(() => fixture.Terminology.LookupAsync(CodeSystems.Mbb, "no-such-code"));
    }

    private sealed class AnsweringFallback : ITerminologyFallback
    {
        public Task<Parameters?> ValidateCodeAsync(string valueSetUrl, string? system, string code, CancellationToken cancellationToken = default) =>
            Task.FromResult<Parameters?>(new Parameters().Add("result", new FhirBoolean(true)).Add("message", new FhirString("from fallback")));
    }
}
