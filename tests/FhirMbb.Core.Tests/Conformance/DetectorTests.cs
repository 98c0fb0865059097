using FhirMbb.Testing;
using FhirMbb.Core.Conformance;
using Hl7.Fhir.Model;
using static FhirMbb.Core.Canonicals;
using static FhirMbb.Testing.MbbBuilders;

namespace FhirMbb.Core.Tests.Conformance;

[Collection(ConformanceCollection.Name)]
public sealed class DetectorTests(ValidatorFixture fixture)
{
    private MbbProfileDetector Detector(ValidationMode mode = ValidationMode.Mbb) => new(fixture.Catalog, mode);

    /// <summary>Shaped like Synthea's 552 pain scores: vital-signs category, fractional {score}, no profile, no MBB extension.</summary>
    private static Observation ClinicVisitPainScore() => new()
    {
        Status = ObservationStatus.Final,
        Category = [Concept("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs")],
        Code = Concept(CodeSystems.Loinc, PainScoreLoinc),
        Subject = new ResourceReference("urn:uuid:018f428e-34f6-4707-8009-5ad742f901e7"),
        Effective = new FhirDateTime("2011-10-14T23:37:54+00:00"),
        Value = new Quantity { Value = 0.420343784903078m, Unit = "{score}", System = CodeSystems.Ucum, Code = "{score}" },
    };

    private static void Unclaim(Resource resource) => resource.Meta = null;

    [Fact]
    public void A_clinic_visit_pain_score_is_not_an_mbb_pain_score()
    {
        Assert.Empty(Detector().ProfilesFor(ClinicVisitPainScore()));
    }

    [Fact]
    public async System.Threading.Tasks.Task A_clinic_visit_pain_score_passes_core_validation_despite_its_fractional_value()
    {
        var outcome = await fixture.Validator.ValidateAsync(ClinicVisitPainScore(), Detector().ProfilesFor(ClinicVisitPainScore()));

        Assert.True(ProfileValidator.IsValid(outcome), ExampleTests.Describe(outcome));
    }

    [Fact]
    public void A_pain_score_with_an_assessment_phase_is_an_mbb_pain_score()
    {
        var score = ClinicVisitPainScore();
        score.Extension.Add(Ext(Extensions.AssessmentPhase, new Code("post-block")));

        Assert.Equal([Profiles.MbbPainScore], Detector().ProfilesFor(score));
    }

    [Fact]
    public void A_pain_score_part_of_an_mbb_procedure_is_an_mbb_pain_score_when_the_caller_says_so()
    {
        var score = ClinicVisitPainScore();
        score.PartOf.Add(new ResourceReference("Procedure/b1"));

        Assert.Equal(["Procedure/b1"], MbbProfileDetector.PartOfProcedureReferences(score));
        Assert.Equal([Profiles.MbbPainScore], Detector().ProfilesFor(score, isPartOfMbbProcedure: true));
        Assert.Empty(Detector().ProfilesFor(score, isPartOfMbbProcedure: false));
    }

    [Fact]
    public void Vital_signs_taken_during_a_block_are_not_pain_scores()
    {
        var heartRate = ClinicVisitPainScore();
        heartRate.Code = Concept(CodeSystems.Loinc, "8867-4");
        heartRate.PartOf.Add(new ResourceReference("Procedure/b1"));

        Assert.Empty(Detector().ProfilesFor(heartRate, isPartOfMbbProcedure: true));
    }

    [Theory]
    [InlineData("64490", true)]
    [InlineData("64495", true)]
    [InlineData("64635", false)]
    [InlineData("99213", false)]
    public void A_procedure_coded_with_cpt_is_an_mbb_when_the_code_is_64490_to_64495(string cpt, bool isBlock)
    {
        var procedure = Block(p => { Unclaim(p); p.Code = Concept(CodeSystems.Cpt, cpt); });

        Assert.Equal(isBlock, Detector().ProfilesFor(procedure).SequenceEqual([Profiles.MbbProcedure]));
        Assert.Equal(isBlock, Detector().IsMedialBranchBlock(procedure));
    }

    [Fact]
    public void A_procedure_with_the_project_code_is_an_mbb()
    {
        Assert.Equal([Profiles.MbbProcedure], Detector().ProfilesFor(Block(Unclaim)));
    }

    [Fact]
    public void An_outcome_observation_and_an_indication_with_our_extension_are_recognised()
    {
        Assert.Equal([Profiles.MbbBlockOutcome], Detector().ProfilesFor(Outcome(Unclaim)));
        Assert.Equal([Profiles.MbbAxialPainCondition], Detector().ProfilesFor(Indication(Unclaim)));
    }

    [Fact]
    public void Claimed_mode_only_follows_meta_profile()
    {
        Assert.Empty(Detector(ValidationMode.Claimed).ProfilesFor(Block(Unclaim)));
        Assert.Equal([Profiles.MbbProcedure], Detector(ValidationMode.Claimed).ProfilesFor(Block()));
    }

    [Fact]
    public void Off_mode_validates_nothing()
    {
        Assert.Empty(Detector(ValidationMode.Off).ProfilesFor(Block()));
    }

    [Fact]
    public void A_versioned_claim_counts_and_a_foreign_claim_is_ignored()
    {
        var score = ClinicVisitPainScore();
        score.Meta = new Meta { Profile = [Profiles.MbbPainScore + "|0.1.0", "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-screening-assessment"] };

        Assert.Equal([Profiles.MbbPainScore], Detector().ProfilesFor(score));
    }

    [Fact]
    public void A_claimed_and_evident_profile_is_listed_once()
    {
        Assert.Equal([Profiles.MbbProcedure], Detector().ProfilesFor(Block()));
    }

    [Theory]
    [InlineData(null, ValidationMode.Mbb)]
    [InlineData("", ValidationMode.Mbb)]
    [InlineData("MBB", ValidationMode.Mbb)]
    [InlineData("claimed", ValidationMode.Claimed)]
    [InlineData("off", ValidationMode.Off)]
    public void Validation_mode_setting_is_read_case_insensitively(string? setting, ValidationMode expected)
    {
        Assert.Equal(expected, ValidationModes.Parse(setting));
    }

    [Fact]
    public void An_unknown_validation_mode_is_a_configuration_error()
    {
        Assert.Throws<ArgumentException>(() => ValidationModes.Parse("strict"));
    }
}
