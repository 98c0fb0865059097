using FhirMbb.Core;
using FhirMbb.Core.Evaluation;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Tests.Evaluation;

/// <summary>Codes the scenarios use, named for what they are.</summary>
internal static class Clinic
{
    public const string Lidocaine = "387480006";
    public const string Bupivacaine = "387150008";
    public const string Fluoroscopy = "44491008";
    public const string Radiculopathy = "M54.16";

    public static readonly DateTimeOffset Monday = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    public static readonly IReadOnlySet<(string System, string Code)> ExclusionCodes =
        new HashSet<(string, string)> { (Canonicals.CodeSystems.Icd10Cm, Radiculopathy) };

    /// <summary>A small joint-to-nerve map built in code, standing in for terminology/.</summary>
    public static ConceptMap NerveConceptMap()
    {
        var group = new ConceptMap.GroupComponent
        {
            Source = Canonicals.CodeSystems.SpinalFacetJoint,
            Target = Canonicals.CodeSystems.SpinalMedialBranch,
        };
        void Map(string joint, params string[] nerves) => group.Element.Add(new ConceptMap.SourceElementComponent
        {
            Code = joint,
            Target = nerves.Select(n => new ConceptMap.TargetElementComponent { Code = n, Equivalence = ConceptMapEquivalence.Relatedto }).ToList(),
        });
        Map("L3-L4", "L2-MB", "L3-MB");
        Map("L4-L5", "L3-MB", "L4-MB");
        Map("L5-S1", "L4-MB", "L5-DR");
        Map("C2-C3", "C3-TON");
        Map("C4-C5", "C4-MB", "C5-MB");
        return new ConceptMap { Id = "facet-joint-to-medial-branch", Group = [group] };
    }

    public static NerveMap Nerves { get; } = NerveMap.FromConceptMap(NerveConceptMap());
}

/// <summary>The knobs of one block; defaults describe a textbook single lumbar block.</summary>
internal sealed class BlockOptions
{
    public string[] Joints { get; set; } = ["L4-L5"];
    public string Laterality { get; set; } = LateralityCodes.Left;
    public string? Anesthetic { get; set; } = Clinic.Lidocaine;
    public Coding? Guidance { get; set; } = new(Canonicals.CodeSystems.Snomed, Clinic.Fluoroscopy, "Fluoroscopy");
    public string Contrast { get; set; } = "no-intravascular-uptake";
    public string? Sedation { get; set; }
    public EventStatus Status { get; set; } = EventStatus.Completed;
    public Coding Code { get; set; } = new(Canonicals.CodeSystems.Mbb, "medial-branch-block");
    public bool PerformedAsPeriod { get; set; }
    public bool WithIndication { get; set; } = true;
    /// <summary>Nerves recorded as blocked; null means "the nerves the map gives for the joints".</summary>
    public string[]? Nerves { get; set; }
}

/// <summary>
/// Builds one patient's record as Firely POCOs: an indication, blocks and a pain diary, and
/// evaluates it through the real service with an in-memory evidence source.
/// </summary>
internal sealed class BlockScenario
{
    public const string PatientId = "pat-1";
    public const string IndicationId = "indication-1";

    private readonly Dictionary<string, DateTimeOffset> _blockTimes = [];
    private int _scoreCount;

    public Condition Indication { get; } = NewIndication();
    public List<Procedure> Procedures { get; } = [];
    public List<Observation> Observations { get; } = [];
    public List<Condition> OtherConditions { get; } = [];

    /// <summary>A block on Monday 09:00 with baseline 8 and, one hour later, a score of <paramref name="postScore"/>.</summary>
    public static BlockScenario SingleBlock(int postScore = 4, Action<BlockOptions>? options = null) =>
        new BlockScenario().Block("block-1", Clinic.Monday, options).Baseline("block-1", 8).Post("block-1", 1, postScore);

    /// <summary>Two blocks a week apart: lidocaine then bupivacaine, both with 90% relief.</summary>
    public static BlockScenario DualBlock(Action<BlockOptions>? first = null, Action<BlockOptions>? second = null) =>
        new BlockScenario()
            .Block("block-1", Clinic.Monday, first).Baseline("block-1", 10).Post("block-1", 1, 1).Post("block-1", 2, 1).Post("block-1", 4, 8)
            .Block("block-2", Clinic.Monday.AddDays(7), o => { o.Anesthetic = Clinic.Bupivacaine; second?.Invoke(o); })
            .Baseline("block-2", 10).Post("block-2", 1, 1).Post("block-2", 4, 1).Post("block-2", 6, 1).Post("block-2", 10, 8);

    public BlockScenario Block(string id, DateTimeOffset at, Action<BlockOptions>? configure = null)
    {
        var o = new BlockOptions();
        configure?.Invoke(o);
        var procedure = new Procedure
        {
            Id = id,
            Meta = new Meta { Profile = [Canonicals.Profiles.MbbProcedure] },
            Status = o.Status,
            Code = new CodeableConcept { Coding = [o.Code] },
            Subject = new ResourceReference("Patient/" + PatientId),
            Performed = o.PerformedAsPeriod ? new Period(new FhirDateTime(at.AddMinutes(-20)), new FhirDateTime(at)) : new FhirDateTime(at),
            BodySite = (o.Nerves ?? o.Joints.SelectMany(j => Clinic.Nerves.NervesOf(j)).Distinct().ToArray())
                .Select(n => new CodeableConcept(Canonicals.CodeSystems.SpinalMedialBranch, n)).ToList(),
        };
        if (o.WithIndication)
            procedure.ReasonReference.Add(new ResourceReference("Condition/" + IndicationId));
        foreach (var joint in o.Joints)
            procedure.AddExtension(Canonicals.Extensions.TargetJoint, new CodeableConcept(Canonicals.CodeSystems.SpinalFacetJoint, joint));
        procedure.AddExtension(Canonicals.Extensions.Laterality, new CodeableConcept(Canonicals.CodeSystems.Snomed, o.Laterality));
        if (o.Anesthetic is not null)
            procedure.AddExtension(Canonicals.Extensions.Anesthetic, new CodeableConcept(Canonicals.CodeSystems.Snomed, o.Anesthetic));
        if (o.Guidance is not null)
            procedure.AddExtension(Canonicals.Extensions.ImagingGuidance, new CodeableConcept { Coding = [o.Guidance] });
        procedure.AddExtension(Canonicals.Extensions.ContrastResult, new Code(o.Contrast));
        if (o.Sedation is not null)
            procedure.AddExtension(Canonicals.Extensions.Sedation, new Code(o.Sedation));
        procedure.AddExtension(Canonicals.Extensions.BlockNumber, new PositiveInt(Procedures.Count + 1));

        Procedures.Add(procedure);
        _blockTimes[id] = at;
        return this;
    }

    public BlockScenario Baseline(string blockId, decimal score, double hoursBefore = 0.5) =>
        AddScore(blockId, "baseline", _blockTimes[blockId].AddHours(-hoursBefore), score, asQuantity: false, linkToBlock: false);

    public BlockScenario Post(string blockId, double hoursAfter, decimal score, bool asQuantity = false) =>
        AddScore(blockId, "post-block", _blockTimes[blockId].AddHours(hoursAfter), score, asQuantity, linkToBlock: true);

    public BlockScenario ConfigureIndication(Action<Condition> change)
    {
        change(Indication);
        return this;
    }

    public BlockScenario WithPainDistribution(string code)
    {
        Indication.SetExtension(Canonicals.Extensions.PainDistribution, new Code(code));
        return this;
    }

    public BlockScenario WithOnset(DateTimeOffset onset) => ConfigureIndication(c => c.Onset = new FhirDateTime(onset));

    public BlockScenario WithConservativeCare(params (string Modality, string Response)[] care)
    {
        Indication.RemoveExtension(Canonicals.Extensions.ConservativeCare);
        foreach (var (modality, response) in care)
            Indication.Extension.Add(ConservativeCareExtension(modality, response));
        return this;
    }

    public BlockScenario WithActiveCondition(string id, string system, string code, string display)
    {
        OtherConditions.Add(new Condition
        {
            Id = id,
            ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
            Code = new CodeableConcept(system, code, display),
            Subject = new ResourceReference("Patient/" + PatientId),
        });
        return this;
    }

    public InMemoryEvidenceSource Source() => new(Procedures, Observations, [Indication, .. OtherConditions]);

    public static EvaluateBlockService Service(IBlockEvidenceSource source, IEnumerable<BlockPolicy>? configured = null) =>
        new(source, new BlockPolicyCatalog(configured), new BlockEvaluator(Clinic.Nerves), new ClinicalFactReader(Clinic.ExclusionCodes));

    public BlockEvaluationAnswer Evaluate(string policy = "single-block-50", string? blockId = null, IEnumerable<BlockPolicy>? configured = null) =>
        Service(Source(), configured).EvaluateProcedureAsync(blockId ?? Procedures[^1].Id!, policy).GetAwaiter().GetResult();

    private BlockScenario AddScore(string blockId, string phase, DateTimeOffset at, decimal score, bool asQuantity, bool linkToBlock)
    {
        var observation = new Observation
        {
            Id = $"score-{++_scoreCount}",
            Status = ObservationStatus.Final,
            Code = new CodeableConcept(Canonicals.CodeSystems.Loinc, Canonicals.PainScoreLoinc),
            Subject = new ResourceReference("Patient/" + PatientId),
            Effective = new FhirDateTime(at),
            Value = asQuantity || decimal.Truncate(score) != score
                ? new Quantity { Value = score, System = Canonicals.CodeSystems.Ucum, Code = "{score}", Unit = "score" }
                : new Integer((int)score),
        };
        observation.AddExtension(Canonicals.Extensions.AssessmentPhase, new Code(phase));
        if (linkToBlock)
            observation.PartOf.Add(new ResourceReference("Procedure/" + blockId));
        Observations.Add(observation);
        return this;
    }

    private static Condition NewIndication()
    {
        var condition = new Condition
        {
            Id = IndicationId,
            Meta = new Meta { Profile = [Canonicals.Profiles.MbbAxialPainCondition] },
            ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
            Code = new CodeableConcept(Canonicals.CodeSystems.Icd10Cm, "M47.816", "Spondylosis without myelopathy or radiculopathy, lumbar region"),
            Subject = new ResourceReference("Patient/" + PatientId),
            Onset = new FhirDateTime(Clinic.Monday.AddMonths(-12)),
        };
        condition.AddExtension(Canonicals.Extensions.PainDistribution, new Code("axial"));
        condition.Extension.Add(ConservativeCareExtension("physical-therapy", "failed"));
        return condition;
    }

    private static Extension ConservativeCareExtension(string modality, string response)
    {
        var extension = new Extension { Url = Canonicals.Extensions.ConservativeCare };
        extension.AddExtension("modality", new Code(modality));
        extension.AddExtension("period", new Period(new FhirDateTime(Clinic.Monday.AddMonths(-6)), new FhirDateTime(Clinic.Monday.AddMonths(-3))));
        extension.AddExtension("response", new Code(response));
        return extension;
    }
}

/// <summary>An <see cref="IBlockEvidenceSource"/> over lists, counting look-ups so tests can see what the service asked.</summary>
internal sealed class InMemoryEvidenceSource(
    IReadOnlyList<Procedure> procedures,
    IReadOnlyList<Observation> observations,
    IReadOnlyList<Condition> conditions,
    bool conditionsListedForPatient = true) : IBlockEvidenceSource
{
    public int ConditionReads { get; private set; }

    public Task<ProcedureFacts?> GetProcedureAsync(string id, CancellationToken cancellationToken) =>
        Task.FromResult(procedures.FirstOrDefault(p => p.Id == id) is { } procedure
            ? new ProcedureFacts(ClinicalFactReader.IsMedialBranchBlock(procedure) ? ClinicalFactReader.ReadBlock(procedure) : null)
            : null);

    public Task<IReadOnlyList<MedialBranchBlock>> GetPatientBlocksAsync(string patientId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<MedialBranchBlock>>(procedures
            .Where(p => p.Subject?.Reference == "Patient/" + patientId && ClinicalFactReader.IsMedialBranchBlock(p))
            .Select(ClinicalFactReader.ReadBlock)
            .ToList());

    public Task<IReadOnlyList<PainScore>> GetPatientPainScoresAsync(string patientId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<PainScore>>(observations
            .Where(o => o.Subject?.Reference == "Patient/" + patientId)
            .Select(ClinicalFactReader.UsablePainScore)
            .OfType<PainScore>()
            .ToList());

    public Task<IReadOnlyList<PainCondition>> GetPatientConditionsAsync(string patientId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<PainCondition>>(conditionsListedForPatient
            ? conditions.Where(c => c.Subject?.Reference == "Patient/" + patientId).Select(ClinicalFactReader.ReadConditionRecord).ToList()
            : []);

    public Task<PainCondition?> GetConditionAsync(string id, CancellationToken cancellationToken)
    {
        ConditionReads++;
        return Task.FromResult(conditions.FirstOrDefault(c => c.Id == id) is { } condition ? ClinicalFactReader.ReadConditionRecord(condition) : null);
    }
}
