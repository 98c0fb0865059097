using FhirMbb.Core;
using FhirMbb.Core.Evaluation;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Evaluation;

public sealed class EvaluateBlockServiceTests
{
    [Fact]
    public async System.Threading.Tasks.Task Unknown_procedure_is_a_404()
    {
        var service = BlockScenario.Service(BlockScenario.SingleBlock(2).Source());

        var error = await Assert.ThrowsAsync<ProcedureNotFoundException>(() => service.EvaluateProcedureAsync("missing", null));

        Assert.Equal((404, Hl7.Fhir.Model.OperationOutcome.IssueType.NotFound), (error.Status, error.IssueType));
    }

    [Fact]
    public async System.Threading.Tasks.Task A_procedure_that_is_not_a_medial_branch_block_is_a_422()
    {
        var scenario = BlockScenario.SingleBlock(2, o => o.Code = new Coding(Canonicals.CodeSystems.Cpt, "64635"));
        var service = BlockScenario.Service(scenario.Source());

        var error = await Assert.ThrowsAsync<NotAMedialBranchBlockException>(() => service.EvaluateProcedureAsync("block-1", null));

        Assert.Equal(422, error.Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task Unknown_policy_is_a_400_before_any_lookup()
    {
        var service = BlockScenario.Service(BlockScenario.SingleBlock(2).Source());

        var error = await Assert.ThrowsAsync<UnknownPolicyException>(() => service.EvaluateProcedureAsync("missing", "no-such-policy"));

        Assert.Equal(400, error.Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Observation/x")]
    public async System.Threading.Tasks.Task Type_level_without_a_patient_is_a_400(string? patient)
    {
        var service = BlockScenario.Service(BlockScenario.SingleBlock(2).Source());

        var error = await Assert.ThrowsAsync<PatientParameterMissingException>(() => service.EvaluatePatientAsync(patient, null));

        Assert.Equal(400, error.Status);
    }

    [Fact]
    public async System.Threading.Tasks.Task Type_level_evaluates_the_patients_latest_completed_block()
    {
        var scenario = BlockScenario.DualBlock()
            .Block("block-3", Clinic.Monday.AddDays(10), o => o.Status = EventStatus.NotDone);
        var service = BlockScenario.Service(scenario.Source());

        var answer = await service.EvaluatePatientAsync("Patient/" + BlockScenario.PatientId, "dual-block-80");

        Assert.Equal("block-2", answer.Result.IndexProcedureId);
        Assert.Equal(EvaluationOutcome.Eligible, answer.Result.Outcome);
        Assert.Equal("dual-block-80", answer.Key.PolicyCode);
    }

    [Fact]
    public async System.Threading.Tasks.Task Type_level_for_a_patient_without_blocks_is_a_404()
    {
        var service = BlockScenario.Service(new BlockScenario().Source());

        await Assert.ThrowsAsync<ProcedureNotFoundException>(() => service.EvaluatePatientAsync(BlockScenario.PatientId, null));
    }

    [Fact]
    public async System.Threading.Tasks.Task Reads_the_indication_by_id_when_the_patient_search_misses_it()
    {
        var scenario = BlockScenario.SingleBlock(2);
        var source = new InMemoryEvidenceSource(scenario.Procedures, scenario.Observations, [scenario.Indication], conditionsListedForPatient: false);

        var answer = await BlockScenario.Service(source).EvaluateProcedureAsync("block-1", null);

        Assert.Equal(EvaluationOutcome.Eligible, answer.Result.Outcome);
        Assert.Equal(1, source.ConditionReads);
    }

    [Fact]
    public async System.Threading.Tasks.Task Entered_in_error_scores_are_not_used()
    {
        var scenario = BlockScenario.SingleBlock(2);
        scenario.Observations[1].Status = ObservationStatus.EnteredInError;

        var answer = await BlockScenario.Service(scenario.Source()).EvaluateProcedureAsync("block-1", null);

        Assert.Equal(EvaluationOutcome.Indeterminate, answer.Result.Outcome);
        Assert.Contains(ReasonCodes.NoPostBlockScores, answer.Result.ReasonCodeList);
        Assert.DoesNotContain("score-2", answer.Result.PainScoreIdsUsed);
    }

    [Fact]
    public async System.Threading.Tasks.Task Returns_the_outcome_observation_to_persist_stamped_by_the_clock()
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 3, 3, 8, 0, 0, TimeSpan.Zero));
        var scenario = BlockScenario.SingleBlock(2);
        var service = new EvaluateBlockService(scenario.Source(), new BlockPolicyCatalog(), new BlockEvaluator(Clinic.Nerves),
            new ClinicalFactReader(Clinic.ExclusionCodes), clock);

        var answer = await service.EvaluateProcedureAsync("block-1", "single-block-50");

        Assert.Equal(clock.Now, answer.OutcomeObservation.Issued);
        Assert.Equal(answer.Key.ObservationId, answer.OutcomeObservation.Id);
        Assert.Equal("eligible", ((Code)answer.ToParameters().Parameter[0].Value!).Value);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now => now;
        public override DateTimeOffset GetUtcNow() => now;
    }
}

/// <summary>The engine on its own: no service, no FHIR, hostile inputs.</summary>
public sealed class BlockEvaluatorTests
{
    private static readonly BlockEvaluator Evaluator = new(Clinic.Nerves);
    private static readonly BlockPolicy Single = new BlockPolicyCatalog().Get("single-block-50");

    private static MedialBranchBlock Block(string id = "b1", DateTimeOffset? at = null) => new(
        id, "p1", "completed", at ?? Clinic.Monday, ["L4-L5"], Laterality.Right,
        new CodedValue(Canonicals.CodeSystems.Snomed, Clinic.Lidocaine), [new CodedValue(Canonicals.CodeSystems.Snomed, Clinic.Fluoroscopy)],
        "not-used", "none", 1, ["c1"], []);

    private static readonly PainCondition Indication = new("c1", [], "active", Clinic.Monday.AddYears(-1), "axial",
        [new ConservativeCare("nsaid", null, null, "failed")], false);

    [Fact]
    public void An_empty_block_reports_every_problem_and_does_not_throw()
    {
        var empty = new MedialBranchBlock("b0", null, null, null, [], Laterality.Unknown, null, [], null, "none", null, [], []);

        var result = Evaluator.Evaluate(new BlockEvidence(empty, [], [], [], []), Single);

        Assert.Equal(EvaluationOutcome.NotEligible, result.Outcome); // a block with no status is not completed
        Assert.Contains(ReasonCodes.BlockNotCompleted, result.ReasonCodeList);
        Assert.Contains(ReasonCodes.IndicationMissing, result.ReasonCodeList);
        Assert.Contains(ReasonCodes.AnestheticWindowUnknown, result.ReasonCodeList);
        Assert.Contains(ReasonCodes.BlockTimeMissing, result.ReasonCodeList);
        Assert.Contains(ReasonCodes.GuidanceNotAccepted, result.ReasonCodeList);
    }

    [Theory]
    [InlineData(10, "5", true)]
    [InlineData(10, "5.1", false)]
    [InlineData(7, "3.5", true)]
    [InlineData(3, "1.5", true)]
    [InlineData(3, "1.51", false)]
    public void Half_relief_is_decided_exactly(int baseline, string post, bool positive)
    {
        PainScore[] scores =
        [
            new("base", Clinic.Monday.AddMinutes(-30), baseline, AssessmentPhase.Baseline, null),
            new("post", Clinic.Monday.AddHours(1), decimal.Parse(post, System.Globalization.CultureInfo.InvariantCulture), AssessmentPhase.PostBlock, "b1"),
        ];

        var result = Evaluator.Evaluate(new BlockEvidence(Block(), [], scores, [Indication], []), Single);

        Assert.Equal(positive, result.Blocks.Single().Positive);
        Assert.Equal(positive ? EvaluationOutcome.Eligible : EvaluationOutcome.NotEligible, result.Outcome);
    }

    [Fact]
    public void Unlinked_diary_entries_belong_to_the_block_until_the_next_block()
    {
        PainScore[] scores =
        [
            new("base", Clinic.Monday.AddMinutes(-30), 8, AssessmentPhase.Baseline, null),
            new("next-day", Clinic.Monday.AddDays(1).AddHours(1), 0, AssessmentPhase.PostBlock, null),
            new("same-day", Clinic.Monday.AddHours(1), 7, AssessmentPhase.PostBlock, null),
        ];
        var next = Block("b2", Clinic.Monday.AddDays(1));

        var result = Evaluator.Evaluate(new BlockEvidence(Block(), [next], scores, [Indication], []), Single);

        Assert.Equal(["base", "same-day"], result.PainScoreIdsUsed);
        Assert.Contains(ReasonCodes.ReliefBelowThreshold, result.ReasonCodeList);
    }

    [Fact]
    public void A_block_that_was_not_done_does_not_cut_the_diary_short()
    {
        PainScore[] scores =
        [
            new("base", Clinic.Monday.AddMinutes(-30), 8, AssessmentPhase.Baseline, null),
            new("late", Clinic.Monday.AddHours(2), 2, AssessmentPhase.PostBlock, null),
        ];
        var cancelled = Block("b2", Clinic.Monday.AddHours(1)) with { Status = "not-done" };

        var result = Evaluator.Evaluate(new BlockEvidence(Block(), [cancelled], scores, [Indication], []), Single);

        Assert.Equal(EvaluationOutcome.Eligible, result.Outcome);
        Assert.Contains("late", result.PainScoreIdsUsed);
    }

    [Fact]
    public void Relief_duration_stops_at_the_first_score_below_threshold()
    {
        PainScore[] scores =
        [
            new("base", Clinic.Monday.AddMinutes(-30), 10, AssessmentPhase.Baseline, null),
            new("p1", Clinic.Monday.AddHours(0.5), 8, AssessmentPhase.PostBlock, "b1"),
            new("p2", Clinic.Monday.AddHours(1), 2, AssessmentPhase.PostBlock, "b1"),
            new("p3", Clinic.Monday.AddHours(2), 4, AssessmentPhase.PostBlock, "b1"),
            new("p4", Clinic.Monday.AddHours(3), 6, AssessmentPhase.PostBlock, "b1"),
            new("p5", Clinic.Monday.AddHours(5), 1, AssessmentPhase.PostBlock, "b1"),
        ];

        var detail = Evaluator.Evaluate(new BlockEvidence(Block(), [], scores, [Indication], []), Single).Blocks.Single();

        Assert.Equal(2m, detail.ReliefDurationHours);
        Assert.Equal(80m, detail.PeakReliefPercent);
        Assert.Equal(2, detail.BestScore);
    }
}
