using FhirMbb.Testing;
using FhirMbb.Core.Conformance;
using Hl7.Fhir.Model;
using static FhirMbb.Core.Canonicals;
using static FhirMbb.Testing.MbbBuilders;

namespace FhirMbb.Core.Tests.Conformance;

/// <summary>Each rule of the contract's profile tables, broken on its own.</summary>
[Collection(ConformanceCollection.Name)]
public sealed class ProfileRuleTests(ValidatorFixture fixture)
{
    private async Task AssertValid(Resource resource)
    {
        var outcome = await fixture.Validator.ValidateAsync(resource);
        Assert.True(ProfileValidator.IsValid(outcome), ExampleTests.Describe(outcome));
    }

    /// <summary>Invalid, and an error mentions the broken rule (by location, slice, constraint key or code).</summary>
    private async Task AssertInvalid(Resource resource, string expectedInError)
    {
        var outcome = await fixture.Validator.ValidateAsync(resource);
        var errors = outcome.Issue.Where(ProfileValidator.IsError).ToList();
        Assert.True(errors.Count > 0, "expected errors, got: " + ExampleTests.Describe(outcome));
        Assert.True(errors.Any(e => $"{string.Join(",", e.Expression)} {e.Details?.Text} {e.Diagnostics}".Contains(expectedInError, StringComparison.Ordinal)),
            $"no error mentions '{expectedInError}': " + ExampleTests.Describe(outcome));
    }

    // ---- mbb-pain-score

    [Fact] public Task Pain_score_as_integer_is_valid() => AssertValid(PainScore());
    [Fact] public Task Pain_score_as_score_quantity_is_valid() => AssertValid(PainScore(o => o.Value = ScoreQuantity(3)));
    [Theory, InlineData(0), InlineData(10)] public Task Pain_scores_at_the_ends_of_the_scale_are_valid(int score) => AssertValid(PainScore(o => o.Value = new Integer(score)));
    [Fact] public Task Pain_score_11_is_rejected() => AssertInvalid(PainScore(o => o.Value = new Integer(11)), "mbb-ps-1");
    [Fact] public Task Negative_pain_score_is_rejected() => AssertInvalid(PainScore(o => o.Value = new Integer(-1)), "mbb-ps-1");
    [Fact] public Task Quantity_score_11_is_rejected() => AssertInvalid(PainScore(o => o.Value = ScoreQuantity(11)), "mbb-ps-2");
    [Fact] public Task Fractional_quantity_score_is_rejected() => AssertInvalid(PainScore(o => o.Value = ScoreQuantity(3.5m)), "mbb-ps-2");
    [Fact] public Task Quantity_score_in_another_unit_is_rejected() => AssertInvalid(
        PainScore(o => o.Value = new Quantity { Value = 3, Unit = "%", System = CodeSystems.Ucum, Code = "%" }), "mbb-ps-2");
    [Fact] public Task Pain_score_as_string_is_rejected() => AssertInvalid(PainScore(o => o.Value = new FhirString("7")), "Observation.value");
    [Fact] public Task Pain_score_without_value_is_rejected() => AssertInvalid(PainScore(o => o.Value = null), "value");
    [Fact] public Task Pain_score_without_phase_is_rejected() => AssertInvalid(PainScore(o => RemoveExtension(o, Extensions.AssessmentPhase)), "assessmentPhase");
    [Fact] public Task Pain_score_with_unknown_phase_is_rejected() => AssertInvalid(
        PainScore(o => ReplaceExtension(o, Extensions.AssessmentPhase, new Code("during-block"))), "during-block");
    [Fact] public Task Pain_score_without_subject_is_rejected() => AssertInvalid(PainScore(o => o.Subject = null), "subject");
    [Fact] public Task Pain_score_with_another_loinc_code_is_rejected() => AssertInvalid(PainScore(o => o.Code = Concept(CodeSystems.Loinc, "38208-5")), "Observation.code");
    [Fact] public Task Preliminary_pain_score_is_rejected() => AssertInvalid(PainScore(o => o.Status = ObservationStatus.Preliminary), "preliminary");
    [Fact] public Task Amended_pain_score_is_valid() => AssertValid(PainScore(o => o.Status = ObservationStatus.Amended));
    [Fact] public Task Pain_score_without_time_is_rejected() => AssertInvalid(PainScore(o => o.Effective = null), "effective");
    [Fact] public Task Pain_score_dated_to_the_day_only_is_rejected() => AssertInvalid(PainScore(o => o.Effective = new FhirDateTime("2026-03-02")), "mbb-ps-3");
    [Fact] public Task Pain_score_part_of_two_procedures_is_rejected() => AssertInvalid(
        PainScore(o => o.PartOf.Add(new ResourceReference("Procedure/b2"))), "partOf");

    // ---- mbb-procedure

    [Fact] public Task Block_is_valid() => AssertValid(Block());
    [Fact] public Task Block_with_cpt_code_and_period_is_valid() => AssertValid(Block(p =>
    {
        p.Code = Concept(CodeSystems.Cpt, "64493");
        p.Performed = new Period { Start = "2026-03-02T09:30:00+01:00", End = "2026-03-02T09:55:00+01:00" };
    }));
    [Fact] public Task Block_without_laterality_is_rejected() => AssertInvalid(Block(p => RemoveExtension(p, Extensions.Laterality)), "laterality");
    [Fact] public Task Block_with_unknown_laterality_is_rejected() => AssertInvalid(
        Block(p => ReplaceExtension(p, Extensions.Laterality, Concept(CodeSystems.Snomed, "261665006"))), "261665006");
    [Fact] public Task Block_without_anesthetic_is_rejected() => AssertInvalid(Block(p => RemoveExtension(p, Extensions.Anesthetic)), "anesthetic");
    [Fact] public Task Block_with_another_anesthetic_is_accepted_by_the_extensible_binding() => AssertValid(
        Block(p => ReplaceExtension(p, Extensions.Anesthetic, Concept(CodeSystems.Snomed, "386971004"))));
    [Fact] public Task Block_with_unknown_contrast_result_is_rejected() => AssertInvalid(
        Block(p => ReplaceExtension(p, Extensions.ContrastResult, new Code("uptake-maybe"))), "uptake-maybe");
    [Fact] public Task Block_without_contrast_result_is_rejected() => AssertInvalid(Block(p => RemoveExtension(p, Extensions.ContrastResult)), "contrastResult");
    [Fact] public Task Block_without_guidance_is_rejected() => AssertInvalid(Block(p => RemoveExtension(p, Extensions.ImagingGuidance)), "imagingGuidance");
    [Fact] public Task Block_under_ultrasound_is_valid() => AssertValid(
        Block(p => ReplaceExtension(p, Extensions.ImagingGuidance, Concept(CodeSystems.Mbb, "ultrasound"))));
    [Fact] public Task Block_with_unknown_sedation_is_rejected() => AssertInvalid(
        Block(p => ReplaceExtension(p, Extensions.Sedation, new Code("heavy"))), "heavy");
    [Fact] public Task Block_without_block_number_is_rejected() => AssertInvalid(Block(p => RemoveExtension(p, Extensions.BlockNumber)), "blockNumber");
    [Fact] public Task Block_number_as_string_is_rejected() => AssertInvalid(
        Block(p => ReplaceExtension(p, Extensions.BlockNumber, new FhirString("first"))), "positiveInt");
    [Fact] public Task Block_without_target_joint_is_rejected() => AssertInvalid(Block(p => RemoveExtension(p, Extensions.TargetJoint)), "targetJoint");
    [Fact] public Task Block_with_unknown_joint_is_rejected() => AssertInvalid(
        Block(p => ReplaceExtension(p, Extensions.TargetJoint, Concept(CodeSystems.SpinalFacetJoint, "L5-L6"))), "L5-L6");
    [Fact] public Task Injectate_volume_in_mL_is_valid() => AssertValid(
        Block(p => p.Extension.Add(Ext(Extensions.InjectateVolume, new Quantity { Value = 0.5m, Unit = "mL", System = CodeSystems.Ucum, Code = "mL" }))));
    [Fact] public Task Injectate_volume_in_another_unit_is_rejected() => AssertInvalid(
        Block(p => p.Extension.Add(Ext(Extensions.InjectateVolume, new Quantity { Value = 500, Unit = "uL", System = CodeSystems.Ucum, Code = "uL" }))), "mL");
    [Fact] public Task Block_with_rfa_code_is_rejected() => AssertInvalid(Block(p => p.Code = Concept(CodeSystems.Cpt, "64635")), "64635");
    [Fact] public Task Block_without_code_is_rejected() => AssertInvalid(Block(p => p.Code = null!), "code");
    [Fact] public Task Block_without_subject_is_rejected() => AssertInvalid(Block(p => p.Subject = null!), "subject");
    [Fact] public Task Block_without_time_is_rejected() => AssertInvalid(Block(p => p.Performed = null), "performed");
    [Fact] public Task Block_without_indication_is_rejected() => AssertInvalid(Block(p => p.ReasonReference.Clear()), "reasonReference");
    [Fact] public Task Block_without_nerves_is_rejected() => AssertInvalid(Block(p => p.BodySite.Clear()), "bodySite");
    [Fact] public Task Block_of_unknown_nerve_is_rejected() => AssertInvalid(
        Block(p => p.BodySite = [Concept(CodeSystems.SpinalMedialBranch, "L9-MB")]), "L9-MB");

    // ---- mbb-axial-pain-condition

    [Fact] public Task Indication_is_valid() => AssertValid(Indication());
    [Fact] public Task Indication_coded_in_snomed_is_valid() => AssertValid(Indication(c => c.Code = Concept(CodeSystems.Snomed, "278860009")));
    [Fact] public Task Indication_without_subject_is_rejected() => AssertInvalid(Indication(c => c.Subject = null!), "subject");
    [Fact] public Task Radiculopathy_is_not_an_axial_indication() => AssertInvalid(Indication(c => c.Code = Concept(CodeSystems.Icd10Cm, "M54.16")), "M54.16");
    [Fact] public Task Indication_without_clinical_status_is_rejected() => AssertInvalid(Indication(c => c.ClinicalStatus = null), "clinicalStatus");
    [Fact] public Task Indication_without_onset_is_rejected() => AssertInvalid(Indication(c => c.Onset = null), "onset");
    [Fact] public Task Indication_without_distribution_is_rejected() => AssertInvalid(
        Indication(c => RemoveExtension(c, Extensions.PainDistribution)), "painDistribution");
    [Fact] public Task Indication_with_unknown_distribution_is_rejected() => AssertInvalid(
        Indication(c => ReplaceExtension(c, Extensions.PainDistribution, new Code("everywhere"))), "everywhere");
    [Fact] public Task Conservative_care_without_response_is_rejected() => AssertInvalid(
        Indication(c => { RemoveExtension(c, Extensions.ConservativeCare); c.Extension.Add(ConservativeCare("nsaid", null)); }), "response");
    [Fact] public Task Conservative_care_with_unknown_modality_is_rejected() => AssertInvalid(
        Indication(c => { RemoveExtension(c, Extensions.ConservativeCare); c.Extension.Add(ConservativeCare("acupuncture", "failed")); }), "acupuncture");
    [Fact] public Task Indication_at_a_non_spinal_site_is_rejected() => AssertInvalid(
        Indication(c => c.BodySite = [Concept(CodeSystems.Snomed, "72696002")]), "72696002");

    // ---- mbb-block-outcome

    [Fact] public Task Outcome_is_valid() => AssertValid(Outcome());
    [Fact] public Task Outcome_with_another_code_is_rejected() => AssertInvalid(Outcome(o => o.Code = Concept(CodeSystems.Loinc, PainScoreLoinc)), "Observation.code");
    [Fact] public Task Outcome_with_unknown_value_is_rejected() => AssertInvalid(Outcome(o => o.Value = Concept(CodeSystems.Mbb, "maybe")), "maybe");
    [Fact] public Task Outcome_without_focus_is_rejected() => AssertInvalid(Outcome(o => o.Focus.Clear()), "focus");
    [Fact] public Task Outcome_with_unknown_reason_component_is_rejected() => AssertInvalid(
        Outcome(o => o.Component.Add(new Observation.ComponentComponent { Code = Concept(CodeSystems.Mbb, "bad-luck") })), "bad-luck");
    [Fact] public Task Peak_relief_in_another_unit_is_rejected() => AssertInvalid(
        Outcome(o => o.Component[0].Value = new Quantity { Value = 0.7m, Unit = "1", System = CodeSystems.Ucum, Code = "1" }), "component");
}
