using FhirMbb.Core;
using FhirMbb.Core.Evaluation;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Evaluation;

/// <summary>
/// The scenario table: every reason code under both policies, each row a patient record built
/// with <see cref="BlockScenario"/> and evaluated through the service.
/// </summary>
public sealed class EvaluationScenarioTests
{
    private const string Single = "single-block-50";
    private const string Dual = "dual-block-80";

    private sealed record Row(
        Func<BlockScenario> Build,
        string Policy,
        EvaluationOutcome Outcome,
        string[] Reasons,
        string[]? Absent = null);

    private static readonly Dictionary<string, Row> Rows = new()
    {
        ["exactly 50% relief is positive"] = new(() => BlockScenario.SingleBlock(postScore: 4), Single,
            EvaluationOutcome.Eligible, [ReasonCodes.CriteriaMet], [ReasonCodes.ReliefBelowThreshold]),
        ["49% relief is not positive"] = new(() => new BlockScenario().Block("block-1", Clinic.Monday)
                .Baseline("block-1", 10).Post("block-1", 1, 5.1m), Single,
            EvaluationOutcome.NotEligible, [ReasonCodes.ReliefBelowThreshold], [ReasonCodes.CriteriaMet]),
        ["50% relief read from a {score} Quantity is positive"] = new(() => new BlockScenario().Block("block-1", Clinic.Monday)
                .Baseline("block-1", 6).Post("block-1", 1, 3, asQuantity: true), Single,
            EvaluationOutcome.Eligible, [ReasonCodes.CriteriaMet]),
        ["relief below threshold"] = new(() => BlockScenario.SingleBlock(postScore: 6), Single,
            EvaluationOutcome.NotEligible, [ReasonCodes.ReliefBelowThreshold]),
        ["relief only after the lidocaine window"] = new(() => new BlockScenario().Block("block-1", Clinic.Monday)
                .Baseline("block-1", 8).Post("block-1", 2, 7).Post("block-1", 5, 2), Single,
            EvaluationOutcome.NotEligible, [ReasonCodes.ReliefOutsideWindow], [ReasonCodes.ReliefBelowThreshold]),
        ["the same late relief is inside the bupivacaine window"] = new(() => new BlockScenario()
                .Block("block-1", Clinic.Monday, o => o.Anesthetic = Clinic.Bupivacaine)
                .Baseline("block-1", 8).Post("block-1", 2, 7).Post("block-1", 5, 2), Single,
            EvaluationOutcome.Eligible, [ReasonCodes.CriteriaMet]),
        ["no baseline score"] = new(() => new BlockScenario().Block("block-1", Clinic.Monday).Post("block-1", 1, 2), Single,
            EvaluationOutcome.Indeterminate, [ReasonCodes.NoBaselineScore]),
        ["baseline older than 24 hours does not count"] = new(() => new BlockScenario().Block("block-1", Clinic.Monday)
                .Baseline("block-1", 8, hoursBefore: 25).Post("block-1", 1, 2), Single,
            EvaluationOutcome.Indeterminate, [ReasonCodes.NoBaselineScore]),
        ["baseline of zero"] = new(() => new BlockScenario().Block("block-1", Clinic.Monday)
                .Baseline("block-1", 0).Post("block-1", 1, 0), Single,
            EvaluationOutcome.Indeterminate, [ReasonCodes.NoBaselineScore]),
        ["no post-block scores"] = new(() => new BlockScenario().Block("block-1", Clinic.Monday).Baseline("block-1", 8), Single,
            EvaluationOutcome.Indeterminate, [ReasonCodes.NoPostBlockScores]),
        ["intravascular uptake not resolved"] = new(() => BlockScenario.SingleBlock(2, o => o.Contrast = "intravascular-not-resolved"), Single,
            EvaluationOutcome.NotEligible, [ReasonCodes.IntravascularUptakeUnresolved]),
        ["intravascular uptake repositioned is fine"] = new(() => BlockScenario.SingleBlock(2, o => o.Contrast = "intravascular-repositioned"), Single,
            EvaluationOutcome.Eligible, [ReasonCodes.CriteriaMet]),
        ["radicular-predominant pain"] = new(() => BlockScenario.SingleBlock(2).WithPainDistribution("radicular-predominant"), Single,
            EvaluationOutcome.NotEligible, [ReasonCodes.PainNotAxial]),
        ["axial-predominant pain is accepted"] = new(() => BlockScenario.SingleBlock(2).WithPainDistribution("axial-predominant"), Single,
            EvaluationOutcome.Eligible, [ReasonCodes.CriteriaMet]),
        ["onset under 3 months before the block"] = new(() => BlockScenario.SingleBlock(2).WithOnset(Clinic.Monday.AddMonths(-2)), Single,
            EvaluationOutcome.NotEligible, [ReasonCodes.PainDurationTooShort]),
        ["onset exactly 3 months before the block"] = new(() => BlockScenario.SingleBlock(2).WithOnset(Clinic.Monday.AddMonths(-3)), Single,
            EvaluationOutcome.Eligible, [ReasonCodes.CriteriaMet]),
        ["active exclusion diagnosis"] = new(() => BlockScenario.SingleBlock(2)
                .WithActiveCondition("radic-1", Canonicals.CodeSystems.Icd10Cm, Clinic.Radiculopathy, "Radiculopathy, lumbar region"), Single,
            EvaluationOutcome.NotEligible, [ReasonCodes.ExclusionDiagnosisPresent]),
        ["an active condition outside the exclusion set is ignored"] = new(() => BlockScenario.SingleBlock(2)
                .WithActiveCondition("htn-1", Canonicals.CodeSystems.Icd10Cm, "I10", "Essential hypertension"), Single,
            EvaluationOutcome.Eligible, [ReasonCodes.CriteriaMet]),
        ["no conservative care documented"] = new(() => BlockScenario.SingleBlock(2).WithConservativeCare(), Single,
            EvaluationOutcome.Indeterminate, [ReasonCodes.ConservativeCareNotDocumented]),
        ["conservative care that worked"] = new(() => BlockScenario.SingleBlock(2).WithConservativeCare(("nsaid", "effective")), Single,
            EvaluationOutcome.NotEligible, [ReasonCodes.ConservativeCareNotDocumented]),
        ["no indication on the block"] = new(() => BlockScenario.SingleBlock(2, o => o.WithIndication = false), Single,
            EvaluationOutcome.Indeterminate, [ReasonCodes.IndicationMissing]),
        ["indication no longer active"] = new(() => BlockScenario.SingleBlock(2).ConfigureIndication(c =>
                c.ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved")), Single,
            EvaluationOutcome.NotEligible, [ReasonCodes.IndicationMissing]),
        ["block not completed"] = new(() => BlockScenario.SingleBlock(2, o => o.Status = EventStatus.InProgress), Single,
            EvaluationOutcome.NotEligible, [ReasonCodes.BlockNotCompleted]),
        ["ultrasound guidance"] = new(() => BlockScenario.SingleBlock(2, o => o.Guidance = new Coding(Canonicals.CodeSystems.Mbb, "ultrasound")), Single,
            EvaluationOutcome.NotEligible, [ReasonCodes.GuidanceNotAccepted]),
        ["no guidance recorded"] = new(() => BlockScenario.SingleBlock(2, o => o.Guidance = null), Single,
            EvaluationOutcome.Indeterminate, [ReasonCodes.GuidanceNotAccepted]),
        ["unknown anaesthetic has no window"] = new(() => BlockScenario.SingleBlock(2, o => o.Anesthetic = "386968007"), Single,
            EvaluationOutcome.Indeterminate, [ReasonCodes.AnestheticWindowUnknown]),
        ["a nerve of the joint not blocked is a warning"] = new(() => BlockScenario.SingleBlock(2, o => o.Nerves = ["L4-MB"]), Single,
            EvaluationOutcome.Eligible, [ReasonCodes.IncompleteNerveCoverage, ReasonCodes.CriteriaMet]),
        ["general anaesthesia is tolerated by single-block-50"] = new(() => BlockScenario.SingleBlock(2, o => o.Sedation = "general"), Single,
            EvaluationOutcome.Eligible, [ReasonCodes.CriteriaMet]),
        ["every failed criterion is reported"] = new(() => BlockScenario.SingleBlock(6, o => o.Contrast = "intravascular-not-resolved")
                .WithPainDistribution("radicular").WithOnset(Clinic.Monday.AddMonths(-1)).WithConservativeCare(), Single,
            EvaluationOutcome.NotEligible,
            [ReasonCodes.ReliefBelowThreshold, ReasonCodes.IntravascularUptakeUnresolved, ReasonCodes.PainNotAxial,
             ReasonCodes.PainDurationTooShort, ReasonCodes.ConservativeCareNotDocumented], [ReasonCodes.CriteriaMet]),

        ["dual block, concordant durations"] = new(() => BlockScenario.DualBlock(), Dual,
            EvaluationOutcome.Eligible, [ReasonCodes.CriteriaMet]),
        ["dual block, discordant durations"] = new(() => new BlockScenario()
                .Block("block-1", Clinic.Monday).Baseline("block-1", 10).Post("block-1", 1, 1).Post("block-1", 2, 1).Post("block-1", 2.5, 8)
                .Block("block-2", Clinic.Monday.AddDays(7), o => o.Anesthetic = Clinic.Bupivacaine)
                .Baseline("block-2", 10).Post("block-2", 1, 1).Post("block-2", 2, 8), Dual,
            EvaluationOutcome.NotEligible, [ReasonCodes.DiscordantDuration]),
        ["one block only under dual-block-80"] = new(() => BlockScenario.SingleBlock(1), Dual,
            EvaluationOutcome.Indeterminate, [ReasonCodes.SecondBlockRequired]),
        ["two blocks on the same day count once"] = new(() => new BlockScenario()
                .Block("block-1", Clinic.Monday).Baseline("block-1", 10).Post("block-1", 1, 1)
                .Block("block-2", Clinic.Monday.AddHours(5)).Baseline("block-2", 10).Post("block-2", 1, 1), Dual,
            EvaluationOutcome.Indeterminate, [ReasonCodes.SecondBlockRequired]),
        ["a block of other joints is not a confirmatory block"] = new(() => BlockScenario.DualBlock(first: o => o.Joints = ["L3-L4"]), Dual,
            EvaluationOutcome.Indeterminate, [ReasonCodes.SecondBlockRequired]),
        ["general anaesthesia under dual-block-80"] = new(() => BlockScenario.DualBlock(second: o => o.Sedation = "general"), Dual,
            EvaluationOutcome.NotEligible, [ReasonCodes.SedationConfoundsBlock]),
        ["minimal sedation under dual-block-80 is fine"] = new(() => BlockScenario.DualBlock(second: o => o.Sedation = "minimal"), Dual,
            EvaluationOutcome.Eligible, [ReasonCodes.CriteriaMet]),
        ["70% relief passes single-block-50 ..."] = new(() => BlockScenario.SingleBlock(postScore: 3).Block("block-2", Clinic.Monday.AddDays(7))
                .Baseline("block-2", 10).Post("block-2", 1, 3), Single,
            EvaluationOutcome.Eligible, [ReasonCodes.CriteriaMet]),
        ["... but not dual-block-80"] = new(() => BlockScenario.SingleBlock(postScore: 3).Block("block-2", Clinic.Monday.AddDays(7))
                .Baseline("block-2", 10).Post("block-2", 1, 3), Dual,
            EvaluationOutcome.NotEligible, [ReasonCodes.ReliefBelowThreshold]),
        ["baseline below 4 under dual-block-80"] = new(() => BlockScenario.DualBlock()
                .Block("block-3", Clinic.Monday.AddDays(14)).Baseline("block-3", 3).Post("block-3", 1, 0), Dual,
            EvaluationOutcome.NotEligible, [ReasonCodes.BaselinePainTooLow]),
        ["three joint levels under dual-block-80"] = new(() => BlockScenario.DualBlock(
                o => o.Joints = ["L3-L4", "L4-L5", "L5-S1"], o => o.Joints = ["L3-L4", "L4-L5", "L5-S1"]), Dual,
            EvaluationOutcome.NotEligible, [ReasonCodes.TooManyLevels]),
    };

    public static TheoryData<string> Names => [.. Rows.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void Scenario_gives_the_expected_outcome_and_reasons(string name)
    {
        var row = Rows[name];

        var result = row.Build().Evaluate(row.Policy).Result;

        Assert.Equal(row.Outcome, result.Outcome);
        Assert.Equal(row.Policy, result.PolicyCode);
        foreach (var code in row.Reasons)
            Assert.Contains(code, result.ReasonCodeList);
        foreach (var code in row.Absent ?? [])
            Assert.DoesNotContain(code, result.ReasonCodeList);
        Assert.Equal(row.Outcome == EvaluationOutcome.Eligible, result.Eligible);
        if (row.Outcome == EvaluationOutcome.NotEligible)
            Assert.Contains(result.Reasons, r => r.Severity == ReasonSeverity.Error);
    }

    [Fact]
    public void The_table_covers_every_published_reason_code_under_both_policies()
    {
        var published = typeof(ReasonCodes).GetFields().Select(f => (string)f.GetValue(null)!).ToHashSet();
        var covered = Rows.Values.SelectMany(r => r.Reasons).ToHashSet();

        var uncovered = published.Except(covered).Where(c => c != ReasonCodes.BlockTimeMissing).ToList();
        Assert.True(uncovered.Count == 0, "Not covered: " + string.Join(", ", uncovered));
        Assert.Contains(Rows.Values, r => r.Policy == Single);
        Assert.Contains(Rows.Values, r => r.Policy == Dual);
    }

    [Fact]
    public void Relief_numbers_are_reported_per_block()
    {
        var result = new BlockScenario().Block("block-1", Clinic.Monday)
            .Baseline("block-1", 8).Post("block-1", 0.5, 4).Post("block-1", 1.5, 2).Post("block-1", 2.5, 3).Post("block-1", 3.5, 6)
            .Evaluate().Result;

        var block = Assert.Single(result.Blocks);
        Assert.Equal("block-1", block.ProcedureId);
        Assert.Equal(8, block.BaselineScore);
        Assert.Equal(2, block.BestScore);
        Assert.Equal(75m, block.PeakReliefPercent);
        Assert.Equal(2.5m, block.ReliefDurationHours);
        Assert.True(block.Positive);
        Assert.Equal(Clinic.Lidocaine, block.Anesthetic?.Code);
    }

    [Fact]
    public void Dual_block_uses_the_latest_two_comparable_blocks()
    {
        // An old negative block on the same joints is superseded by the two later ones.
        var scenario = new BlockScenario().Block("old", Clinic.Monday.AddDays(-30)).Baseline("old", 8).Post("old", 1, 8);
        foreach (var procedure in BlockScenario.DualBlock().Procedures)
            scenario.Procedures.Add(procedure);
        scenario.Observations.AddRange(BlockScenario.DualBlock().Observations.Select(o => { o.Id = "dual-" + o.Id; return o; }));

        var result = scenario.Evaluate(Dual, blockId: "block-2").Result;

        Assert.Equal(EvaluationOutcome.Eligible, result.Outcome);
        Assert.Equal(["block-2", "block-1"], result.Blocks.Select(b => b.ProcedureId));
        Assert.True(result.Blocks.All(b => b.Positive));
    }

    [Fact]
    public void Discordant_duration_names_the_longer_acting_block()
    {
        var result = new BlockScenario()
            .Block("block-1", Clinic.Monday).Baseline("block-1", 10).Post("block-1", 1, 1).Post("block-1", 2, 1).Post("block-1", 2.5, 8)
            .Block("block-2", Clinic.Monday.AddDays(7), o => o.Anesthetic = Clinic.Bupivacaine)
            .Baseline("block-2", 10).Post("block-2", 1, 1).Post("block-2", 2, 8)
            .Evaluate(Dual).Result;

        var reason = Assert.Single(result.Reasons, r => r.Code == ReasonCodes.DiscordantDuration);
        Assert.Equal("block-2", reason.ProcedureId);
        Assert.Equal(2m, result.Blocks.Single(b => b.ProcedureId == "block-1").ReliefDurationHours);
        Assert.Equal(1m, result.Blocks.Single(b => b.ProcedureId == "block-2").ReliefDurationHours);
    }
}
