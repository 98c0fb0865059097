using Hl7.Fhir.Model;

namespace FhirMbb.Core.Rest;

/// <summary>
/// A check every create and update passes before it is stored (profile validation, for one).
/// Throws <see cref="FhirOperationException"/> to refuse the write.
/// </summary>
public interface IResourceWriteCheck
{
    ValueTask CheckAsync(Resource resource, CancellationToken cancellationToken);
}
