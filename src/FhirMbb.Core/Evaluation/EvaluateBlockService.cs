using Hl7.Fhir.Model;

namespace FhirMbb.Core.Evaluation;

/// <summary>
/// Where the service reads a patient's clinical record from (the store in production, memory in tests), as the engine's
/// facts: <see cref="ClinicalFactReader"/>'s readings of the resources, however the source gets them.
/// </summary>
public interface IBlockEvidenceSource
{
    /// <summary>Null when there is no such Procedure; else its facts, with no block when it is not a medial branch block.</summary>
    Task<ProcedureFacts?> GetProcedureAsync(string id, CancellationToken cancellationToken);

    /// <summary>The patient's medial branch blocks, as <see cref="ClinicalFactReader.ReadBlock"/> reads them.</summary>
    Task<IReadOnlyList<MedialBranchBlock>> GetPatientBlocksAsync(string patientId, CancellationToken cancellationToken);

    /// <summary>
    /// The facts of the patient's pain scores (LOINC 72514-3) that count (final, amended, corrected), as
    /// <see cref="ClinicalFactReader.UsablePainScore"/> reads them; a store may read them without the object model.
    /// </summary>
    Task<IReadOnlyList<PainScore>> GetPatientPainScoresAsync(string patientId, CancellationToken cancellationToken);

    /// <summary>
    /// The patient's Conditions as <see cref="ClinicalFactReader.ReadConditionRecord"/> reads them (whether one excludes
    /// RFA is the service's to decide).
    /// </summary>
    Task<IReadOnlyList<PainCondition>> GetPatientConditionsAsync(string patientId, CancellationToken cancellationToken);

    /// <summary>One Condition, read as <see cref="GetPatientConditionsAsync"/> reads them; null when there is none.</summary>
    Task<PainCondition?> GetConditionAsync(string id, CancellationToken cancellationToken);
}

/// <summary>A Procedure as the evaluation sees it: the block it records, or none when it is not a medial branch block.</summary>
public sealed record ProcedureFacts(MedialBranchBlock? Block);

/// <summary>The answer to one $evaluate-block request: the result, evaluated at <see cref="EvaluatedAt"/>.</summary>
public sealed class BlockEvaluationAnswer(EvaluationResult result, DateTimeOffset evaluatedAt)
{
    private Observation? _outcomeObservation;

    public EvaluationResult Result { get; } = result;

    public DateTimeOffset EvaluatedAt { get; } = evaluatedAt;

    /// <summary>
    /// The outcome Observation to persist, built when first asked for: only a request with persist=true needs it, and
    /// building it was ~3% of an evaluation's CPU.
    /// </summary>
    public Observation OutcomeObservation => _outcomeObservation ??= BlockOutcomeObservation.Build(Result, EvaluatedAt);

    public EvaluationKey Key => EvaluationKey.Of(Result);

    /// <summary>The operation's Parameters; pass the stored Observation's reference when persisted.</summary>
    public Parameters ToParameters(ResourceReference? storedOutcome = null) => EvaluationParameters.From(Result, storedOutcome);
}

/// <summary>
/// Gathers a block's evidence from the store and runs the engine. Errors the client must fix are
/// typed <see cref="FhirOperationException"/>s; clinical "no" answers are ordinary results.
/// </summary>
public sealed class EvaluateBlockService(
    IBlockEvidenceSource source,
    BlockPolicyCatalog policies,
    BlockEvaluator evaluator,
    ClinicalFactReader facts,
    TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Instance level: <c>Procedure/[id]/$evaluate-block</c>.</summary>
    public async Task<BlockEvaluationAnswer> EvaluateProcedureAsync(string procedureId, string? policyCode, CancellationToken cancellationToken = default)
    {
        var policy = policies.Get(policyCode);
        var procedure = await source.GetProcedureAsync(procedureId, cancellationToken)
            ?? throw new ProcedureNotFoundException($"Procedure/{procedureId} not found.");
        var block = procedure.Block ?? throw new NotAMedialBranchBlockException(procedureId);
        return await EvaluateAsync(block, policy, cancellationToken);
    }

    /// <summary>Type level: <c>Procedure/$evaluate-block?patient=...</c> evaluates the patient's latest block.</summary>
    public async Task<BlockEvaluationAnswer> EvaluatePatientAsync(string? patient, string? policyCode, CancellationToken cancellationToken = default)
    {
        var policy = policies.Get(policyCode);
        var patientId = string.IsNullOrWhiteSpace(patient)
            ? throw new PatientParameterMissingException()
            : ClinicalFactReader.IdOf(new ResourceReference(patient.Trim()), "Patient") ?? throw new PatientParameterMissingException();

        var blocks = await source.GetPatientBlocksAsync(patientId, cancellationToken);
        // Prefer the latest completed block; fall back to any block so "not completed" is reported, not hidden.
        var latest = blocks.Where(b => b.IsCompleted).OrderByDescending(b => b.PerformedAt).FirstOrDefault()
            ?? blocks.OrderByDescending(b => b.PerformedAt).FirstOrDefault()
            ?? throw new ProcedureNotFoundException($"Patient/{patientId} has no medial branch block.");
        return await EvaluateAsync(latest, policy, cancellationToken);
    }

    private async Task<BlockEvaluationAnswer> EvaluateAsync(MedialBranchBlock index, BlockPolicy policy, CancellationToken cancellationToken)
    {
        var evidence = index.PatientId is { } patientId
            ? await GatherAsync(index, patientId, cancellationToken)
            : await GatherWithoutPatientAsync(index, cancellationToken);

        var result = evaluator.Evaluate(evidence, policy);
        return new BlockEvaluationAnswer(result, _clock.GetUtcNow());
    }

    private async Task<BlockEvidence> GatherAsync(MedialBranchBlock index, string patientId, CancellationToken cancellationToken)
    {
        var otherBlocks = (await source.GetPatientBlocksAsync(patientId, cancellationToken))
            .Where(b => b.Id != index.Id)
            .ToList();
        var scores = (await source.GetPatientPainScoresAsync(patientId, cancellationToken)).ToList();
        var conditions = (await source.GetPatientConditionsAsync(patientId, cancellationToken)).ToList();

        var indications = new List<PainCondition>();
        foreach (var id in index.IndicationIds)
        {
            var condition = conditions.FirstOrDefault(c => c.Id == id) ?? await source.GetConditionAsync(id, cancellationToken);
            if (condition is not null)
                indications.Add(facts.WithExclusion(condition));
        }
        var others = conditions.Where(c => !index.IndicationIds.Contains(c.Id)).Select(facts.WithExclusion).ToList();
        return new BlockEvidence(index, otherBlocks, scores, indications, others);
    }

    // A block without a subject cannot reach the diary; the engine then reports what is missing.
    private async Task<BlockEvidence> GatherWithoutPatientAsync(MedialBranchBlock index, CancellationToken cancellationToken)
    {
        var indications = new List<PainCondition>();
        foreach (var id in index.IndicationIds)
            if (await source.GetConditionAsync(id, cancellationToken) is { } condition)
                indications.Add(facts.WithExclusion(condition));
        return new BlockEvidence(index, [], [], indications, []);
    }
}
