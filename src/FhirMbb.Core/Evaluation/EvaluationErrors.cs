using Hl7.Fhir.Model;

namespace FhirMbb.Core.Evaluation;

// The operation's refusals are ordinary FhirOperationExceptions, so the API maps them like any other.

/// <summary>404: the Procedure asked about does not exist (or the patient has no block).</summary>
public sealed class ProcedureNotFoundException(string message)
    : FhirOperationException(404, OperationOutcome.IssueType.NotFound, message);

/// <summary>422: the Procedure exists but is not a medial branch block.</summary>
public sealed class NotAMedialBranchBlockException(string procedureId)
    : FhirOperationException(422, OperationOutcome.IssueType.Processing, $"Procedure/{procedureId} is not a medial branch block.")
{
    public string ProcedureId { get; } = procedureId;
}

/// <summary>400: the requested policy is neither built in nor configured.</summary>
public sealed class UnknownPolicyException(string policyCode)
    : FhirOperationException(400, OperationOutcome.IssueType.Invalid, $"Unknown evaluation policy '{policyCode}'.")
{
    public string PolicyCode { get; } = policyCode;
}

/// <summary>400: a type-level evaluation without the <c>patient</c> parameter.</summary>
public sealed class PatientParameterMissingException()
    : FhirOperationException(400, OperationOutcome.IssueType.Required, "Parameter 'patient' is required at type level.");
