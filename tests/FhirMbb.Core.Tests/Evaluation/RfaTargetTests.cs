using FhirMbb.Core;
using FhirMbb.Core.Evaluation;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Evaluation;

public sealed class RfaTargetTests
{
    [Fact]
    public void L5_S1_block_targets_the_L4_medial_branch_and_the_L5_dorsal_ramus()
    {
        var result = BlockScenario.SingleBlock(2, o => o.Joints = ["L5-S1"]).Evaluate().Result;

        Assert.Equal([new RfaTarget("L4-MB", Laterality.Left), new RfaTarget("L5-DR", Laterality.Left)], result.RfaTargets);
    }

    [Fact]
    public void C2_C3_block_targets_the_third_occipital_nerve()
    {
        var result = BlockScenario.SingleBlock(2, o => { o.Joints = ["C2-C3"]; o.Laterality = LateralityCodes.Right; }).Evaluate().Result;

        Assert.Equal([new RfaTarget("C3-TON", Laterality.Right)], result.RfaTargets);
    }

    [Fact]
    public void Bilateral_block_targets_each_nerve_on_both_sides()
    {
        var result = BlockScenario.SingleBlock(2, o => o.Laterality = LateralityCodes.Bilateral).Evaluate().Result;

        Assert.Equal(4, result.RfaTargets.Count);
        foreach (var nerve in new[] { "L3-MB", "L4-MB" })
        {
            Assert.Contains(new RfaTarget(nerve, Laterality.Left), result.RfaTargets);
            Assert.Contains(new RfaTarget(nerve, Laterality.Right), result.RfaTargets);
        }
    }

    [Fact]
    public void Adjacent_joints_share_their_common_nerve_once()
    {
        var result = BlockScenario.SingleBlock(2, o => o.Joints = ["L4-L5", "L5-S1"]).Evaluate().Result;

        Assert.Equal(["L3-MB", "L4-MB", "L5-DR"], result.RfaTargets.Select(t => t.NerveCode));
    }

    [Fact]
    public void No_targets_when_not_eligible()
    {
        var result = BlockScenario.SingleBlock(7).Evaluate().Result;

        Assert.Equal(EvaluationOutcome.NotEligible, result.Outcome);
        Assert.Empty(result.RfaTargets);
    }

    [Fact]
    public void Target_concept_carries_the_nerve_coding_and_the_side_as_laterality_extension()
    {
        var concept = EvaluationParameters.ToConcept(new RfaTarget("L5-DR", Laterality.Right));

        var coding = Assert.Single(concept.Coding);
        Assert.Equal((Canonicals.CodeSystems.SpinalMedialBranch, "L5-DR"), (coding.System, coding.Code));
        var side = Assert.IsType<CodeableConcept>(concept.GetExtension(Canonicals.Extensions.Laterality)?.Value);
        Assert.Equal(LateralityCodes.Right, side.Coding.Single().Code);
        Assert.Equal("L5-DR right", concept.Text);
    }
}
