namespace FhirMbb.Core.Evaluation;

/// <summary>
/// A request the server cannot answer, with the HTTP status and OperationOutcome issue code the
/// endpoint should send. Clinical "no" answers are results, never exceptions.
/// </summary>
public class FhirOperationException(int status, string issueCode, string message) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>OperationOutcome.issue.code, e.g. <c>not-found</c>, <c>invalid</c>, <c>processing</c>.</summary>
    public string IssueCode { get; } = issueCode;
}

/// <summary>404: the Procedure asked about does not exist (or the patient has no block).</summary>
public sealed class ProcedureNotFoundException(string message)
    : FhirOperationException(404, "not-found", message);

/// <summary>422: the Procedure exists but is not a medial branch block.</summary>
public sealed class NotAMedialBranchBlockException(string procedureId)
    : FhirOperationException(422, "processing", $"Procedure/{procedureId} is not a medial branch block.")
{
    public string ProcedureId { get; } = procedureId;
}

/// <summary>400: the requested policy is neither built in nor configured.</summary>
public sealed class UnknownPolicyException(string policyCode)
    : FhirOperationException(400, "invalid", $"Unknown evaluation policy '{policyCode}'.")
{
    public string PolicyCode { get; } = policyCode;
}

/// <summary>400: a type-level evaluation without the <c>patient</c> parameter.</summary>
public sealed class PatientParameterMissingException()
    : FhirOperationException(400, "required", "Parameter 'patient' is required at type level.");
