using Hl7.Fhir.Model;

namespace FhirMbb.Core;

/// <summary>
/// A failure the client must hear about, with the HTTP status and FHIR issue type it maps to.
/// The API turns every one of these into an OperationOutcome in exactly one place.
/// </summary>
public class FhirOperationException : Exception
{
    public FhirOperationException(int status, OperationOutcome.IssueType issueType, string message, OperationOutcome? outcome = null)
        : base(message)
    {
        Status = status;
        IssueType = issueType;
        Outcome = outcome;
    }

    public int Status { get; }
    public OperationOutcome.IssueType IssueType { get; }

    /// <summary>A full outcome (e.g. every validation issue) when one message is not enough.</summary>
    public OperationOutcome? Outcome { get; }

    public static FhirOperationException BadRequest(string message) =>
        new(400, OperationOutcome.IssueType.Invalid, message);

    public static FhirOperationException NotFound(string message) =>
        new(404, OperationOutcome.IssueType.NotFound, message);

    public static FhirOperationException Gone(string message) =>
        new(410, OperationOutcome.IssueType.Deleted, message);

    public static FhirOperationException PreconditionFailed(string message) =>
        new(412, OperationOutcome.IssueType.Conflict, message);

    public static FhirOperationException Unprocessable(string message, OperationOutcome? outcome = null) =>
        new(422, OperationOutcome.IssueType.Processing, message, outcome);
}
