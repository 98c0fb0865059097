using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace FhirMbb.Core.Evaluation;

/// <summary>
/// Turns Firely POCOs into the engine's facts. Reads tolerantly: a missing or malformed element
/// becomes a null fact that the engine reports, never an exception.
/// </summary>
public sealed class ClinicalFactReader
{
    private static readonly HashSet<string> MbbCptCodes = ["64490", "64491", "64492", "64493", "64494", "64495"];
    private const string SnomedLeft = "7771000";
    private const string SnomedRight = "24028007";
    private const string SnomedBilateral = "51440002";

    private readonly Func<CodedValue, bool> _isExclusionCode;

    /// <param name="isExclusionCode">Membership of ValueSet mbb-exclusion-diagnoses (expanded by the caller).</param>
    public ClinicalFactReader(Func<CodedValue, bool> isExclusionCode) => _isExclusionCode = isExclusionCode;

    /// <summary>Convenience for an expanded code set of (system, code) pairs.</summary>
    public ClinicalFactReader(IReadOnlySet<(string System, string Code)> exclusionCodes)
        : this(c => c.System is not null && exclusionCodes.Contains((c.System, c.Code))) { }

    /// <summary>An MBB is coded mbb#medial-branch-block or CPT 64490-64495.</summary>
    public static bool IsMedialBranchBlock(Procedure procedure) =>
        procedure.Code?.Coding?.Any(c =>
            (c.System == Canonicals.CodeSystems.Mbb && c.Code == "medial-branch-block")
            || (c.System == Canonicals.CodeSystems.Cpt && c.Code is not null && MbbCptCodes.Contains(c.Code))) == true;

    public static bool IsPainScore(Observation observation) =>
        observation.Code?.Coding?.Any(c => c.System == Canonicals.CodeSystems.Loinc && c.Code == Canonicals.PainScoreLoinc) == true;

    public static MedialBranchBlock ReadBlock(Procedure p)
    {
        var performedAt = p.Performed switch
        {
            FhirDateTime dt => ToInstant(dt),
            Period period => ToInstant(period.EndElement) ?? ToInstant(period.StartElement),
            _ => null,
        };

        var joints = p.GetExtensions(Canonicals.Extensions.TargetJoint)
            .SelectMany(e => (e.Value as CodeableConcept)?.Coding ?? [])
            .Where(c => c.System == Canonicals.CodeSystems.SpinalFacetJoint && !string.IsNullOrEmpty(c.Code))
            .Select(c => c.Code!)
            .Distinct()
            .ToList();

        var nerves = (p.BodySite ?? [])
            .SelectMany(cc => cc.Coding ?? [])
            .Where(c => c.System == Canonicals.CodeSystems.SpinalMedialBranch && !string.IsNullOrEmpty(c.Code))
            .Select(c => c.Code!)
            .Distinct()
            .ToList();

        var laterality = FirstCoding(p.GetExtension(Canonicals.Extensions.Laterality)?.Value as CodeableConcept, Canonicals.CodeSystems.Snomed)?.Code switch
        {
            SnomedLeft => Laterality.Left,
            SnomedRight => Laterality.Right,
            SnomedBilateral => Laterality.Bilateral,
            _ => Laterality.Unknown,
        };

        var anesthetic = ToCoded(FirstCoding(p.GetExtension(Canonicals.Extensions.Anesthetic)?.Value as CodeableConcept, Canonicals.CodeSystems.Snomed)
            ?? FirstCoding(p.GetExtension(Canonicals.Extensions.Anesthetic)?.Value as CodeableConcept, null));

        var guidance = ((p.GetExtension(Canonicals.Extensions.ImagingGuidance)?.Value as CodeableConcept)?.Coding ?? [])
            .Select(ToCoded).OfType<CodedValue>().ToList();

        var blockNumber = (p.GetExtension(Canonicals.Extensions.BlockNumber)?.Value as PositiveInt)?.Value
            ?? (p.GetExtension(Canonicals.Extensions.BlockNumber)?.Value as Integer)?.Value;

        var indications = (p.ReasonReference ?? [])
            .Select(r => IdOf(r, "Condition"))
            .OfType<string>()
            .Distinct()
            .ToList();

        return new MedialBranchBlock(
            Id: p.Id ?? "",
            PatientId: IdOf(p.Subject, "Patient"),
            Status: p.Status?.GetLiteral(),
            PerformedAt: performedAt,
            TargetJoints: joints,
            Laterality: laterality,
            Anesthetic: anesthetic,
            Guidance: guidance,
            ContrastResult: CodeOf(p.GetExtension(Canonicals.Extensions.ContrastResult)),
            // The profile says an absent sedation extension means none was given.
            Sedation: CodeOf(p.GetExtension(Canonicals.Extensions.Sedation)) ?? "none",
            BlockNumber: blockNumber,
            IndicationIds: indications,
            NervesBlocked: nerves);
    }

    public static PainScore ReadPainScore(Observation o)
    {
        decimal? value = o.Value switch
        {
            Integer i => i.Value,
            // Many EHRs send {score} Quantities; anything else (e.g. a percentage) is not a 0-10 rating.
            Quantity q when q.Code is null or "{score}" => q.Value,
            _ => null,
        };
        if (value is < 0 or > 10)
            value = null;

        var phase = CodeOf(o.GetExtension(Canonicals.Extensions.AssessmentPhase)) switch
        {
            "baseline" => AssessmentPhase.Baseline,
            "post-block" => AssessmentPhase.PostBlock,
            _ => AssessmentPhase.Unknown,
        };

        var at = o.Effective switch
        {
            FhirDateTime dt => ToInstant(dt),
            Instant instant => instant.Value,
            Period period => ToInstant(period.StartElement),
            _ => null,
        };

        var partOf = (o.PartOf ?? []).Select(r => IdOf(r, "Procedure")).OfType<string>().FirstOrDefault();
        return new PainScore(o.Id ?? "", at, value, phase, partOf);
    }

    /// <summary>The facts of a pain score that counts; null for any other Observation.</summary>
    public static PainScore? UsablePainScore(Observation o) => IsPainScore(o) && IsUsablePainScore(o) ? ReadPainScore(o) : null;

    /// <summary>Whether a pain score counts: entered-in-error, cancelled and preliminary ones do not.</summary>
    public static bool IsUsablePainScore(Observation o) =>
        o.Status is ObservationStatus.Final or ObservationStatus.Amended or ObservationStatus.Corrected;

    public PainCondition ReadCondition(Condition c) => WithExclusion(ReadConditionRecord(c));

    /// <summary>Whether the condition's codes exclude RFA (ValueSet mbb-exclusion-diagnoses), decided now.</summary>
    public PainCondition WithExclusion(PainCondition condition) =>
        condition with { IsExclusionDiagnosis = condition.Codes.Any(_isExclusionCode) };

    /// <summary>
    /// What the Condition records, without <see cref="PainCondition.IsExclusionDiagnosis"/> (false): that depends on the
    /// configured exclusion codes, not on the resource (<see cref="WithExclusion"/>).
    /// </summary>
    public static PainCondition ReadConditionRecord(Condition c)
    {
        var codes = (c.Code?.Coding ?? []).Select(ToCoded).OfType<CodedValue>().ToList();

        var onset = c.Onset switch
        {
            FhirDateTime dt => ToInstant(dt),
            Period period => ToInstant(period.StartElement),
            _ => null,
        };

        var care = c.GetExtensions(Canonicals.Extensions.ConservativeCare)
            .Select(e =>
            {
                var period = e.GetExtension("period")?.Value as Period;
                return new ConservativeCare(
                    CodeOf(e.GetExtension("modality")),
                    ToInstant(period?.StartElement),
                    ToInstant(period?.EndElement),
                    CodeOf(e.GetExtension("response")));
            })
            .ToList();

        var clinicalStatus = c.ClinicalStatus?.Coding?.FirstOrDefault(x => !string.IsNullOrEmpty(x.Code))?.Code;

        return new PainCondition(
            Id: c.Id ?? "",
            Codes: codes,
            ClinicalStatus: clinicalStatus,
            Onset: onset,
            PainDistribution: CodeOf(c.GetExtension(Canonicals.Extensions.PainDistribution)),
            ConservativeCare: care,
            IsExclusionDiagnosis: false);
    }

    /// <summary>The logical id from a relative, absolute or versioned reference to the given type.</summary>
    public static string? IdOf(ResourceReference? reference, string resourceType) => IdOf(reference?.Reference, resourceType);

    /// <summary>The same, from the reference's text.</summary>
    public static string? IdOf(string? text, string resourceType)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var segments = text.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var typeIndex = Array.LastIndexOf(segments, resourceType);
        if (typeIndex >= 0 && typeIndex + 1 < segments.Length)
            return segments[typeIndex + 1];
        // A bare id is read as an id of the expected type.
        return segments.Length == 1 && !text.Contains(':') ? segments[0] : null;
    }

    private static Coding? FirstCoding(CodeableConcept? concept, string? system) =>
        concept?.Coding?.FirstOrDefault(c => !string.IsNullOrEmpty(c.Code) && (system is null || c.System == system));

    private static CodedValue? ToCoded(Coding? coding) =>
        coding is null || string.IsNullOrEmpty(coding.Code) ? null : new CodedValue(coding.System, coding.Code, coding.Display);

    private static string? CodeOf(Extension? extension) => extension?.Value switch
    {
        Code code => code.Value,
        PrimitiveType primitive => primitive.ToString(),
        _ => null,
    };

    /// <summary>A FHIR dateTime as JSON carries it, read as <see cref="ToInstant(FhirDateTime?)"/> does.</summary>
    internal static DateTimeOffset? ToInstant(string? value) => value is null ? null : ToInstant(new FhirDateTime(value));

    // Dates without a zone are read as UTC; partial dates (year only) are rejected as unusable.
    private static DateTimeOffset? ToInstant(FhirDateTime? value)
    {
        if (value?.Value is null || value.Value.Length < 10)
            return null;
        if (TryReadZonedInstant(value.Value, out var zoned)) return zoned;
        return value.TryToDateTimeOffset(TimeSpan.Zero, out var instant) ? instant : null;
    }

    private static readonly string[] ZonedFormats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    /// <summary>
    /// The common shape, a full date and time with 'Z' or a ±hh:mm offset (what devices and EHRs send), read directly;
    /// Firely's general reading went through its FHIRPath DateTime type and showed as 8% of an $evaluate-block call
    /// (100 diary entries). Anything else (no zone, partial, more than 7 decimals) is left to Firely; the results are
    /// tested equal.
    /// </summary>
    internal static bool TryReadZonedInstant(string value, out DateTimeOffset instant)
    {
        instant = default;
        var zoned = value.Length >= 20 && (value[^1] == 'Z' || (value.Length >= 25 && value[^6] is '+' or '-' && value[^3] == ':'));
        return zoned && DateTimeOffset.TryParseExact(value, ZonedFormats, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.None, out instant);
    }
}
