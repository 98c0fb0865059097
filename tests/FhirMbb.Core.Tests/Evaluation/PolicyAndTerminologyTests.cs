using FhirMbb.Core;
using FhirMbb.Core.Evaluation;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Evaluation;

public sealed class BlockPolicyCatalogTests
{
    [Fact]
    public void Built_in_policies_come_from_the_embedded_data_file()
    {
        var catalog = new BlockPolicyCatalog();

        var single = catalog.Get("single-block-50");
        var dual = catalog.Get("dual-block-80");

        Assert.Equal((50, 1, false), (single.ReliefThresholdPercent, single.BlocksRequired, single.ConcordanceRequired));
        Assert.Equal((80, 2, true, 4), (dual.ReliefThresholdPercent, dual.BlocksRequired, dual.ConcordanceRequired, dual.MinimumBaselineScore));
        Assert.Equal(3m, dual.WindowHoursFor(Clinic.Lidocaine));
        Assert.Equal(8m, dual.WindowHoursFor(Clinic.Bupivacaine));
        Assert.Null(dual.WindowHoursFor("386968007"));
        Assert.Contains("general", dual.InvalidatingSedation);
        Assert.Equal(24, single.BaselineLookbackHours);
    }

    [Fact]
    public void No_policy_code_means_single_block_50()
    {
        Assert.Equal("single-block-50", new BlockPolicyCatalog().Get(null).Code);
    }

    [Fact]
    public void Unknown_policy_is_a_400()
    {
        var error = Assert.Throws<UnknownPolicyException>(() => new BlockPolicyCatalog().Get("triple-block-90"));

        Assert.Equal(400, error.Status);
        Assert.Equal("triple-block-90", error.PolicyCode);
        Assert.False(new BlockPolicyCatalog().TryGet("triple-block-90", out _));
    }

    [Fact]
    public void Configured_policies_join_the_built_ins_and_may_replace_one()
    {
        var stricter = new BlockPolicy { Code = "single-block-50", ReliefThresholdPercent = 60, BaselineLookbackHours = 12 };
        var payer = new BlockPolicy
        {
            Code = "acme-75",
            ReliefThresholdPercent = 75,
            BaselineLookbackHours = 24,
            DefaultWindowHours = 6,
        };

        var catalog = new BlockPolicyCatalog([stricter, payer]);

        Assert.Equal(60, catalog.Get("single-block-50").ReliefThresholdPercent);
        Assert.Equal(6m, catalog.Get("acme-75").WindowHoursFor("anything"));
        Assert.Equal(80, catalog.Get("dual-block-80").ReliefThresholdPercent);
        Assert.Equal(3, catalog.All.Count);
    }

    [Fact]
    public void A_configured_policy_with_an_impossible_threshold_is_refused_at_start()
    {
        var broken = new BlockPolicy { Code = "broken", ReliefThresholdPercent = 150, BaselineLookbackHours = 24 };

        Assert.Throws<InvalidDataException>(() => new BlockPolicyCatalog([broken]));
    }

    [Fact]
    public void Policies_read_from_json_in_the_built_in_shape()
    {
        using var json = new MemoryStream("""{ "policies": [ { "code": "x-60", "reliefThresholdPercent": 60, "baselineLookbackHours": 24, "anestheticWindowHours": { "1": 2.5 } } ] }"""u8.ToArray());

        var policy = Assert.Single(BlockPolicyCatalog.ReadPolicies(json));

        Assert.Equal(("x-60", 60, 2.5m), (policy.Code, policy.ReliefThresholdPercent, policy.WindowHoursFor("1")));
    }

    [Fact]
    public void A_configured_threshold_moves_the_boundary()
    {
        var strict = new BlockPolicy
        {
            Code = "strict-51", ReliefThresholdPercent = 51, BaselineLookbackHours = 24,
            AnestheticWindowHours = new Dictionary<string, decimal> { [Clinic.Lidocaine] = 3 },
        };

        var result = BlockScenario.SingleBlock(postScore: 4).Evaluate("strict-51", configured: [strict]).Result;

        Assert.Equal(EvaluationOutcome.NotEligible, result.Outcome);
        Assert.Contains(ReasonCodes.ReliefBelowThreshold, result.ReasonCodeList);
    }
}

public sealed class NerveMapTests
{
    [Fact]
    public void Reads_joint_to_nerve_targets_from_a_concept_map()
    {
        var map = NerveMap.FromConceptMap(Clinic.NerveConceptMap());

        Assert.Equal(["L3-MB", "L4-MB"], map.NervesOf("L4-L5"));
        Assert.Equal(["L4-MB", "L5-DR"], map.NervesOf("L5-S1"));
        Assert.Equal(["C3-TON"], map.NervesOf("C2-C3"));
        Assert.Empty(map.NervesOf("T7-T8"));
        Assert.False(map.Knows("T7-T8"));
    }

    [Fact]
    public void Ignores_unmatched_targets_and_groups_of_other_systems()
    {
        var conceptMap = Clinic.NerveConceptMap();
        conceptMap.Group[0].Element[0].Target.Add(new ConceptMap.TargetElementComponent { Code = "NOPE", Equivalence = ConceptMapEquivalence.Unmatched });
        conceptMap.Group.Add(new ConceptMap.GroupComponent
        {
            Source = "http://example.org/other",
            Target = Canonicals.CodeSystems.SpinalMedialBranch,
            Element = [new ConceptMap.SourceElementComponent { Code = "L4-L5", Target = [new() { Code = "WRONG", Equivalence = ConceptMapEquivalence.Equivalent }] }],
        });

        var map = NerveMap.FromConceptMap(conceptMap);

        Assert.Equal(["L2-MB", "L3-MB"], map.NervesOf("L3-L4"));
        Assert.Equal(["L3-MB", "L4-MB"], map.NervesOf("L4-L5"));
    }
}

public sealed class ClinicalFactReaderTests
{
    private static readonly ClinicalFactReader Reader = new(Clinic.ExclusionCodes);

    [Theory]
    [InlineData("http://www.ama-assn.org/go/cpt", "64493", true)]
    [InlineData("http://www.ama-assn.org/go/cpt", "64490", true)]
    [InlineData("http://www.ama-assn.org/go/cpt", "64635", false)]
    [InlineData("https://fhirmbb.org/fhir/CodeSystem/mbb", "medial-branch-block", true)]
    [InlineData("http://snomed.info/sct", "64493", false)]
    public void Recognises_a_medial_branch_block_by_its_code(string system, string code, bool expected)
    {
        var procedure = new Procedure { Code = new CodeableConcept(system, code) };

        Assert.Equal(expected, ClinicalFactReader.IsMedialBranchBlock(procedure));
    }

    [Fact]
    public void Reads_a_block_performed_as_a_period_by_its_end()
    {
        var scenario = new BlockScenario().Block("block-1", Clinic.Monday, o =>
        {
            o.PerformedAsPeriod = true;
            o.Joints = ["L5-S1", "L4-L5"];
            o.Laterality = LateralityCodes.Bilateral;
        });

        var block = ClinicalFactReader.ReadBlock(scenario.Procedures[0]);

        Assert.Equal(Clinic.Monday, block.PerformedAt);
        Assert.Equal("L4-L5,L5-S1", block.JointKey);
        Assert.Equal(Laterality.Bilateral, block.Laterality);
        Assert.Equal("none", block.Sedation);
        Assert.Equal(1, block.BlockNumber);
        Assert.Equal([BlockScenario.IndicationId], block.IndicationIds);
        Assert.Equal("completed", block.Status);
        Assert.Equal(BlockScenario.PatientId, block.PatientId);
    }

    [Fact]
    public void Reads_pain_scores_as_integer_or_score_quantity_and_their_phase()
    {
        var scenario = new BlockScenario().Block("block-1", Clinic.Monday).Baseline("block-1", 7).Post("block-1", 1, 3, asQuantity: true);

        var baseline = ClinicalFactReader.ReadPainScore(scenario.Observations[0]);
        var post = ClinicalFactReader.ReadPainScore(scenario.Observations[1]);

        Assert.Equal((7m, AssessmentPhase.Baseline, (string?)null), (baseline.Value, baseline.Phase, baseline.PartOfProcedureId));
        Assert.Equal((3m, AssessmentPhase.PostBlock, "block-1"), (post.Value, post.Phase, post.PartOfProcedureId));
        Assert.Equal(Clinic.Monday.AddHours(1), post.At);
    }

    [Fact]
    public void A_quantity_in_another_unit_or_out_of_range_is_not_a_pain_score_value()
    {
        var percent = new Observation { Value = new Quantity { Value = 40, Code = "%" } };
        var eleven = new Observation { Value = new Integer(11) };

        Assert.Null(ClinicalFactReader.ReadPainScore(percent).Value);
        Assert.Null(ClinicalFactReader.ReadPainScore(eleven).Value);
    }

    [Fact]
    public void Reads_the_indication_and_flags_exclusion_diagnoses_from_the_code_set()
    {
        var scenario = new BlockScenario().WithActiveCondition("radic-1", Canonicals.CodeSystems.Icd10Cm, Clinic.Radiculopathy, "Radiculopathy");

        var indication = Reader.ReadCondition(scenario.Indication);
        var exclusion = Reader.ReadCondition(scenario.OtherConditions[0]);

        Assert.True(indication.IsActive);
        Assert.False(indication.IsExclusionDiagnosis);
        Assert.Equal("axial", indication.PainDistribution);
        var care = Assert.Single(indication.ConservativeCare);
        Assert.Equal(("physical-therapy", "failed", true), (care.Modality, care.Response, care.Failed));
        Assert.Equal(Clinic.Monday.AddMonths(-12), indication.Onset);
        Assert.True(exclusion.IsExclusionDiagnosis);
    }

    [Theory]
    [InlineData("Condition/c1", "c1")]
    [InlineData("http://ehr.example/fhir/Condition/c1/_history/3", "c1")]
    [InlineData("c1", "c1")]
    [InlineData("Patient/p1", null)]
    [InlineData("urn:uuid:0f2c", null)]
    public void Reads_the_id_from_a_reference(string reference, string? expected)
    {
        Assert.Equal(expected, ClinicalFactReader.IdOf(new ResourceReference(reference), "Condition"));
    }
}
