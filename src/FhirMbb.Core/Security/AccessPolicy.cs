using FhirMbb.Core.Rest;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Security;

/// <summary>
/// The single place that decides what a caller may do: built once per request from the token's scopes and
/// its patient claim (or <see cref="Anonymous"/> when authorization is off), asked per resource type and interaction.
/// </summary>
public sealed class AccessPolicy
{
    private static readonly IReadOnlyList<AccessGrant> Everything = [new AccessGrant(null, null, [])];

    private AccessPolicy(bool isAnonymous, IReadOnlyList<SmartScope> scopes, string? patientId, string? subject)
    {
        IsAnonymous = isAnonymous;
        Scopes = scopes;
        PatientId = patientId;
        Subject = subject;
    }

    /// <summary>Auth:Mode=None: everything is allowed and nothing is filtered.</summary>
    public static AccessPolicy Anonymous { get; } = new(true, [], null, null);

    /// <param name="scopeValues">scope claim values; each may hold several scopes separated by spaces.</param>
    /// <param name="patientClaim">the launch patient, required for patient/ scopes to grant anything.</param>
    public static AccessPolicy ForToken(IEnumerable<string?> scopeValues, string? patientClaim, string? subject = null) =>
        new(false, SmartScopeParser.ParseAll(scopeValues), FhirId.IsValid(patientClaim) ? patientClaim : null, subject);

    public bool IsAnonymous { get; }
    public IReadOnlyList<SmartScope> Scopes { get; }

    /// <summary>The patient of the token's launch context (the "patient" claim), if any.</summary>
    public string? PatientId { get; }

    public string? Subject { get; }

    /// <summary>Resource types whose instances belong to a patient; patient/ scopes on any other type (conformance resources) are not per patient.</summary>
    public static bool IsCompartmentType(string resourceType) => ResourceTypes.IsWritable(resourceType);

    public AccessDecision Decide(string resourceType, Interaction interaction)
    {
        if (IsAnonymous) return new AccessDecision(resourceType, interaction, Everything, null);

        var needed = InteractionPermissions.Required(interaction);
        var grants = new List<AccessGrant>();
        var patientScopeWithoutPatient = false;
        foreach (var scope in Scopes)
        {
            if (!scope.Covers(resourceType) || (scope.Permissions & needed) != needed) continue;
            string? patient = null;
            if (scope.Context == ScopeContext.Patient && IsCompartmentType(resourceType))
            {
                // A patient/ scope with no patient to hold it to would reach everyone: it grants nothing.
                if (PatientId is null)
                {
                    patientScopeWithoutPatient = true;
                    continue;
                }
                patient = PatientId;
            }
            grants.Add(new AccessGrant(scope, patient, scope.Restrictions));
        }

        var verb = Verb(interaction);
        string? reason = grants.Count > 0 ? null
            : patientScopeWithoutPatient ? $"The token's patient/ scopes allow {verb} {resourceType} only with a patient in its launch context, and it has none"
            : $"No scope of this token allows {verb} {resourceType} (needs {Letter(needed)})";
        return new AccessDecision(resourceType, interaction, grants, reason);
    }

    /// <summary>The decision, or 403 when no scope allows the interaction at all.</summary>
    public AccessDecision Require(string resourceType, Interaction interaction)
    {
        var decision = Decide(resourceType, interaction);
        return decision.IsAllowed ? decision : throw Forbidden(decision.DenialReason!);
    }

    /// <summary>Every requirement of an operation (see <see cref="OperationAccess"/>), or 403 on the first one missing.</summary>
    public IReadOnlyList<AccessDecision> RequireAll(IEnumerable<AccessRequirement> requirements) =>
        requirements.Select(r => Require(r.ResourceType, r.Interaction)).ToList();

    public static FhirOperationException Forbidden(string message) =>
        new(403, OperationOutcome.IssueType.Forbidden, message);

    /// <summary>Scopes that would have allowed an interaction, for the insufficient_scope challenge.</summary>
    public static string ScopeHint(string resourceType, Interaction interaction) =>
        $"user/{resourceType}.{Letter(InteractionPermissions.Required(interaction))}";

    private static string Verb(Interaction interaction) => interaction switch
    {
        Interaction.VRead => "vread of",
        Interaction.History => "history of",
        Interaction.HistoryType => "type or system history of",
        Interaction.Search => "search of",
        Interaction.Operation => "operations on",
        _ => interaction.ToString().ToLowerInvariant() + " of",
    };

    private static string Letter(ScopePermissions permission) => permission switch
    {
        ScopePermissions.Create => "c",
        ScopePermissions.Read => "r",
        ScopePermissions.Update => "u",
        ScopePermissions.Delete => "d",
        ScopePermissions.Search => "s",
        _ => permission.ToString(),
    };
}

public sealed record AccessRequirement(string ResourceType, Interaction Interaction);

/// <summary>What each operation needs, declared once so the operation endpoints and their tests agree.</summary>
public static class OperationAccess
{
    private static readonly string[] EvaluationInputs = ["Procedure", "Observation", "Condition"];

    /// <summary>
    /// $evaluate-block reads the patient's procedures, pain scores and conditions, and with persist=true writes
    /// the outcome Observation. Results from the inputs must still pass each decision's Permits (compartment).
    /// </summary>
    public static IReadOnlyList<AccessRequirement> EvaluateBlock(bool persist)
    {
        var requirements = EvaluationInputs.Select(t => new AccessRequirement(t, Interaction.Read)).ToList();
        if (persist) requirements.Add(new AccessRequirement("Observation", Interaction.Create));
        return requirements;
    }

    /// <summary>$validate reads and writes nothing of the server's data: no scope is needed.</summary>
    public static IReadOnlyList<AccessRequirement> Validate { get; } = [];
}
