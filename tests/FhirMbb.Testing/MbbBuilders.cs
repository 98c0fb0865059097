using Hl7.Fhir.Model;
using static FhirMbb.Core.Canonicals;

namespace FhirMbb.Testing;

/// <summary>
/// Small builders for valid MBB resources; each test breaks exactly one thing with a lambda.
/// </summary>
public static class MbbBuilders
{
    public static Extension Ext(string url, DataType value) => new(url, value);

    public static CodeableConcept Concept(string system, string code) => new(system, code);

    /// <summary>A completed left L4-L5 block with lidocaine under fluoroscopy, first diagnostic block.</summary>
    public static Procedure Block(Action<Procedure>? change = null)
    {
        var block = new Procedure
        {
            Meta = new Meta { Profile = [Profiles.MbbProcedure] },
            Status = EventStatus.Completed,
            Code = Concept(CodeSystems.Mbb, "medial-branch-block"),
            Subject = new ResourceReference("Patient/p1"),
            Performed = new FhirDateTime("2026-03-02T09:30:00+01:00"),
            ReasonReference = [new ResourceReference("Condition/c1")],
            BodySite = [Concept(CodeSystems.SpinalMedialBranch, "L3-MB"), Concept(CodeSystems.SpinalMedialBranch, "L4-MB")],
            Extension =
            [
                Ext(Extensions.TargetJoint, Concept(CodeSystems.SpinalFacetJoint, "L4-L5")),
                Ext(Extensions.Laterality, Concept(CodeSystems.Snomed, "7771000")),
                Ext(Extensions.Anesthetic, Concept(CodeSystems.Snomed, "387480006")),
                Ext(Extensions.ImagingGuidance, Concept(CodeSystems.Snomed, "44491008")),
                Ext(Extensions.ContrastResult, new Code("no-intravascular-uptake")),
                Ext(Extensions.BlockNumber, new PositiveInt(1)),
            ],
        };
        change?.Invoke(block);
        return block;
    }

    /// <summary>A final baseline pain score of 7 (valueInteger) for block Procedure/b1.</summary>
    public static Observation PainScore(Action<Observation>? change = null)
    {
        var score = new Observation
        {
            Meta = new Meta { Profile = [Profiles.MbbPainScore] },
            Status = ObservationStatus.Final,
            Code = Concept(CodeSystems.Loinc, PainScoreLoinc),
            Subject = new ResourceReference("Patient/p1"),
            Effective = new FhirDateTime("2026-03-02T09:10:00+01:00"),
            Value = new Integer(7),
            PartOf = [new ResourceReference("Procedure/b1")],
            Extension = [Ext(Extensions.AssessmentPhase, new Code("baseline"))],
        };
        change?.Invoke(score);
        return score;
    }

    public static Quantity ScoreQuantity(decimal value) => new() { Value = value, Unit = "{score}", System = CodeSystems.Ucum, Code = "{score}" };

    /// <summary>An active axial lumbar spondylosis indication, onset 2025-06-15, physical therapy failed.</summary>
    public static Condition Indication(Action<Condition>? change = null)
    {
        var condition = new Condition
        {
            Meta = new Meta { Profile = [Profiles.MbbAxialPainCondition] },
            ClinicalStatus = Concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
            Code = Concept(CodeSystems.Icd10Cm, "M47.816"),
            Subject = new ResourceReference("Patient/p1"),
            Onset = new FhirDateTime("2025-06-15"),
            Extension =
            [
                Ext(Extensions.PainDistribution, new Code("axial")),
                ConservativeCare("physical-therapy", "failed"),
            ],
        };
        change?.Invoke(condition);
        return condition;
    }

    public static Extension ConservativeCare(string? modality, string? response)
    {
        var care = new Extension { Url = Extensions.ConservativeCare };
        if (modality is not null) care.Extension.Add(new Extension("modality", new Code(modality)));
        if (response is not null) care.Extension.Add(new Extension("response", new Code(response)));
        return care;
    }

    /// <summary>An eligible block outcome for Procedure/b1 with 71% peak relief.</summary>
    public static Observation Outcome(Action<Observation>? change = null)
    {
        var outcome = new Observation
        {
            Meta = new Meta { Profile = [Profiles.MbbBlockOutcome] },
            Status = ObservationStatus.Final,
            Code = Concept(CodeSystems.Mbb, "block-outcome"),
            Subject = new ResourceReference("Patient/p1"),
            Focus = [new ResourceReference("Procedure/b1")],
            Value = Concept(CodeSystems.Mbb, "eligible"),
            Component =
            [
                new Observation.ComponentComponent
                {
                    Code = Concept(CodeSystems.Mbb, "peak-relief-percent"),
                    Value = new Quantity { Value = 71.4m, Unit = "%", System = CodeSystems.Ucum, Code = "%" },
                },
                new Observation.ComponentComponent { Code = Concept(CodeSystems.Mbb, "criteria-met"), Value = new FhirString("All criteria met.") },
            ],
        };
        change?.Invoke(outcome);
        return outcome;
    }

    public static void RemoveExtension(DomainResource resource, string url) => resource.Extension.RemoveAll(e => e.Url == url);

    public static void ReplaceExtension(DomainResource resource, string url, DataType value)
    {
        RemoveExtension(resource, url);
        resource.Extension.Add(Ext(url, value));
    }
}
