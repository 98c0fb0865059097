namespace FhirMbb.Core.Evaluation;

/// <summary>A code with its system, detached from the Firely model so facts stay immutable.</summary>
public sealed record CodedValue(string? System, string Code, string? Display = null)
{
    public bool Is(string system, string code) => System == system && Code == code;
    public string Token => $"{System}|{Code}";
}

public enum Laterality { Unknown, Left, Right, Bilateral }

public enum AssessmentPhase { Unknown, Baseline, PostBlock }

/// <summary>What the engine needs to know about one medial branch block (an mbb-procedure).</summary>
public sealed record MedialBranchBlock(
    string Id,
    string? PatientId,
    string? Status,
    DateTimeOffset? PerformedAt,
    IReadOnlyList<string> TargetJoints,
    Laterality Laterality,
    CodedValue? Anesthetic,
    IReadOnlyList<CodedValue> Guidance,
    string? ContrastResult,
    string Sedation,
    int? BlockNumber,
    IReadOnlyList<string> IndicationIds,
    IReadOnlyList<string> NervesBlocked)
{
    public bool IsCompleted => Status == "completed";

    /// <summary>Joints in a stable order, so "same joints" compares sets, not entry order.</summary>
    public string JointKey => string.Join(",", TargetJoints.Order(StringComparer.Ordinal));
}

/// <summary>One 0-10 rating from the pain diary (an mbb-pain-score).</summary>
public sealed record PainScore(
    string Id,
    DateTimeOffset? At,
    decimal? Value,
    AssessmentPhase Phase,
    string? PartOfProcedureId);

/// <summary>One mbb-conservative-care entry: what was tried and how it went.</summary>
public sealed record ConservativeCare(string? Modality, DateTimeOffset? Start, DateTimeOffset? End, string? Response)
{
    public bool Failed => Response == "failed";
}

/// <summary>A Condition of the patient: an indication (mbb-axial-pain-condition) or any other diagnosis.</summary>
public sealed record PainCondition(
    string Id,
    IReadOnlyList<CodedValue> Codes,
    string? ClinicalStatus,
    DateTimeOffset? Onset,
    string? PainDistribution,
    IReadOnlyList<ConservativeCare> ConservativeCare,
    bool IsExclusionDiagnosis)
{
    // recurrence and relapse are sub-states of active in the condition-clinical hierarchy.
    public bool IsActive => ClinicalStatus is "active" or "recurrence" or "relapse";
}
