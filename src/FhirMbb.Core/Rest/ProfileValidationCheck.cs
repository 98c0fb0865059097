using FhirMbb.Core.Conformance;
using FhirMbb.Core.Serialization;
using FhirMbb.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirMbb.Core.Rest;

/// <summary>
/// Validates a resource on create and update against the profiles it claims or evidently is (per
/// Validation:Mode); any error refuses the write with 422 and every issue, each with its location.
/// </summary>
public sealed class ProfileValidationCheck(MbbProfileDetector detector, ProfileValidator validator, IResourceStore store, FhirSerialization serialization)
    : IResourceWriteCheck
{
    public async ValueTask CheckAsync(Resource resource, CancellationToken cancellationToken)
    {
        if (detector.Mode == ValidationMode.Off) return;
        var profiles = detector.ProfilesFor(resource, await IsPartOfMedialBranchBlockAsync(resource, cancellationToken));
        if (profiles.Count == 0) return;

        var outcome = await validator.ValidateAsync(resource, profiles);
        if (!ProfileValidator.IsValid(outcome))
        {
            var errors = outcome.Issue.Count(ProfileValidator.IsError);
            throw FhirOperationException.Unprocessable(
                $"The {resource.TypeName} does not conform to {string.Join(", ", profiles)}: {errors} error(s)", outcome);
        }
    }

    /// <summary>Only an Observation with partOf needs the store: is the Procedure it points at an MBB?</summary>
    private async Task<bool> IsPartOfMedialBranchBlockAsync(Resource resource, CancellationToken cancellationToken)
    {
        foreach (var reference in MbbProfileDetector.PartOfProcedureReferences(resource))
        {
            var id = reference[(reference.LastIndexOf("Procedure/", StringComparison.Ordinal) + "Procedure/".Length)..].Split('/')[0];
            if (!FhirId.IsValid(id)) continue;
            var stored = await store.ReadAsync("Procedure", id, cancellationToken);
            if (stored is { Deleted: false } && serialization.ParseStored(stored.Json.Span) is Procedure procedure && detector.IsMedialBranchBlock(procedure))
                return true;
        }
        return false;
    }
}
