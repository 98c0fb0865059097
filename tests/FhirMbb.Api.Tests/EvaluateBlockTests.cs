using System.Net;
using FhirMbb.Api.Tests.Infrastructure;
using FhirMbb.Testing;
using Hl7.Fhir.Model;
using static FhirMbb.Core.Canonicals;

namespace FhirMbb.Api.Tests;

/// <summary>Every scenario is built through HTTP: the resources pass profile validation on the way in.</summary>
public sealed class EvaluateBlockTests(FhirApiFactory factory) : IClassFixture<FhirApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private async Task<BlockAnswer> EvaluateAsync(BlockCase story, string policy = "single-block-50", int block = -1, bool persist = false)
    {
        await story.CreateAsync(_client);
        var id = block < 0 ? story.ProcedureIds[^1] : story.ProcedureIds[block];
        var response = await _client.GetAsync($"/fhir/Procedure/{id}/$evaluate-block?policy={policy}&persist={(persist ? "true" : "false")}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return new BlockAnswer(await response.ReadAs<Parameters>());
    }

    [Fact]
    public async Task Exactly_fifty_percent_relief_is_positive()
    {
        var story = new BlockCase();
        story.Blocks[0].Diary = [(1, 4), (2, 5)]; // baseline 8 -> 4
        var answer = await EvaluateAsync(story);
        Assert.Equal("eligible", answer.Outcome);
        Assert.True(answer.Eligible);
        Assert.Equal(["criteria-met"], answer.Reasons);
        Assert.Equal(50m, answer.PeakRelief());
        Assert.Equal(["L3-MB", "L4-MB"], answer.RfaTargets.Order());
    }

    [Fact]
    public async Task Relief_just_under_fifty_percent_is_negative()
    {
        // Whole-number scores cannot give 49%; 9 -> 5 is 44.4%, the nearest below 50.
        var story = new BlockCase();
        story.Blocks[0].Baseline = 9;
        story.Blocks[0].Diary = [(1, 5), (2, 6)];
        var answer = await EvaluateAsync(story);
        Assert.Equal("not-eligible", answer.Outcome);
        Assert.Contains("relief-below-threshold", answer.Reasons);
        Assert.Empty(answer.RfaTargets);
    }

    [Fact]
    public async Task Relief_only_after_the_anaesthetic_window_does_not_count()
    {
        var story = new BlockCase();
        story.Blocks[0].Diary = [(1, 7), (2, 7), (4, 2)]; // lidocaine window is 3 h
        var answer = await EvaluateAsync(story);
        Assert.Equal("not-eligible", answer.Outcome);
        Assert.Contains("relief-outside-window", answer.Reasons);
    }

    [Fact]
    public async Task Dual_blocks_with_discordant_durations_are_not_eligible()
    {
        var story = new BlockCase();
        story.Blocks[0].Diary = [(0.5, 1), (1, 1), (2.5, 1), (3, 8)];                 // lidocaine: relief ~2.5 h
        story.Blocks.Add(new BlockCase.Block
        {
            At = BlockCase.BlockTime.AddDays(14), Anesthetic = BlockCase.Bupivacaine, Number = 2,
            Diary = [(0.5, 1), (1, 8), (2, 8)],                                           // bupivacaine: relief ~0.5 h
        });
        var answer = await EvaluateAsync(story, "dual-block-80");
        Assert.Equal("not-eligible", answer.Outcome);
        Assert.Contains("discordant-duration", answer.Reasons);
    }

    [Fact]
    public async Task Two_concordant_blocks_of_eighty_percent_are_eligible_under_dual_block_80()
    {
        var story = new BlockCase();
        story.Blocks[0].Diary = [(0.5, 1), (2, 1), (3.5, 8)];
        story.Blocks.Add(new BlockCase.Block
        {
            At = BlockCase.BlockTime.AddDays(14), Anesthetic = BlockCase.Bupivacaine, Number = 2,
            Diary = [(0.5, 1), (4, 1), (7, 1), (9, 8)],
        });
        var answer = await EvaluateAsync(story, "dual-block-80");
        Assert.Equal("eligible", answer.Outcome);
        Assert.Equal(2, answer.Parameters.Parameter.Count(p => p.Name == "block"));
    }

    [Fact]
    public async Task Unresolved_intravascular_uptake_invalidates_the_block()
    {
        var story = new BlockCase();
        story.Blocks[0].Contrast = "intravascular-not-resolved";
        var answer = await EvaluateAsync(story);
        Assert.Equal("not-eligible", answer.Outcome);
        Assert.Contains("intravascular-uptake-unresolved", answer.Reasons);
    }

    [Fact]
    public async Task Radicular_predominant_pain_is_not_axial()
    {
        var answer = await EvaluateAsync(new BlockCase { Distribution = "radicular-predominant" });
        Assert.Equal("not-eligible", answer.Outcome);
        Assert.Contains("pain-not-axial", answer.Reasons);
    }

    [Fact]
    public async Task Pain_of_less_than_three_months_is_too_short()
    {
        var answer = await EvaluateAsync(new BlockCase { Onset = "2026-01-15" });
        Assert.Equal("not-eligible", answer.Outcome);
        Assert.Contains("pain-duration-too-short", answer.Reasons);
    }

    [Fact]
    public async Task An_active_exclusion_diagnosis_is_reported()
    {
        var answer = await EvaluateAsync(new BlockCase { ExclusionIcd10 = "M54.16" });
        Assert.Equal("not-eligible", answer.Outcome);
        Assert.Contains("exclusion-diagnosis-present", answer.Reasons);
    }

    [Fact]
    public async Task No_baseline_score_is_indeterminate()
    {
        var story = new BlockCase();
        story.Blocks[0].Baseline = null;
        var answer = await EvaluateAsync(story);
        Assert.Equal("indeterminate", answer.Outcome);
        Assert.Contains("no-baseline-score", answer.Reasons);
        Assert.False(answer.Eligible);
    }

    [Fact]
    public async Task No_conservative_care_documented()
    {
        var answer = await EvaluateAsync(new BlockCase { ConservativeCareResponse = null });
        Assert.NotEqual("eligible", answer.Outcome);
        Assert.Contains("conservative-care-not-documented", answer.Reasons);
    }

    [Fact]
    public async Task General_anaesthesia_confounds_a_block_under_dual_block_80()
    {
        var story = new BlockCase();
        story.Blocks[0].Sedation = "general";
        story.Blocks[0].Diary = [(0.5, 1), (2, 1), (3.5, 8)];
        story.Blocks.Add(new BlockCase.Block { At = BlockCase.BlockTime.AddDays(14), Number = 2, Diary = [(0.5, 1), (2, 1), (3.5, 8)] });
        var answer = await EvaluateAsync(story, "dual-block-80", block: 0);
        Assert.Equal("not-eligible", answer.Outcome);
        Assert.Contains("sedation-confounds-block", answer.Reasons);
    }

    [Fact]
    public async Task One_block_only_under_dual_block_80_needs_a_second()
    {
        var story = new BlockCase();
        story.Blocks[0].Diary = [(0.5, 1), (2, 1)];
        var answer = await EvaluateAsync(story, "dual-block-80");
        Assert.NotEqual("eligible", answer.Outcome);
        Assert.Contains("second-block-required", answer.Reasons);
    }

    [Fact]
    public async Task L5_S1_gives_the_L4_medial_branch_and_the_L5_dorsal_ramus()
    {
        var story = new BlockCase();
        story.Blocks[0].Joint = "L5-S1";
        var answer = await EvaluateAsync(story);
        Assert.Equal("eligible", answer.Outcome);
        Assert.Equal(["L4-MB", "L5-DR"], answer.RfaTargets.Order());
    }

    [Fact]
    public async Task A_bilateral_block_targets_both_sides()
    {
        var story = new BlockCase();
        story.Blocks[0].Laterality = "51440002";
        var answer = await EvaluateAsync(story);
        Assert.Equal("eligible", answer.Outcome);
        Assert.Equal(4, answer.RfaTargets.Count);
        var sides = answer.RfaTargetConcepts.Select(c => c.Text).ToList();
        Assert.Contains("L3-MB left", sides);
        Assert.Contains("L3-MB right", sides);
    }

    [Fact]
    public async Task C2_C3_gives_the_third_occipital_nerve()
    {
        var story = new BlockCase();
        story.Blocks[0].Joint = "C2-C3";
        var answer = await EvaluateAsync(story);
        Assert.Equal("eligible", answer.Outcome);
        Assert.Equal(["C3-TON"], answer.RfaTargets);
    }

    [Fact]
    public async Task Persisting_twice_updates_one_outcome_observation()
    {
        var story = new BlockCase();
        var first = await EvaluateAsync(story, persist: true);
        var again = new BlockAnswer(await (await _client.PostAsync($"/fhir/Procedure/{story.ProcedureIds[0]}/$evaluate-block",
            FhirTest.Json(new Parameters().Add("persist", new FhirBoolean(true))))).ReadAs<Parameters>());

        Assert.NotNull(first.OutcomeObservation);
        Assert.Equal(first.OutcomeObservation, again.OutcomeObservation);
        var stored = await (await _client.GetAsync($"/fhir/{again.OutcomeObservation}")).ReadAs<Observation>();
        Assert.Equal("2", stored.Meta.VersionId);
        Assert.Equal("eligible", ((CodeableConcept)stored.Value).Coding[0].Code);
        Assert.Contains(stored.Focus, f => f.Reference == $"Procedure/{story.ProcedureIds[0]}");
    }

    /// <summary>
    /// The server keeps what it read of each stored version between evaluations; an update, a new score or a deletion
    /// is a different version and must be seen by the very next evaluation.
    /// </summary>
    [Fact]
    public async Task Each_change_to_the_evidence_is_seen_by_the_next_evaluation()
    {
        var story = new BlockCase();
        Assert.Equal("eligible", (await EvaluateAsync(story)).Outcome);
        var url = $"/fhir/Procedure/{story.ProcedureIds[0]}/$evaluate-block?policy=single-block-50";
        async Task<BlockAnswer> AgainAsync() => new(await (await _client.GetAsync(url)).ReadAs<Parameters>());
        // A patient's versions are kept from the second evaluation on.
        Assert.Equal("eligible", (await AgainAsync()).Outcome);
        var diary = (await (await _client.GetAsync($"/fhir/Observation?patient=Patient/{story.PatientId}&_count=50")).ReadAs<Bundle>())
            .Entry.Select(e => (Observation)e.Resource).Where(o => ((Integer)o.Value).Value < 7).ToList();
        Assert.Equal(3, diary.Count); // the relief scores 4, 3, 3 of the default diary

        // Updated: no relief left.
        foreach (var score in diary)
        {
            score.Value = new Integer(8);
            Assert.Equal(HttpStatusCode.OK, (await _client.PutAsync($"/fhir/Observation/{score.Id}", FhirTest.Json(score))).StatusCode);
        }
        var updated = await AgainAsync();
        Assert.Equal("not-eligible", updated.Outcome);
        Assert.Contains("relief-below-threshold", updated.Reasons);

        // Deleted, then one new score of relief: eligible again on that score alone.
        foreach (var score in diary)
            Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/fhir/Observation/{score.Id}")).StatusCode);
        diary[0].Id = null;
        diary[0].Meta = null;
        diary[0].Value = new Integer(2);
        await _client.CreateAsync(diary[0]);
        Assert.Equal("eligible", (await AgainAsync()).Outcome);

        // The block itself changed: contrast showed intravascular uptake.
        var block = await (await _client.GetAsync($"/fhir/Procedure/{story.ProcedureIds[0]}")).ReadAs<Procedure>();
        MbbBuilders.ReplaceExtension(block, Extensions.ContrastResult, new Code("intravascular-not-resolved"));
        Assert.Equal(HttpStatusCode.OK, (await _client.PutAsync($"/fhir/Procedure/{block.Id}", FhirTest.Json(block))).StatusCode);
        var changed = await AgainAsync();
        Assert.Equal("not-eligible", changed.Outcome);
        Assert.Contains("intravascular-uptake-unresolved", changed.Reasons);
    }

    /// <summary>Kept Procedures, Conditions and score facts are shared by concurrent evaluations: every answer must be the same.</summary>
    [Fact]
    public async Task Concurrent_evaluations_of_kept_evidence_give_the_same_answer()
    {
        var story = new BlockCase();
        story.Blocks.Add(new BlockCase.Block { At = BlockCase.BlockTime.AddDays(14), Anesthetic = BlockCase.Bupivacaine, Number = 2 });
        await story.CreateAsync(_client);
        var url = $"/fhir/Procedure/{story.ProcedureIds[1]}/$evaluate-block?policy=dual-block-80";
        async Task<string> AnswerAsync()
        {
            var response = await _client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }
        static string WithoutTimes(string json) => System.Text.RegularExpressions.Regex.Replace(json, "\"(lastUpdated|effectiveDateTime|issued)\":\"[^\"]*\"", "");

        var first = WithoutTimes(await AnswerAsync());
        Assert.Equal(first, WithoutTimes(await AnswerAsync())); // from here on, the patient's versions are kept
        var answers = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => Task.Run(AnswerAsync)));

        Assert.All(answers, answer => Assert.Equal(first, WithoutTimes(answer)));
        Assert.Contains("peakReliefPercent", first);
    }

    [Fact]
    public async Task Type_level_evaluates_the_patients_latest_block()
    {
        var story = new BlockCase();
        await story.CreateAsync(_client);
        var body = new Parameters().Add("patient", new ResourceReference($"Patient/{story.PatientId}")).Add("policy", new Code("single-block-50"));

        var answer = new BlockAnswer(await (await _client.PostAsync("/fhir/Procedure/$evaluate-block", FhirTest.Json(body))).ReadAs<Parameters>());

        Assert.Equal("eligible", answer.Outcome);
    }

    [Fact]
    public async Task Refusals_are_outcomes_with_the_right_status()
    {
        var story = new BlockCase();
        await story.CreateAsync(_client);
        var plain = await _client.CreateAsync(FhirTest.Procedure());

        await (await _client.GetAsync($"/fhir/Procedure/{story.ProcedureIds[0]}/$evaluate-block?policy=no-such-policy")).AssertOutcome(HttpStatusCode.BadRequest);
        await (await _client.GetAsync($"/fhir/Procedure/{plain.Id}/$evaluate-block")).AssertOutcome(HttpStatusCode.UnprocessableEntity);
        await (await _client.GetAsync("/fhir/Procedure/nobody/$evaluate-block")).AssertOutcome(HttpStatusCode.NotFound);
        await (await _client.PostAsync("/fhir/Procedure/$evaluate-block", FhirTest.Json(new Parameters()))).AssertOutcome(HttpStatusCode.BadRequest);
        await (await _client.GetAsync($"/fhir/Procedure/{story.ProcedureIds[0]}/$evaluate-block?persist=maybe")).AssertOutcome(HttpStatusCode.BadRequest);
    }
}
