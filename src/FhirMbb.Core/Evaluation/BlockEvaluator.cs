namespace FhirMbb.Core.Evaluation;

/// <summary>Everything the engine looks at for one evaluation, already read into facts.</summary>
/// <param name="IndexBlock">The block asked about.</param>
/// <param name="OtherBlocks">The patient's other medial branch blocks (any status); the engine picks the comparable ones.</param>
/// <param name="PainScores">The patient's pain diary.</param>
/// <param name="Indications">Conditions found for the index block's reasonReference.</param>
/// <param name="OtherConditions">The patient's other Conditions, searched for exclusion diagnoses.</param>
public sealed record BlockEvidence(
    MedialBranchBlock IndexBlock,
    IReadOnlyList<MedialBranchBlock> OtherBlocks,
    IReadOnlyList<PainScore> PainScores,
    IReadOnlyList<PainCondition> Indications,
    IReadOnlyList<PainCondition> OtherConditions);

/// <summary>
/// Decides RFA eligibility from block outcomes under one policy. Pure: no I/O, no clock, never
/// throws for clinical data; every failed or missing criterion becomes a reason.
/// </summary>
public sealed class BlockEvaluator(NerveMap nerveMap)
{
    private const string IntravascularNotResolved = "intravascular-not-resolved";

    public EvaluationResult Evaluate(BlockEvidence evidence, BlockPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(policy);

        var reasons = new List<EvaluationReason>();
        var scoresUsed = new List<string>();
        var allBlocks = evidence.OtherBlocks.Where(b => b.Id != evidence.IndexBlock.Id).Prepend(evidence.IndexBlock).ToList();

        var selected = SelectBlocks(evidence.IndexBlock, allBlocks, policy, reasons);
        var assessed = selected.Select(block => AssessBlock(block, allBlocks, evidence.PainScores, policy, reasons, scoresUsed)).ToList();

        CheckConcordance(assessed, policy, reasons);
        CheckIndication(evidence, selected, policy, reasons);
        CheckExclusions(evidence, reasons);

        var outcome = reasons.Any(r => r.Effect == ReasonEffect.Fails) ? EvaluationOutcome.NotEligible
            : reasons.Any(r => r.Effect == ReasonEffect.Missing) ? EvaluationOutcome.Indeterminate
            : EvaluationOutcome.Eligible;

        // Guard: eligibility needs every required block positive, whatever the reasons say.
        if (outcome == EvaluationOutcome.Eligible && (assessed.Count < policy.BlocksRequired || assessed.Any(a => !a.Detail.Positive)))
            outcome = EvaluationOutcome.Indeterminate;

        var targets = new List<RfaTarget>();
        if (outcome == EvaluationOutcome.Eligible)
        {
            reasons.Add(new EvaluationReason(ReasonCodes.CriteriaMet, ReasonEffect.Met,
                $"{assessed.Count} positive block(s) meet every criterion of policy {policy.Code}.", evidence.IndexBlock.Id));
            targets.AddRange(RfaTargetsOf(selected));
        }

        return new EvaluationResult(
            policy.Code,
            evidence.IndexBlock.Id,
            evidence.IndexBlock.PatientId,
            outcome,
            reasons,
            assessed.Select(a => a.Detail).ToList(),
            targets,
            scoresUsed.Distinct().ToList());
    }

    // The index block plus, when the policy wants more, the latest comparable completed blocks on other days.
    private static List<MedialBranchBlock> SelectBlocks(
        MedialBranchBlock index, IReadOnlyList<MedialBranchBlock> allBlocks, BlockPolicy policy, List<EvaluationReason> reasons)
    {
        var selected = new List<MedialBranchBlock> { index };
        if (policy.BlocksRequired <= 1)
            return selected;

        var days = new HashSet<DateOnly>();
        if (index.PerformedAt is { } indexTime)
            days.Add(DateOnly.FromDateTime(indexTime.UtcDateTime));

        var comparable = allBlocks
            .Where(b => b.Id != index.Id && b.IsCompleted && b.PerformedAt is not null
                && b.JointKey == index.JointKey && b.Laterality == index.Laterality)
            .OrderByDescending(b => b.PerformedAt);
        foreach (var block in comparable)
        {
            if (selected.Count >= policy.BlocksRequired)
                break;
            if (days.Add(DateOnly.FromDateTime(block.PerformedAt!.Value.UtcDateTime)))
                selected.Add(block);
        }

        if (selected.Count < policy.BlocksRequired)
            reasons.Add(new EvaluationReason(ReasonCodes.SecondBlockRequired, ReasonEffect.Missing,
                $"Policy {policy.Code} needs {policy.BlocksRequired} blocks of the same joints and side on different days; found {selected.Count}.",
                index.Id));
        return selected;
    }

    private sealed record AssessedBlock(MedialBranchBlock Block, BlockDetail Detail, decimal? WindowHours);

    private AssessedBlock AssessBlock(
        MedialBranchBlock block,
        IReadOnlyList<MedialBranchBlock> allBlocks,
        IReadOnlyList<PainScore> scores,
        BlockPolicy policy,
        List<EvaluationReason> reasons,
        List<string> scoresUsed)
    {
        var firstReason = reasons.Count;
        void Add(string code, ReasonEffect effect, string message) => reasons.Add(new EvaluationReason(code, effect, message, block.Id));

        if (!block.IsCompleted)
            Add(ReasonCodes.BlockNotCompleted, ReasonEffect.Fails, $"Block status is '{block.Status ?? "missing"}'; only completed blocks are evaluated.");
        if (block.ContrastResult == IntravascularNotResolved)
            Add(ReasonCodes.IntravascularUptakeUnresolved, ReasonEffect.Fails, "Contrast showed intravascular uptake that was not resolved; the block cannot be interpreted.");
        if (policy.InvalidatingSedation.Contains(block.Sedation))
            Add(ReasonCodes.SedationConfoundsBlock, ReasonEffect.Fails, $"Sedation '{block.Sedation}' confounds a diagnostic block under policy {policy.Code}.");
        CheckGuidance(block, policy, Add);
        CheckLevelsAndCoverage(block, policy, Add);

        var window = policy.WindowHoursFor(block.Anesthetic?.Code);
        if (window is null)
            Add(ReasonCodes.AnestheticWindowUnknown, ReasonEffect.Missing, block.Anesthetic is null
                ? "No anaesthetic is recorded, so the relief window is unknown."
                : $"Policy {policy.Code} has no relief window for anaesthetic {block.Anesthetic.Display ?? block.Anesthetic.Code}.");

        if (block.PerformedAt is not { } performedAt)
        {
            Add(ReasonCodes.BlockTimeMissing, ReasonEffect.Missing, "The block has no usable performed time.");
            return new AssessedBlock(block, new BlockDetail(block.Id, block.Anesthetic, null, null, null, null, false), window);
        }

        var baseline = scores
            .Where(s => s.Phase == AssessmentPhase.Baseline && s.Value is not null && s.At is { } at
                && at <= performedAt && at >= performedAt.AddHours(-policy.BaselineLookbackHours)
                && (s.PartOfProcedureId is null || s.PartOfProcedureId == block.Id))
            .OrderByDescending(s => s.At)
            .FirstOrDefault();

        // Unlinked diary entries belong to this block until the patient's next block that actually happened.
        var nextBlockAt = allBlocks.Where(b => b.IsCompleted && b.PerformedAt > performedAt).Min(b => b.PerformedAt);
        var post = scores
            .Where(s => s.Phase == AssessmentPhase.PostBlock && s.Value is not null && s.At is { } at && at >= performedAt
                && (s.PartOfProcedureId == block.Id || (s.PartOfProcedureId is null && (nextBlockAt is null || at < nextBlockAt))))
            .OrderBy(s => s.At)
            .ToList();

        if (baseline is not null)
            scoresUsed.Add(baseline.Id);
        scoresUsed.AddRange(post.Select(s => s.Id));

        decimal? baselineValue = baseline?.Value;
        if (baselineValue is null or 0)
            Add(ReasonCodes.NoBaselineScore, ReasonEffect.Missing, baselineValue is null
                ? $"No baseline pain score in the {policy.BaselineLookbackHours} h before the block."
                : "The baseline pain score is 0, so relief cannot be computed.");
        else if (policy.MinimumBaselineScore is { } minimum && baselineValue < minimum)
            Add(ReasonCodes.BaselinePainTooLow, ReasonEffect.Fails, $"Baseline pain {baselineValue}/10 is below the policy minimum of {minimum}/10.");

        if (post.Count == 0)
            Add(ReasonCodes.NoPostBlockScores, ReasonEffect.Missing, "No post-block pain score is recorded for this block.");

        int? baselineScore = baselineValue is null ? null : (int)Math.Round(baselineValue.Value);
        if (baselineValue is not > 0 || post.Count == 0)
            return new AssessedBlock(block, new BlockDetail(block.Id, block.Anesthetic, baselineScore, null, null, null, false), window);

        var b = baselineValue.Value;
        // Integer-exact test: (b - s) / b >= t%  <=>  (b - s) * 100 >= t * b, so 50% is never lost to rounding.
        bool MeetsThreshold(PainScore s) => (b - s.Value!.Value) * 100 >= policy.ReliefThresholdPercent * b;

        var inWindow = window is { } w ? post.Where(s => s.At <= performedAt.AddMinutes((double)(w * 60))).ToList() : post;
        var best = inWindow.Count > 0 ? inWindow.Min(s => s.Value!.Value) : (decimal?)null;
        decimal? peak = best is null ? null : Math.Round((b - best.Value) * 100 / b, 1);
        var duration = ReliefDuration(post, performedAt, MeetsThreshold);
        var positiveInWindow = window is not null && inWindow.Any(MeetsThreshold);

        if (window is not null && !positiveInWindow)
        {
            if (post.Any(MeetsThreshold))
                Add(ReasonCodes.ReliefOutsideWindow, ReasonEffect.Fails,
                    $"Relief reached {policy.ReliefThresholdPercent}% only after the {Hours(window)} h window of the anaesthetic.");
            else if (inWindow.Count == 0)
                Add(ReasonCodes.NoPostBlockScores, ReasonEffect.Missing, $"No post-block pain score inside the {Hours(window)} h window of the anaesthetic.");
            else
                Add(ReasonCodes.ReliefBelowThreshold, ReasonEffect.Fails,
                    $"Peak relief {peak}% is below the {policy.ReliefThresholdPercent}% threshold of policy {policy.Code}.");
        }

        var blockProblems = reasons.Skip(firstReason).Any(r => r.Effect is ReasonEffect.Fails or ReasonEffect.Missing);
        var detail = new BlockDetail(block.Id, block.Anesthetic, baselineScore,
            best is null ? null : (int)Math.Round(best.Value), peak, duration, positiveInWindow && !blockProblems);
        return new AssessedBlock(block, detail, window);

        static string Hours(decimal? hours) => hours!.Value.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
    }

    // From the block to the last score still at threshold before relief first falls below it.
    private static decimal? ReliefDuration(List<PainScore> post, DateTimeOffset performedAt, Func<PainScore, bool> meets)
    {
        var start = post.FindIndex(s => meets(s));
        if (start < 0)
            return 0m;
        var last = post[start];
        for (var i = start + 1; i < post.Count && meets(post[i]); i++)
            last = post[i];
        return Math.Round((decimal)(last.At!.Value - performedAt).TotalHours, 2);
    }

    private static void CheckGuidance(MedialBranchBlock block, BlockPolicy policy, Action<string, ReasonEffect, string> add)
    {
        if (policy.AcceptedGuidance.Count == 0)
            return;
        if (block.Guidance.Count == 0)
            add(ReasonCodes.GuidanceNotAccepted, ReasonEffect.Missing, "No imaging guidance is recorded for the block.");
        else if (!block.Guidance.Any(g => policy.AcceptedGuidance.Contains(g.Token)))
            add(ReasonCodes.GuidanceNotAccepted, ReasonEffect.Fails,
                $"Imaging guidance {string.Join(", ", block.Guidance.Select(g => g.Display ?? g.Code))} is not accepted by policy {policy.Code}.");
    }

    private void CheckLevelsAndCoverage(MedialBranchBlock block, BlockPolicy policy, Action<string, ReasonEffect, string> add)
    {
        if (block.TargetJoints.Count == 0)
        {
            add(ReasonCodes.IncompleteNerveCoverage, ReasonEffect.Missing, "No target facet joint is recorded for the block.");
            return;
        }
        if (policy.MaxJointLevels is { } max && block.TargetJoints.Count > max)
            add(ReasonCodes.TooManyLevels, ReasonEffect.Fails, $"The block covers {block.TargetJoints.Count} joint levels; policy {policy.Code} allows {max}.");

        foreach (var joint in block.TargetJoints)
        {
            if (!nerveMap.Knows(joint))
            {
                add(ReasonCodes.IncompleteNerveCoverage, ReasonEffect.Advisory, $"Joint {joint} is not in the joint-to-nerve map; its RFA targets are unknown.");
                continue;
            }
            // Only judged when the nerves blocked are recorded; a block that spares a nerve of the joint tests it partly.
            var missing = nerveMap.NervesOf(joint).Where(n => block.NervesBlocked.Count > 0 && !block.NervesBlocked.Contains(n)).ToList();
            if (missing.Count > 0)
                add(ReasonCodes.IncompleteNerveCoverage, ReasonEffect.Advisory, $"Joint {joint}: nerve(s) {string.Join(", ", missing)} not blocked.");
        }
    }

    private static void CheckConcordance(List<AssessedBlock> assessed, BlockPolicy policy, List<EvaluationReason> reasons)
    {
        if (!policy.ConcordanceRequired || assessed.Count < 2 || assessed.Any(a => !a.Detail.Positive))
            return;
        for (var i = 0; i < assessed.Count; i++)
        for (var j = i + 1; j < assessed.Count; j++)
        {
            var (a, c) = (assessed[i], assessed[j]);
            if (a.WindowHours is null || c.WindowHours is null || a.WindowHours == c.WindowHours)
                continue;
            var (longer, shorter) = a.WindowHours > c.WindowHours ? (a, c) : (c, a);
            if (longer.Detail.ReliefDurationHours <= shorter.Detail.ReliefDurationHours)
                reasons.Add(new EvaluationReason(ReasonCodes.DiscordantDuration, ReasonEffect.Fails,
                    $"Relief after the longer-acting agent ({longer.Detail.ReliefDurationHours} h) did not outlast relief after the shorter-acting one ({shorter.Detail.ReliefDurationHours} h).",
                    longer.Block.Id));
        }
    }

    private static void CheckIndication(BlockEvidence evidence, List<MedialBranchBlock> selected, BlockPolicy policy, List<EvaluationReason> reasons)
    {
        var index = evidence.IndexBlock;
        if (index.IndicationIds.Count == 0)
        {
            reasons.Add(new EvaluationReason(ReasonCodes.IndicationMissing, ReasonEffect.Missing, "The block names no indication (reasonReference).", index.Id));
            return;
        }
        var found = evidence.Indications.Where(c => index.IndicationIds.Contains(c.Id)).ToList();
        if (found.Count == 0)
        {
            reasons.Add(new EvaluationReason(ReasonCodes.IndicationMissing, ReasonEffect.Missing,
                $"Indication {string.Join(", ", index.IndicationIds.Select(id => "Condition/" + id))} not found.", index.Id));
            return;
        }
        var active = found.Where(c => c.IsActive).ToList();
        if (active.Count == 0)
        {
            reasons.Add(new EvaluationReason(ReasonCodes.IndicationMissing, ReasonEffect.Fails, "The indication Condition is not active.", index.Id));
            return;
        }

        // Duration is judged at the earliest block evaluated: every block must follow the minimum duration.
        var onset = active.Where(c => c.Onset is not null).Min(c => c.Onset);
        var firstBlockAt = selected.Where(b => b.PerformedAt is not null).Min(b => b.PerformedAt);
        if (onset is null)
            reasons.Add(new EvaluationReason(ReasonCodes.PainDurationTooShort, ReasonEffect.Missing, "The indication has no onset date."));
        else if (firstBlockAt is not null && onset.Value.AddMonths(policy.MinimumPainDurationMonths) > firstBlockAt.Value)
            reasons.Add(new EvaluationReason(ReasonCodes.PainDurationTooShort, ReasonEffect.Fails,
                $"Pain began {onset.Value:yyyy-MM-dd}, less than {policy.MinimumPainDurationMonths} months before the block."));

        if (policy.AcceptedPainDistributions.Count > 0)
        {
            var distributions = active.Select(c => c.PainDistribution).OfType<string>().ToList();
            if (distributions.Count == 0)
                reasons.Add(new EvaluationReason(ReasonCodes.PainNotAxial, ReasonEffect.Missing, "The indication does not record the pain distribution."));
            else if (!distributions.Any(policy.AcceptedPainDistributions.Contains))
                reasons.Add(new EvaluationReason(ReasonCodes.PainNotAxial, ReasonEffect.Fails,
                    $"Pain distribution is {string.Join(", ", distributions)}; policy {policy.Code} needs {string.Join(" or ", policy.AcceptedPainDistributions)}."));
        }

        if (policy.ConservativeCareRequired)
        {
            var care = active.SelectMany(c => c.ConservativeCare).ToList();
            // Nothing recorded is missing data; care recorded as partly or fully effective is a clear "not failed".
            if (care.Count == 0)
                reasons.Add(new EvaluationReason(ReasonCodes.ConservativeCareNotDocumented, ReasonEffect.Missing, "No conservative care is documented on the indication."));
            else if (!care.Any(c => c.Failed))
                reasons.Add(new EvaluationReason(ReasonCodes.ConservativeCareNotDocumented, ReasonEffect.Fails,
                    $"No conservative care documented as failed ({string.Join(", ", care.Select(c => $"{c.Modality ?? "unknown"}: {c.Response ?? "no response"}"))})."));
        }
    }

    private static void CheckExclusions(BlockEvidence evidence, List<EvaluationReason> reasons)
    {
        var exclusions = evidence.Indications.Concat(evidence.OtherConditions)
            .Where(c => c.IsActive && c.IsExclusionDiagnosis)
            .DistinctBy(c => c.Id);
        foreach (var condition in exclusions)
        {
            var code = condition.Codes.FirstOrDefault();
            reasons.Add(new EvaluationReason(ReasonCodes.ExclusionDiagnosisPresent, ReasonEffect.Fails,
                $"Active exclusion diagnosis Condition/{condition.Id} ({code?.Display ?? code?.Code ?? "uncoded"})."));
        }
    }

    private IEnumerable<RfaTarget> RfaTargetsOf(IEnumerable<MedialBranchBlock> positiveBlocks)
    {
        var seen = new HashSet<RfaTarget>();
        foreach (var block in positiveBlocks)
        {
            Laterality[] sides = block.Laterality == Laterality.Bilateral ? [Laterality.Left, Laterality.Right] : [block.Laterality];
            foreach (var side in sides)
            foreach (var joint in block.TargetJoints)
            foreach (var nerve in nerveMap.NervesOf(joint))
            {
                var target = new RfaTarget(nerve, side);
                if (seen.Add(target))
                    yield return target;
            }
        }
    }
}
