using FhirMbb.Core.Security;

namespace FhirMbb.Api.Security;

/// <summary>
/// The access policy of the current request, as endpoints ask for it: <c>context.RequireAccess(type, Interaction.Read)</c>.
/// Search, transaction and operation endpoints call the same methods.
/// </summary>
public static class FhirAccess
{
    private static readonly object PolicyKey = new();

    internal static void SetAccess(this HttpContext context, AccessPolicy policy) => context.Items[PolicyKey] = policy;

    /// <summary>The caller's policy. A request that reached an endpoint without one is a wiring bug: fail closed.</summary>
    public static AccessPolicy Access(this HttpContext context) =>
        context.Items.TryGetValue(PolicyKey, out var value) && value is AccessPolicy policy
            ? policy
            : throw new InvalidOperationException("No access policy for this request; is the security middleware in the pipeline?");

    /// <summary>The decision for the interaction, or 403 (with an insufficient_scope challenge) when no scope allows it.</summary>
    public static AccessDecision RequireAccess(this HttpContext context, string resourceType, Interaction interaction)
    {
        var decision = context.Access().Decide(resourceType, interaction);
        if (decision.IsAllowed) return decision;
        context.Response.Headers.WWWAuthenticate =
            $"Bearer realm=\"{SmartChallenge.Realm}\", error=\"insufficient_scope\", scope=\"{AccessPolicy.ScopeHint(resourceType, interaction)}\"";
        throw AccessPolicy.Forbidden(decision.DenialReason!);
    }

    /// <summary>Every requirement of an operation, e.g. <see cref="OperationAccess.EvaluateBlock"/>; none for $validate.</summary>
    public static IReadOnlyList<AccessDecision> RequireOperationAccess(this HttpContext context, IEnumerable<AccessRequirement> requirements) =>
        requirements.Select(r => context.RequireAccess(r.ResourceType, r.Interaction)).ToList();

    /// <summary>The one patient a patient-scoped token is held to for this type and interaction; null when it reaches further.</summary>
    public static string? CompartmentPatientId(this HttpContext context, string resourceType, Interaction interaction) =>
        context.Access().Decide(resourceType, interaction).CompartmentPatientId;
}
