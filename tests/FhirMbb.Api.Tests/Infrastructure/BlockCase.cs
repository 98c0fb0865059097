using FhirMbb.Testing;
using Hl7.Fhir.Model;
using static FhirMbb.Core.Canonicals;

namespace FhirMbb.Api.Tests.Infrastructure;

/// <summary>
/// One patient's MBB story, built through HTTP: indication, block(s), baseline and diary. Starts as an
/// eligible left L4-L5 lidocaine block (baseline 8, best 3 within the window); each test changes one thing.
/// </summary>
public sealed class BlockCase
{
    public const string Lidocaine = "387480006";
    public const string Bupivacaine = "387150008";
    public static readonly DateTimeOffset BlockTime = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);

    public sealed class Block
    {
        public DateTimeOffset At { get; set; } = BlockTime;
        public string Joint { get; set; } = "L4-L5";
        public string Laterality { get; set; } = "7771000";
        public string Anesthetic { get; set; } = Lidocaine;
        public string Contrast { get; set; } = "no-intravascular-uptake";
        public string? Sedation { get; set; }
        public int? Baseline { get; set; } = 8;
        public int Number { get; set; } = 1;
        /// <summary>Post-block scores: hours after the block, score.</summary>
        public List<(double Hours, int Score)> Diary { get; set; } = [(0.5, 4), (1, 3), (2, 3), (5, 7)];
    }

    public List<Block> Blocks { get; } = [new Block()];
    public string Distribution { get; set; } = "axial";
    public string? ConservativeCareResponse { get; set; } = "failed";
    public string Onset { get; set; } = "2025-06-15";
    public string? ExclusionIcd10 { get; set; }

    public string PatientId { get; private set; } = "";
    public List<string> ProcedureIds { get; } = [];

    private static readonly Dictionary<string, string[]> NervesBlocked = new()
    {
        ["L4-L5"] = ["L3-MB", "L4-MB"], ["L5-S1"] = ["L4-MB", "L5-DR"], ["C2-C3"] = ["C3-TON"],
    };

    public async Task CreateAsync(HttpClient client)
    {
        PatientId = (await client.CreateAsync(FhirTest.Patient("Block"))).Id;
        var subject = new ResourceReference($"Patient/{PatientId}");

        var indication = MbbBuilders.Indication(c =>
        {
            c.Subject = subject;
            c.Onset = new FhirDateTime(Onset);
            MbbBuilders.ReplaceExtension(c, Extensions.PainDistribution, new Code(Distribution));
            MbbBuilders.RemoveExtension(c, Extensions.ConservativeCare);
            if (ConservativeCareResponse is not null) c.Extension.Add(MbbBuilders.ConservativeCare("physical-therapy", ConservativeCareResponse));
        });
        var indicationId = (await client.CreateAsync(indication)).Id;

        if (ExclusionIcd10 is not null)
            await client.CreateAsync(new Condition
            {
                ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
                Code = new CodeableConcept(CodeSystems.Icd10Cm, ExclusionIcd10),
                Subject = subject,
            });

        foreach (var spec in Blocks)
        {
            var procedure = MbbBuilders.Block(p =>
            {
                p.Subject = subject;
                p.Performed = new FhirDateTime(spec.At);
                p.ReasonReference = [new ResourceReference($"Condition/{indicationId}")];
                p.BodySite = NervesBlocked[spec.Joint].Select(n => new CodeableConcept(CodeSystems.SpinalMedialBranch, n)).ToList();
                MbbBuilders.ReplaceExtension(p, Extensions.TargetJoint, new CodeableConcept(CodeSystems.SpinalFacetJoint, spec.Joint));
                MbbBuilders.ReplaceExtension(p, Extensions.Laterality, new CodeableConcept(CodeSystems.Snomed, spec.Laterality));
                MbbBuilders.ReplaceExtension(p, Extensions.Anesthetic, new CodeableConcept(CodeSystems.Snomed, spec.Anesthetic));
                MbbBuilders.ReplaceExtension(p, Extensions.ContrastResult, new Code(spec.Contrast));
                MbbBuilders.ReplaceExtension(p, Extensions.BlockNumber, new PositiveInt(spec.Number));
                if (spec.Sedation is not null) MbbBuilders.ReplaceExtension(p, Extensions.Sedation, new Code(spec.Sedation));
            });
            var procedureId = (await client.CreateAsync(procedure)).Id;
            ProcedureIds.Add(procedureId);

            if (spec.Baseline is { } baseline)
                await client.CreateAsync(Score(procedureId, "baseline", spec.At.AddMinutes(-20), baseline));
            foreach (var (hours, score) in spec.Diary)
                await client.CreateAsync(Score(procedureId, "post-block", spec.At.AddHours(hours), score));
        }
    }

    private Observation Score(string procedureId, string phase, DateTimeOffset at, int value) => MbbBuilders.PainScore(o =>
    {
        o.Subject = new ResourceReference($"Patient/{PatientId}");
        o.PartOf = [new ResourceReference($"Procedure/{procedureId}")];
        o.Effective = new FhirDateTime(at);
        o.Value = new Integer(value);
        MbbBuilders.ReplaceExtension(o, Extensions.AssessmentPhase, new Code(phase));
    });
}

/// <summary>Reads the $evaluate-block Parameters.</summary>
public sealed record BlockAnswer(Parameters Parameters)
{
    public string Outcome => ((Code)Parameters.Parameter.Single(p => p.Name == "outcome").Value).Value;

    public bool Eligible => ((FhirBoolean)Parameters.Parameter.Single(p => p.Name == "eligible").Value).Value == true;

    public IReadOnlyList<string> Reasons => Parameters.Parameter.Where(p => p.Name == "reason")
        .Select(p => ((Coding)p.Part.Single(part => part.Name == "code").Value).Code).ToList();

    public IReadOnlyList<string> RfaTargets => Parameters.Parameter.Where(p => p.Name == "rfaTarget")
        .Select(p => ((CodeableConcept)p.Value).Coding[0].Code).ToList();

    public IReadOnlyList<CodeableConcept> RfaTargetConcepts => Parameters.Parameter.Where(p => p.Name == "rfaTarget").Select(p => (CodeableConcept)p.Value).ToList();

    public decimal? PeakRelief(int block = 0) => (Parameters.Parameter.Where(p => p.Name == "block").ElementAt(block)
        .Part.SingleOrDefault(p => p.Name == "peakReliefPercent")?.Value as FhirDecimal)?.Value;

    public string? OutcomeObservation => (Parameters.Parameter.SingleOrDefault(p => p.Name == "outcomeObservation")?.Value as ResourceReference)?.Reference;
}
