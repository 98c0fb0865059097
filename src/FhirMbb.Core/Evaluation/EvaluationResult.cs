namespace FhirMbb.Core.Evaluation;

public enum EvaluationOutcome { Eligible, NotEligible, Indeterminate }

public enum ReasonSeverity { Error, Warning, Information }

/// <summary>How a reason bears on the outcome: a failed criterion, missing data, or a note only.</summary>
public enum ReasonEffect { Fails, Missing, Advisory, Met }

/// <summary>Reason codes of $evaluate-block (CodeSystem mbb). Published names: never rename.</summary>
public static class ReasonCodes
{
    public const string CriteriaMet = "criteria-met";
    public const string ReliefBelowThreshold = "relief-below-threshold";
    public const string ReliefOutsideWindow = "relief-outside-window";
    public const string NoBaselineScore = "no-baseline-score";
    public const string NoPostBlockScores = "no-post-block-scores";
    public const string BaselinePainTooLow = "baseline-pain-too-low";
    public const string PainDurationTooShort = "pain-duration-too-short";
    public const string ConservativeCareNotDocumented = "conservative-care-not-documented";
    public const string PainNotAxial = "pain-not-axial";
    public const string ExclusionDiagnosisPresent = "exclusion-diagnosis-present";
    public const string IndicationMissing = "indication-missing";
    public const string IntravascularUptakeUnresolved = "intravascular-uptake-unresolved";
    public const string SedationConfoundsBlock = "sedation-confounds-block";
    public const string GuidanceNotAccepted = "guidance-not-accepted";
    public const string SecondBlockRequired = "second-block-required";
    public const string DiscordantDuration = "discordant-duration";
    public const string TooManyLevels = "too-many-levels";
    public const string IncompleteNerveCoverage = "incomplete-nerve-coverage";
    public const string BlockNotCompleted = "block-not-completed";

    /// <summary>Added by the engine: the policy has no relief window for the block's anaesthetic (or none is recorded).</summary>
    public const string AnestheticWindowUnknown = "anesthetic-window-unknown";

    /// <summary>Added by the engine: the block has no usable performed time.</summary>
    public const string BlockTimeMissing = "block-time-missing";
}

public sealed record EvaluationReason(string Code, ReasonEffect Effect, string Message, string? ProcedureId = null)
{
    public ReasonSeverity Severity => Effect switch
    {
        ReasonEffect.Fails => ReasonSeverity.Error,
        ReasonEffect.Missing or ReasonEffect.Advisory => ReasonSeverity.Warning,
        _ => ReasonSeverity.Information,
    };
}

/// <summary>What one evaluated block showed.</summary>
public sealed record BlockDetail(
    string ProcedureId,
    CodedValue? Anesthetic,
    int? BaselineScore,
    int? BestScore,
    decimal? PeakReliefPercent,
    decimal? ReliefDurationHours,
    bool Positive);

/// <summary>One nerve to ablate on one side (a bilateral block yields a left and a right target).</summary>
public sealed record RfaTarget(string NerveCode, Laterality Side);

public sealed record EvaluationResult(
    string PolicyCode,
    string IndexProcedureId,
    string? PatientId,
    EvaluationOutcome Outcome,
    IReadOnlyList<EvaluationReason> Reasons,
    IReadOnlyList<BlockDetail> Blocks,
    IReadOnlyList<RfaTarget> RfaTargets,
    IReadOnlyList<string> PainScoreIdsUsed)
{
    public bool Eligible => Outcome == EvaluationOutcome.Eligible;

    public IEnumerable<string> ReasonCodeList => Reasons.Select(r => r.Code).Distinct();
}
