using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Evaluation;

/// <summary>SNOMED CT laterality codes used by mbb-laterality, both for reading blocks and for RFA targets.</summary>
public static class LateralityCodes
{
    public const string Left = "7771000";
    public const string Right = "24028007";
    public const string Bilateral = "51440002";

    public static Coding? ToCoding(Laterality side) => side switch
    {
        Laterality.Left => new Coding(Canonicals.CodeSystems.Snomed, Left, "Left"),
        Laterality.Right => new Coding(Canonicals.CodeSystems.Snomed, Right, "Right"),
        Laterality.Bilateral => new Coding(Canonicals.CodeSystems.Snomed, Bilateral, "Bilateral"),
        _ => null,
    };
}

/// <summary>
/// Identity of one evaluation: the same index block under the same policy is the same question,
/// so its outcome Observation is updated rather than duplicated.
/// </summary>
public sealed record EvaluationKey(string PolicyCode, string IndexProcedureId)
{
    public string Value => $"{PolicyCode}|Procedure/{IndexProcedureId}";

    public Identifier ToIdentifier() => new(Canonicals.Identifiers.EvaluationKey, Value);

    /// <summary>A deterministic, FHIR-valid logical id for the outcome (for update-as-create by id).</summary>
    public string ObservationId =>
        "block-outcome-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Value)))[..32];

    public static EvaluationKey Of(EvaluationResult result) => new(result.PolicyCode, result.IndexProcedureId);
}

/// <summary>The $evaluate-block answer as a Parameters resource, per the contract's Out table.</summary>
public static class EvaluationParameters
{
    public static Parameters From(EvaluationResult result, ResourceReference? outcomeObservation = null)
    {
        var parameters = new Parameters();
        parameters.Parameter.Add(new() { Name = "outcome", Value = new Code(OutcomeCode(result.Outcome)) });
        parameters.Parameter.Add(new() { Name = "eligible", Value = new FhirBoolean(result.Eligible) });
        parameters.Parameter.Add(new() { Name = "policy", Value = new Code(result.PolicyCode) });

        foreach (var reason in result.Reasons)
        {
            var parts = new List<Parameters.ParameterComponent>
            {
                new() { Name = "code", Value = new Coding(Canonicals.CodeSystems.Mbb, reason.Code) },
                new() { Name = "severity", Value = new Code(SeverityCode(reason.Severity)) },
                new() { Name = "message", Value = new FhirString(reason.Message) },
            };
            if (reason.ProcedureId is not null)
                parts.Add(new() { Name = "procedure", Value = ProcedureReference(reason.ProcedureId) });
            parameters.Parameter.Add(new() { Name = "reason", Part = parts });
        }

        foreach (var block in result.Blocks)
        {
            var parts = new List<Parameters.ParameterComponent>
            {
                new() { Name = "procedure", Value = ProcedureReference(block.ProcedureId) },
            };
            if (block.Anesthetic is not null)
                parts.Add(new() { Name = "anesthetic", Value = ToConcept(block.Anesthetic) });
            if (block.BaselineScore is not null)
                parts.Add(new() { Name = "baselineScore", Value = new Integer(block.BaselineScore) });
            if (block.BestScore is not null)
                parts.Add(new() { Name = "bestScore", Value = new Integer(block.BestScore) });
            if (block.PeakReliefPercent is not null)
                parts.Add(new() { Name = "peakReliefPercent", Value = new FhirDecimal(block.PeakReliefPercent) });
            if (block.ReliefDurationHours is not null)
                parts.Add(new() { Name = "reliefDurationHours", Value = new FhirDecimal(block.ReliefDurationHours) });
            parts.Add(new() { Name = "positive", Value = new FhirBoolean(block.Positive) });
            parameters.Parameter.Add(new() { Name = "block", Part = parts });
        }

        foreach (var target in result.RfaTargets)
            parameters.Parameter.Add(new() { Name = "rfaTarget", Value = ToConcept(target) });

        if (outcomeObservation is not null)
            parameters.Parameter.Add(new() { Name = "outcomeObservation", Value = outcomeObservation });
        return parameters;
    }

    /// <summary>
    /// A nerve on one side. The nerve is the only Coding (Codings in one concept must mean the same
    /// thing); the side rides on the mbb-laterality extension of the CodeableConcept, and in text.
    /// </summary>
    public static CodeableConcept ToConcept(RfaTarget target)
    {
        var concept = new CodeableConcept(Canonicals.CodeSystems.SpinalMedialBranch, target.NerveCode);
        var side = LateralityCodes.ToCoding(target.Side);
        concept.Text = side is null ? target.NerveCode : $"{target.NerveCode} {side.Display!.ToLowerInvariant()}";
        if (side is not null)
            concept.Extension.Add(new Extension(Canonicals.Extensions.Laterality, new CodeableConcept { Coding = [side] }));
        return concept;
    }

    public static string OutcomeCode(EvaluationOutcome outcome) => outcome switch
    {
        EvaluationOutcome.Eligible => "eligible",
        EvaluationOutcome.NotEligible => "not-eligible",
        _ => "indeterminate",
    };

    public static string SeverityCode(ReasonSeverity severity) => severity switch
    {
        ReasonSeverity.Error => "error",
        ReasonSeverity.Warning => "warning",
        _ => "information",
    };

    internal static ResourceReference ProcedureReference(string id) => new("Procedure/" + id);

    internal static CodeableConcept ToConcept(CodedValue coded) =>
        new() { Coding = [new Coding(coded.System, coded.Code, coded.Display)] };
}

/// <summary>Builds the mbb-block-outcome Observation that records an evaluation (persisted by the caller).</summary>
public static class BlockOutcomeObservation
{
    public const string BlockOutcomeCode = "block-outcome";
    public const string PeakReliefComponentCode = "peak-relief-percent";

    public static Observation Build(EvaluationResult result, DateTimeOffset evaluatedAt)
    {
        var key = EvaluationKey.Of(result);
        var observation = new Observation
        {
            Id = key.ObservationId,
            Meta = new Meta { Profile = [Canonicals.Profiles.MbbBlockOutcome] },
            Identifier = [key.ToIdentifier()],
            Status = ObservationStatus.Final,
            Code = new CodeableConcept(Canonicals.CodeSystems.Mbb, BlockOutcomeCode, "Block outcome"),
            Effective = new FhirDateTime(evaluatedAt),
            Issued = evaluatedAt,
            Value = new CodeableConcept(Canonicals.CodeSystems.Mbb, EvaluationParameters.OutcomeCode(result.Outcome)),
            Focus = result.Blocks.Select(b => EvaluationParameters.ProcedureReference(b.ProcedureId)).ToList(),
            DerivedFrom = result.PainScoreIdsUsed.Select(id => new ResourceReference("Observation/" + id)).ToList(),
        };
        if (result.PatientId is not null)
            observation.Subject = new ResourceReference("Patient/" + result.PatientId);
        if (result.Blocks.Count == 0)
            observation.Focus.Add(EvaluationParameters.ProcedureReference(result.IndexProcedureId));

        var index = result.Blocks.FirstOrDefault(b => b.ProcedureId == result.IndexProcedureId);
        if (index?.PeakReliefPercent is { } peak)
            observation.Component.Add(new Observation.ComponentComponent
            {
                Code = new CodeableConcept(Canonicals.CodeSystems.Mbb, PeakReliefComponentCode),
                Value = new Quantity { Value = peak, Unit = "%", System = Canonicals.CodeSystems.Ucum, Code = "%" },
            });

        // One component per reason code; when a code applies to several blocks their messages are joined.
        foreach (var group in result.Reasons.GroupBy(r => r.Code))
            observation.Component.Add(new Observation.ComponentComponent
            {
                Code = new CodeableConcept(Canonicals.CodeSystems.Mbb, group.Key),
                Value = new FhirString(string.Join(" ", group.Select(r => r.Message))),
            });
        return observation;
    }
}
